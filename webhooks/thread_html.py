"""A thread page's comments and messages, drawn in Python: their markup lives here.

A comment thread shows every comment with its reply, private reply and hide forms, a Messenger
or Instagram thread every message as a bubble; through the template engine (an include per
comment, three CSRF fields, a dozen conditions; filters and lookups per bubble) they cost more
than the rest of the page (docs/performance.md, "Pages"). As for the inbox's rows
(webhooks/inbox_rows.py), the markup is built in Python and every value is escaped with
`html.escape`; the text keeps Django's ``linebreaksbr`` (both through lib/display.py)."""

from __future__ import annotations

from lib.display import escape, linebreaks
from webhooks.models import Message


def comment(c: Message, *, account_name: str, reply_text: str, csrf_field: str) -> str:
    """One comment: who and when, its badges, its text and, for a customer's comment that is
    still there, the forms to reply in public or privately and to hide it. ``reply_text`` is
    what the person typed in the form that was refused (shown in the form that is open)."""
    state = c.comment_state
    author = escape(c.author_name or "A customer") if c.direction == "in" else escape(account_name)
    badges = "".join(
        badge
        for on, badge in (
            (c.edited_at, ' <span class="badge">Edited</span>'),
            (state == "hidden", ' <span class="badge badge-warn">Hidden</span>'),
            (state == "removed", ' <span class="badge badge-bad">Removed</span>'),
            (c.private_reply_at, ' <span class="badge badge-ok">Answered privately</span>'),
        )
        if on
    )
    classes = f"comment-body comment-{escape(c.direction)}"
    if state != "visible":
        classes += f" comment-{escape(state)}"
    text = linebreaks(c.text or "(no text)")
    actions = ""
    if c.direction == "in" and state != "removed":
        actions = _actions(c, reply_text=reply_text, csrf_field=csrf_field)
    return (
        f'<div class="{classes}" id="comment-{c.id}">\n'
        f'<div class="comment-meta"><strong>{author}</strong>\n'
        f' · <time datetime="{escape(c.when_iso)}">{escape(c.when)}</time>{badges}\n</div>\n'  # type: ignore[attr-defined]
        f'<div class="comment-text">{text}</div>\n{actions}</div>\n'
    )


def _actions(c: Message, *, reply_text: str, csrf_field: str) -> str:
    opened = getattr(c, "open_form", "")
    forms = [
        _form(
            c,
            kind="reply",
            summary="Reply",
            label=f"Public reply to {c.author_name or 'this comment'}",
            url=c.reply_url,  # type: ignore[attr-defined]
            button='<button type="submit" class="btn btn-small btn-primary">Post reply</button>',
            text=reply_text if opened == "reply" else "",
            csrf_field=csrf_field,
        )
    ]
    if not c.private_reply_at:
        forms.append(
            _form(
                c,
                kind="private",
                summary="Reply privately",
                label=f"Private message to {c.author_name or 'the author'} "
                "(one per comment, within 7 days)",
                url=c.private_url,  # type: ignore[attr-defined]
                button='<button type="submit" class="btn btn-small">Send privately</button>',
                text=reply_text if opened == "private" else "",
                csrf_field=csrf_field,
            )
        )
    if c.comment_state == "visible":
        forms.append(
            f'<form method="post" action="{escape(c.hide_url)}" class="inline" '  # type: ignore[attr-defined]
            'data-confirm="Hide this comment? Only its author and their friends will still see '
            f'it.">{csrf_field}\n<button type="submit" class="linklike">Hide</button>\n</form>\n'
        )
    return f'<div class="comment-actions">\n{"".join(forms)}</div>\n'


def _form(
    c: Message,
    *,
    kind: str,
    summary: str,
    label: str,
    url: str,
    button: str,
    text: str,
    csrf_field: str,
) -> str:
    field_id = f"{kind}-{c.id}"
    opened = " open" if getattr(c, "open_form", "") == kind else ""
    return (
        f"<details{opened}>\n<summary>{summary}</summary>\n"
        f'<form method="post" action="{escape(url)}" class="comment-form">{csrf_field}\n'
        f'<label for="{field_id}">{escape(label)}</label>\n'
        f'<textarea id="{field_id}" name="text" rows="2">{escape(text)}</textarea>\n'
        f"{button}\n</form>\n</details>\n"
    )


def bubble(m: Message, *, customer_name: str) -> str:
    """One message of a Messenger or Instagram thread: its text and attachments (a link only
    for an http(s) address), who sent it, when, and whether it went out."""
    attachments = "".join(_attachment(a) for a in m.attachments or [])
    if m.direction == "in":
        who = escape(customer_name or "Customer")
    elif m.automatic:
        who = "Automatic reply" + (f" ({escape(m.rule)})" if m.rule else "")
    elif m.sent_by is not None:
        who = escape(m.sent_by.first_name or m.sent_by.email)
    else:
        who = "Sent from Facebook"
    status = ""
    if m.status == "pending":
        status = ' · <span class="badge">Sending</span>'
    elif m.status in ("failed", "skipped"):
        status = f' · <span class="badge badge-bad">Not sent</span> {escape(m.error)}'
    direction = escape(m.direction)
    return (
        f'<li class="bubble bubble-{direction}{" bubble-auto" if m.automatic else ""}" '
        f'data-direction="{direction}">\n'
        f'<div class="bubble-text">{linebreaks(m.text) if m.text else ""}'
        f"{attachments}</div>\n"
        f'<div class="bubble-meta">{who}\n'
        f' · <time datetime="{escape(m.when_iso)}">{escape(m.when)}</time>'  # type: ignore[attr-defined]
        f"{' · human agent tag' if m.tag else ''}{status}\n</div>\n</li>\n"
    )


def _attachment(a: object) -> str:
    fields = a if isinstance(a, dict) else {}
    url, kind = str(fields.get("url") or ""), escape(str(fields.get("type") or ""))
    if url.startswith(("https://", "http://")):
        return (
            f'<a href="{escape(url)}" rel="noopener noreferrer nofollow" target="_blank">'
            f"Open the {kind}</a>"
        )
    return f'<span class="muted">A {kind} we cannot show here</span>'
