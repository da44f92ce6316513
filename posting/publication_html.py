"""One publication's line in a list (its account, state, link or reason, and what the person can
do), drawn in Python: its markup lives here.

The posts list shows about 30 of them, the post page a few; through the template engine (an
include per line, a dozen conditions, three CSRF fields, two date filters) they cost more than
the rest of the list page (docs/performance.md, "Pages"). As for the inbox's rows
(webhooks/inbox_rows.py), every value is escaped with `html.escape`. Each view's links are
reversed once per page (`ActionUrls`); times are shown on the restaurant's clock (the
active time zone, which the tenant middleware sets)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lib.display import cut, date_text, escape
from posting import links
from posting.models import Publication
from posting.selectors import PublicationLine
from posting.templatetags.posting import net_icon
from social.models import SocialAccount

State = Publication.State
_CANCELLABLE = (State.SCHEDULED, State.HELD, State.FAILED, State.DRAFT)


# Labels a page repeats on every line: each drawn once per process (the models' choices).
@functools.cache
def _state_label(state: str) -> str:
    return escape(str(State(state).label))


@functools.cache
def _network_label(network: str) -> str:
    return escape(str(Publication.Network(network).label))


@functools.cache
def _icon(network: str) -> str:
    return str(net_icon(network))


@dataclass(frozen=True)
class ActionUrls:
    """The links of a line's actions, each view reversed once per page (lib/urls.reverse_many):
    a page of 20 posts held about 120 ``{% url %}``."""

    edit: Callable[[int], str]  # by post id
    retry: Callable[[int], str]  # by publication id, as the two below
    publish_now: Callable[[int], str]
    cancel: Callable[[int], str]

    @classmethod
    def for_restaurant(cls, slug: str) -> ActionUrls:
        """The restaurant's (posting/links.py: reversed once per process for each)."""
        urls = links.of_restaurant(slug)
        return cls(
            edit=urls.edit,
            retry=urls.retry,
            publish_now=urls.publish_now,
            cancel=urls.cancel_publication,
        )


def line(
    p: Publication | PublicationLine,
    *,
    back: str,
    urls: ActionUrls,
    csrf_field: str,
    reconnect_url: str,
    zone: str,
) -> str:
    """``p``: a publication (the post page) or a line of the posts list (`PublicationLine`);
    ``back``: where an action returns to ("history" or "detail"); ``urls``: the actions'
    links; ``csrf_field``: the hidden input every action form carries; ``reconnect_url``: the
    accounts page; ``zone``: the restaurant's time zone's name, shown with a scheduled time."""
    account = escape(p.account.name)
    state = escape(p.state)
    actions = _actions(
        p, account, back=back, urls=urls, csrf_field=csrf_field, reconnect_url=reconnect_url
    )
    return (
        f'<li class="pub pub-{state}">\n'
        f'  <span class="pub-account">{_icon(p.network)} {account}</span>\n'
        f'  <span class="pub-state badge badge-{state}">{_state_label(p.state)}</span>\n'
        f'  <span class="pub-detail">{_detail(p, zone=zone)}</span>\n'
        f'  <span class="pub-actions">{actions}</span>\n'
        "</li>\n"
    )


def _when(value: datetime, pattern: str) -> str:
    return escape(date_text(value, pattern))


def _detail(p: Publication | PublicationLine, *, zone: str) -> str:
    if p.state == State.PUBLISHED:
        if p.permalink:
            shown = (
                f'<a href="{escape(p.permalink)}" rel="noopener" target="_blank">View on '
                f"{_network_label(p.network)}"
                '<span class="sr-only"> (opens a new tab)</span></a>'
            )
        else:
            shown = "Published."
        if p.published_at:
            shown += f' <span class="muted small">{_when(p.published_at, "j M Y, H:i")}</span>'
        return shown
    if p.state in (State.FAILED, State.HELD):
        reason = escape(p.last_error or "It could not be published.")
        return f'<span class="pub-reason">{reason}</span>'
    if p.state == State.SCHEDULED:
        when = _when(p.next_attempt_at, "D j M, H:i") if p.next_attempt_at else ""
        return f'<span class="muted small">Goes out {when} ({escape(zone)})</span>'
    if p.state == State.NEEDS_RECONCILE:
        return (
            '<span class="muted small">We are checking on Facebook whether it went out before'
            " trying again, so it is never posted twice.</span>"
        )
    if p.state == State.PUBLISHING:
        return '<span class="muted small">Being published now.</span>'
    return ""


def _actions(
    p: Publication | PublicationLine,
    account: str,  # escaped
    *,
    back: str,
    urls: ActionUrls,
    csrf_field: str,
    reconnect_url: str,
) -> str:
    if p.state not in _CANCELLABLE:  # nothing to do: published, publishing, being checked
        return ""

    def form(url: str, label: str, primary: bool) -> str:
        kind = "btn btn-small btn-primary" if primary else "btn btn-small"
        return (
            f'<form method="post" action="{escape(url)}">{csrf_field}'
            f'<input type="hidden" name="next" value="{escape(back)}">'
            f'<button class="{kind}">{label}<span class="sr-only"> on {account}</span></button>'
            "</form>"
        )

    shown = []
    if p.state == State.FAILED:
        shown.append(form(urls.retry(p.pk), "Retry", True))
        edit = escape(urls.edit(p.post_id))
        shown.append(f'<a class="btn btn-small" href="{edit}">Edit and retry</a>')
    if p.state == State.HELD:
        if p.account.status in SocialAccount.WORKING_STATUSES:
            shown.append(form(urls.publish_now(p.pk), "Publish now", True))
        else:
            shown.append(
                f'<a class="btn btn-small btn-primary" href="{escape(reconnect_url)}">'
                f"Reconnect {account}</a>"
            )
    if p.state in _CANCELLABLE:
        shown.append(form(urls.cancel(p.pk), "Cancel", False))
    return "".join(shown)


def post_row(
    post: Any,
    *,
    urls: ActionUrls,
    csrf_field: str,
    reconnect_url: str,
    zone: str,
) -> str:
    """One post of the posts list: its first photo, text (cut), time (or when its draft was
    saved), link, and a line per publication. ``post``: as `posting.views.history` prepares it
    (``url``, ``thumb_url``, ``publication_list``)."""
    thumb = (
        f'<img class="post-thumb" src="{escape(post.thumb_url)}" alt="" width="56" height="56"'
        ' loading="lazy">'
        if post.thumb_url
        else ""
    )
    if post.scheduled_at:
        when = escape(date_text(post.scheduled_at, "D j M Y, H:i"))
    else:
        when = f"Draft, saved {escape(date_text(post.created_at, 'j M Y'))}"
    lines = "".join(
        line(
            p,
            back="history",
            urls=urls,
            csrf_field=csrf_field,
            reconnect_url=reconnect_url,
            zone=zone,
        )
        for p in post.publication_list
    )
    return (
        '<li class="card post-row">\n'
        '<div class="post-row-head">\n'
        f"{thumb}\n"
        '<div class="post-row-text">\n'
        f'<a href="{escape(post.url)}" class="post-title">'
        f"{escape(cut(post.text or '(photo post)', 140))}</a>\n"
        f'<span class="muted small">{when}</span>\n'
        "</div>\n</div>\n"
        f'<ul class="pubs">{lines}</ul>\n'
        "</li>\n"
    )
