"""The HTML overview at /_sandbox/: what each Page has published (with images and its
figures), conversations, users, tokens (truncated), webhook deliveries and callbacks, and a
link to try the login dialog."""

from __future__ import annotations

import html
import time
from urllib.parse import urlencode

from sandbox.figures import object_figures
from sandbox.nodes import container_status, ig_media_of
from sandbox.state import TABLECAST_SCOPES, IGMedia, Post, World

STYLE = """
body{font-family:Helvetica,Arial,sans-serif;margin:0;background:#f0f2f5;color:#1c1e21}
header{background:#1877f2;color:#fff;padding:12px 24px} header a{color:#fff}
main{padding:16px 24px} section{background:#fff;border-radius:8px;padding:12px 16px;margin-bottom:16px}
table{border-collapse:collapse;width:100%;font-size:13px} td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
.posts{display:flex;flex-wrap:wrap;gap:10px} .post{border:1px solid #ddd;border-radius:6px;padding:8px;width:220px;font-size:13px}
.post img{max-width:100%;border-radius:4px} .muted{color:#65676b} code{font-size:12px}
.ok{color:#0a7a28} .bad{color:#b00020}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def _figures_line(world: World, obj: Post | IGMedia) -> str:
    figs = object_figures(world, obj)
    return (
        f"<div class='muted'>{figs['views']} views · {figs['reach']} reached · "
        f"{figs['reactions']} reactions · {figs['comments']} comments</div>"
    )


def _conversations(world: World) -> str:
    """The latest conversations with their last messages (customer ← → Page)."""
    blocks = []
    latest = sorted(world.conversations.values(), key=lambda c: c.updated_ms, reverse=True)
    for conversation in latest[:30]:
        customer = world.customers.get(conversation.customer_id)
        lines = "".join(
            f"<div>{'→' if m.direction == 'out' else '←'} {_e(m.text or '[attachment]')}</div>"
            for m in (world.messages_by_mid[mid] for mid in conversation.mids[-6:])
        )
        blocks.append(
            f"<div class='post'><b>{_e(customer.name if customer else conversation.customer_id)}</b>"
            f"<div class='muted'>{_e(conversation.platform)} · {_e(conversation.account_id)} · "
            f"{_e(conversation.id)}</div>{lines}</div>"
        )
    body = "".join(blocks) or "<p class=muted>No conversations yet.</p>"
    return f"<section><h2>Conversations</h2><div class='posts'>{body}</div></section>"


def render(world: World, base_url: str) -> str:
    """One page, rendered under the world lock so it is a consistent snapshot."""
    with world.lock:
        app = world.default_app()
        parts = [f"<header><b>Graph sandbox</b> · now {_when(world.now())} UTC"]
        if app and app.redirect_uris:
            query = urlencode(
                {
                    "client_id": app.id,
                    "redirect_uri": app.redirect_uris[0],
                    "scope": ",".join(TABLECAST_SCOPES),
                    "state": "sandbox-demo",
                }
            )
            parts.append(
                f" · <a href='{base_url}/v24.0/dialog/oauth?{_e(query)}'>Try the login dialog</a>"
            )
        parts.append(
            " · <a href='/_sandbox/world'>world JSON</a> · <a href='/_sandbox/requests'>request log</a></header><main>"
        )
        for page in world.pages.values():
            ig = world.ig_accounts.get(page.ig_id or "")
            heading = f"<h2>{_e(page.name)} <span class='muted'>page {_e(page.id)}"
            heading += f" · Instagram @{_e(ig.username)} ({_e(ig.id)})" if ig else " · no Instagram"
            heading += f" · business {_e(page.business_id)}" if page.business_id else ""
            subscribed = (
                ", ".join(f"{a}: {','.join(f)}" for a, f in page.subscribed_apps.items()) or "none"
            )
            cards = []
            for post in sorted(world.posts.values(), key=lambda p: p.created_time, reverse=True):
                if post.page_id != page.id:
                    continue
                state = (
                    "deleted"
                    if post.deleted
                    else "published"
                    if post.published
                    else (
                        f"scheduled for {_when(post.scheduled_publish_time)}"
                        if post.scheduled_publish_time
                        else "unpublished"
                    )
                )
                images = "".join(
                    f"<img src='/_sandbox/photos/{_e(i)}.jpg' alt=''>"
                    for i in post.photo_ids
                    if i in world.photos
                )
                figures = _figures_line(world, post) if post.published and not post.deleted else ""
                cards.append(
                    f"<div class='post'>{images}<div>{_e(post.message)}</div>"
                    f"<div class='muted'>{_e(post.id)} · {state} · {_when(post.created_time)}</div>"
                    f"{figures}</div>"
                )
            if ig:
                for media in ig_media_of(world, ig.id):
                    img = (
                        f"<img src='/_sandbox/media/{_e(media.id)}.jpg' alt=''>"
                        if media.data
                        else ""
                    )
                    cards.append(
                        f"<div class='post'>{img}<div>{_e(media.caption)}</div>"
                        f"<div class='muted'>IG {_e(media.media_type)} {_e(media.id)} · {_when(media.timestamp)}</div>"
                        f"{_figures_line(world, media)}</div>"
                    )
                for container in world.containers.values():
                    if container.ig_id == ig.id and not container.published_media_id:
                        cards.append(
                            f"<div class='post'><div class='muted'>IG container {_e(container.id)} · "
                            f"{_e(container_status(world, container)[0])}</div></div>"
                        )
            parts.append(
                f"<section>{heading}</span></h2><div class='muted'>subscribed apps: {_e(subscribed)}</div>"
                f"<div class='posts'>{''.join(cards) or '<p class=muted>Nothing published yet.</p>'}</div></section>"
            )
        parts.append(_conversations(world))
        rows = "".join(
            f"<tr><td>{_e(u.name)}</td><td>{_e(u.id)}</td><td>{_e(', '.join(world.pages[p].name for p in u.pages))}</td>"
            f"<td>{_e(', '.join(world.pages[p].name for p in u.business_pages))}</td></tr>"
            for u in world.users.values()
        )
        parts.append(
            "<section><h2>Users</h2><table><tr><th>name</th><th>id</th><th>pages</th><th>via Business portfolio</th></tr>"
            f"{rows}</table></section>"
        )
        rows = "".join(
            f"<tr><td>{_e(t.id)}</td><td>{_e(t.kind)}{' long' if t.long_lived else ''}</td><td><code>{_e(t.token[:12])}…</code></td>"
            f"<td>{_e(world.users[t.user_id].name if t.user_id in world.users else '')}</td><td>{_e(t.page_id or '')}</td>"
            f"<td>{_when(t.expires_at) if t.expires_at else 'never'}</td>"
            f"<td class='{'bad' if world.token_problem(t) else 'ok'}'>{'invalid' if world.token_problem(t) else 'valid'}</td></tr>"
            for t in world.tokens.values()
        )
        parts.append(
            "<section><h2>Tokens</h2><table><tr><th>id</th><th>kind</th><th>token</th><th>user</th><th>page</th>"
            f"<th>expires</th><th>state</th></tr>{rows}</table></section>"
        )
        rows = "".join(
            f"<tr><td>{_e(d['id'])}</td><td>{_e(d['object'])}</td><td>{d['updates']}</td>"
            f"<td class='{'ok' if d['status'] == 'delivered' else 'bad'}'>{_e(d['status'])}</td><td>{len(d['attempts'])}</td>"
            f"<td>{_e(d['attempts'][-1].get('status') if d['attempts'] else '')}</td>"
            f"<td><code>{_e(d['body'][:160].decode(errors='replace'))}</code></td></tr>"
            for d in reversed(world.deliveries[-50:])
        )
        rows += "".join(
            f"<tr><td>{_e(c['id'])}</td><td>{_e(c['kind'])}</td><td>1</td><td>{_e(c['status'])}</td><td></td>"
            f"<td>{_e(c.get('response_status', ''))}</td><td><code>user {_e(c['user_id'])}</code></td></tr>"
            for c in world.callbacks[-20:]
        )
        callback = _e(app.callback_url) if app else ""
        parts.append(
            f"<section><h2>Webhook deliveries</h2><p class='muted'>callback {callback} · "
            f"{len(world.outbox)} queued · {len(world.request_log)} Graph calls logged</p>"
            "<table><tr><th>id</th><th>object</th><th>updates</th><th>status</th><th>attempts</th><th>last HTTP</th>"
            f"<th>body</th></tr>{rows}</table></section></main>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Graph sandbox</title>"
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
