"""The inbox list's rows, drawn in Python: the markup of one thread's row lives here.

The list shows a page of threads (50), on the inbox and next to every open thread; through the
template engine each row's dozen values cost a variable lookup, a localisation check and an
escape each, and the rows cost more than the rest of the page (docs/performance.md, "Pages").
As for the library's tiles (assets/tiles.py), a row is one f-string and every value is escaped
with `html.escape` (what Django's ``escape`` does; through lib/display.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from lib.display import escape
from lib.urls import reverse_many
from webhooks.models import Conversation
from webhooks.selectors import ThreadRow


def when(at: datetime, zone: tzinfo, current: tzinfo | None = None) -> tuple[str, str]:
    """``at`` as ``|date:'c'`` writes it (in the current zone: ``current``, looked up when not
    given) and as ``|timezone:zone|date:"j M, H:i"``. On portal pages the current zone is the
    restaurant's, so the one conversion serves both."""
    local = at.astimezone(zone)
    current = current or timezone.get_current_timezone()
    shown = local if current is zone else at.astimezone(current)
    return shown.isoformat(), f"{local.day} {local:%b}, {local:%H:%M}"


def row(
    t: ThreadRow,
    *,
    url: str,
    current: bool,
    zone: tzinfo,
    networks: dict[str, str],
    current_zone: tzinfo | None = None,
) -> str:
    """One thread (as `webhooks.selectors.inbox_threads` gives it): its network, title, last
    message and time, flags and account. ``networks``: each network's name (`network_names`)."""
    iso, local = when(t.last_message_at, zone, current_zone) if t.last_message_at else ("", "")
    network = escape(networks.get(t.network, t.network))
    flags = "".join(
        badge
        for on, badge in (
            (t.unread, '<span class="badge badge-warn">Unread</span>'),
            (t.needs_human, '<span class="badge badge-bad">Needs a person</span>'),
            (t.done, '<span class="badge badge-ok">Done</span>'),
        )
        if on
    )
    comments = '<span class="badge">Comments</span> ' if t.is_comments else ""
    marked = ' aria-current="page"' if current else ""
    return (
        f'<li class="inbox-item{" is-unread" if t.unread else ""}'
        f'{" is-current" if current else ""}">\n'
        f'<a href="{escape(url)}"{marked}>\n'
        f'<span class="net net-{escape(t.network)}" title="{network}">'
        f'<span class="sr-only">{network}</span></span>\n'
        f'<span class="inbox-item-body">\n'
        f'<span class="inbox-item-top"><strong class="inbox-item-title">{escape(t.title)}</strong>'
        f' <time datetime="{iso}">{local}</time></span>\n'
        f'<span class="inbox-item-text">{comments}{escape(t.last_message_text or "—")}</span>\n'
        f'<span class="inbox-item-flags">{flags} <span class="muted">{escape(t.account_name)}</span>'
        f"</span>\n</span>\n</a>\n</li>\n"
    )


def rows(threads: Iterable[ThreadRow], *, tenant, current_id: str, query: str = "") -> SafeString:
    """The list's rows in order (each thread's link reversed once for all). ``query``: the
    list's own (filters, page), kept by each link so that the list stays as it was."""
    thread_link = reverse_many(
        "webhooks:thread", vary="conversation_id", kwargs={"tenant_slug": tenant.slug}
    )
    suffix = f"?{query}" if query else ""

    def link(pk: object) -> str:
        return thread_link(pk) + suffix

    zone, networks = tenant.tzinfo, network_names()
    current_zone = timezone.get_current_timezone()
    return mark_safe(  # noqa: S308 - every value in `row` is escaped
        "".join(
            row(
                t,
                url=link(t.pk),
                current=current_id == str(t.pk),
                zone=zone,
                networks=networks,
                current_zone=current_zone,
            )
            for t in threads
        )
    )


def network_names() -> dict[str, str]:
    """Each network's name in the active language (``get_network_display`` looks the choices
    up again for every row)."""
    return {value: str(label) for value, label in Conversation.Network.choices}
