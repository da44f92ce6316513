"""The content calendar: a month or a week of posts in the restaurant's zone, drag a scheduled
post to another day to move it (keeping its time), or open it to reschedule by keyboard."""

from __future__ import annotations

import functools
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from lib.display import cut, escape
from posting import links, selectors, services
from posting.access import access_post
from posting.models import Publication
from posting.rules import PostRefused
from posting.templatetags.posting import net_icon
from tenants.http import TenantRequest

S = Publication.State
# The chip's colour: the state that most needs the owner wins.
STATE_ORDER = [S.FAILED, S.HELD, S.NEEDS_RECONCILE, S.PUBLISHING, S.SCHEDULED, S.PUBLISHED]
STATE_WORDS: dict[str, str] = {
    S.FAILED: "Failed",
    S.HELD: "On hold",
    S.NEEDS_RECONCILE: "Being checked",
    S.PUBLISHING: "Publishing",
    S.SCHEDULED: "Scheduled",
    S.PUBLISHED: "Published",
    S.CANCELLED: "Cancelled",
}


@dataclass
class Chip:
    post: selectors.ChipPost
    local: datetime
    state: str
    words: str
    networks: list[str]
    movable: bool
    url: str = ""

    # A chip's markup, drawn here rather than in the template: a month holds about a hundred
    # chips, each shown twice, and through the template engine their values cost more than the
    # rest of the page (docs/performance.md, "Pages"). Every value is escaped.
    @property
    def grid(self) -> SafeString:
        """The chip in the month or week grid (draggable when it can move)."""
        return mark_safe(self._drawn[0])  # noqa: S308 - every value is escaped

    @property
    def line(self) -> SafeString:
        """The chip in the agenda under the grid."""
        return mark_safe(self._drawn[1])  # noqa: S308 - every value is escaped

    @cached_property
    def _drawn(self) -> tuple[str, str]:
        """(the grid's chip, the agenda's line): their shared parts escaped once, and plain
        text (marked safe once per page, not per chip: docs/performance.md, "Pages")."""
        state, url = escape(self.state), escape(self.url)
        words = escape(self.words)
        at = f"{self.local.hour:02d}:{self.local.minute:02d}"
        icons = _icons(tuple(self.networks))
        drag = f' draggable="true" data-post-id="{int(self.post.pk)}"' if self.movable else ""
        return (
            f'<li><a class="chip state-{state}" href="{url}"{drag}>\n'
            f'<span class="chip-time">{at}</span>\n{icons}\n'
            f'<span class="chip-text">{escape(self._text(40))}</span>\n'
            f'<span class="sr-only">, {words}</span>\n</a></li>\n',
            f'<li><a class="chip state-{state}" href="{url}">'
            f'<span class="chip-time">{at}</span>{icons}'
            f'<span class="chip-text">{escape(self._text(60))}</span>'
            f'<span class="chip-state">{words}</span></a></li>',
        )

    def _text(self, length: int) -> str:
        """The text cut to ``length`` characters with an ellipsis, as ``truncatechars`` cuts it
        (lib/display.py)."""
        return cut(self.post.text or "Photo post", length)


@functools.cache
def _icons(networks: tuple[str, ...]) -> str:
    """The chip's network marks (a few combinations, drawn once per process)."""
    return "".join(str(net_icon(n, 12)) for n in networks)


@dataclass
class Day:
    day: date
    in_month: bool
    is_today: bool
    chips: list[Chip] = field(default_factory=list)
    iso: str = ""
    label: str = ""  # "Monday 3 March"
    add_url: str = ""  # "New post on this day", for today and later

    # A day's markup is drawn here too: a month shows 35 or 42 of them, and a dozen template
    # values each cost more than the chips they hold (docs/performance.md, "Pages").
    @property
    def cell(self) -> SafeString:
        """The day in the month or week grid, with its chips."""
        return mark_safe(self._cell())  # noqa: S308 - every value is escaped

    @property
    def agenda(self) -> SafeString:
        """The day in the agenda under the grid: its name and its chips as lines."""
        return mark_safe(self._agenda())  # noqa: S308 - every value is escaped

    def _cell(self) -> str:
        classes = "cal-day" + (" is-other" if not self.in_month else "")
        classes += " is-today" if self.is_today else ""
        label = escape(self.label)
        add = ""
        if self.add_url:
            add = (
                f'<a class="cal-add" href="{escape(self.add_url)}" '
                f'aria-label="New post on {label}">+</a>'
            )
        if self.is_today:
            label += ", today"
        return (
            f'<section class="{classes}" data-date="{escape(self.iso)}" aria-label="{label}">\n'
            f'<div class="cal-day-head">\n<span class="cal-date">{self.day.day}</span>\n{add}\n'
            f'</div>\n<ul class="chips">\n{"".join(c._drawn[0] for c in self.chips)}</ul>\n'
            "</section>\n"
        )

    def _agenda(self) -> str:
        today = " is-today" if self.is_today else ""
        return (
            f'<h3 class="agenda-day{today}">{escape(self.label)}'
            f"{' · Today' if self.is_today else ''}</h3>\n"
            f'<ul class="chips">{"".join(c._drawn[1] for c in self.chips)}</ul>\n'
        )


def weeks_html(weeks: list[list[Day]]) -> SafeString:
    """The grid's weeks, as the template's loop over them wrote each (its line breaks and
    indents kept; posting/tests/test_calendar_html.py compares the two)."""
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            f'\n  <div class="cal-week">\n    {"".join(d._cell() for d in week)}\n  </div>\n  '
            for week in weeks
        )
    )


def agenda_html(days: list[Day]) -> SafeString:
    """The agenda's days with chips, as the template's loop over them wrote each."""
    return mark_safe("".join(d._agenda() for d in days))  # noqa: S308 - every value is escaped


def post_state(post: selectors.ChipPost) -> str:
    states = {p.state for p in post.publication_list}
    for state in STATE_ORDER:
        if state in states:
            return state
    return S.CANCELLED


def _chip(post: selectors.ChipPost, zone, *, detail_url: Callable[[int], str]) -> Chip:
    assert post.scheduled_at is not None  # the calendar only shows posts with a time
    state = post_state(post)
    publications = post.publication_list
    local = post.scheduled_at.astimezone(zone)
    networks = sorted({p.network for p in publications if p.state != S.CANCELLED})
    return Chip(
        post=post,
        local=local,
        state=state,
        words=STATE_WORDS.get(state, ""),
        networks=networks,
        movable=bool(publications)
        and all(p.state in (S.SCHEDULED, S.HELD, S.CANCELLED) for p in publications)
        and any(p.state != S.CANCELLED for p in publications),
        url=detail_url(post.pk),
    )


def _parse_month(value: str, today: date) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date().replace(day=1)
    except ValueError:
        return today.replace(day=1)


def _parse_day(value: str, today: date) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return today


@require_GET
def month(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    tenant = request.tenant
    zone = tenant.tzinfo
    today = timezone.now().astimezone(zone).date()
    view = "week" if request.GET.get("view") == "week" else "month"
    if view == "week":
        anchor = _parse_day(request.GET.get("week", ""), today)
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        title = f"Week of {first:%-d %B %Y}"
        prev_q = f"view=week&week={first - timedelta(days=7):%Y-%m-%d}"
        next_q = f"view=week&week={first + timedelta(days=7):%Y-%m-%d}"
        month_start = first
    else:
        month_start = _parse_month(request.GET.get("month", ""), today)
        days_in = monthrange(month_start.year, month_start.month)[1]
        first = month_start - timedelta(days=month_start.weekday())
        month_end = month_start.replace(day=days_in)
        last = month_end + timedelta(days=6 - month_end.weekday())
        title = f"{month_start:%B %Y}"
        prev_month = (month_start - timedelta(days=1)).replace(day=1)
        next_month = month_end + timedelta(days=1)
        prev_q, next_q = f"month={prev_month:%Y-%m}", f"month={next_month:%Y-%m}"
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    urls = links.of_restaurant(tenant.slug)
    new_url = urls.pages["new"]
    days = {}
    cursor = first
    while cursor <= last:
        in_month = view == "week" or cursor.month == month_start.month
        iso = cursor.isoformat()
        days[cursor] = Day(
            cursor,
            in_month,
            cursor == today,
            iso=iso,
            label=cursor.strftime(f"%A {cursor.day} %B"),
            add_url=f"{new_url}?date={iso}" if cursor >= today else "",
        )
        cursor += timedelta(days=1)
    for post in selectors.calendar_posts(tenant=tenant, start=start, end=end):
        chip = _chip(post, zone, detail_url=urls.detail)
        if chip.local.date() in days and chip.state != S.CANCELLED:
            days[chip.local.date()].chips.append(chip)
    ordered = list(days.values())
    context = {
        "links": urls.pages,
        "view": view,
        "title": title,
        "weeks": weeks_html([ordered[i : i + 7] for i in range(0, len(ordered), 7)]),
        "agenda": agenda_html([d for d in ordered if d.chips]),
        "prev_q": prev_q,
        "next_q": next_q,
        "today": today,
        "zone": tenant.timezone,
        "weekday_names": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    }
    return TemplateResponse(request, "posting/calendar.html", context)


def _month_of(request: TenantRequest, day: date) -> str:
    return reverse("calendar:month", args=[request.tenant.slug]) + f"?month={day:%Y-%m}"


@require_POST
def move(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Move a scheduled post to another day (dragged on the calendar), keeping its time of day
    unless a time is given. Answers JSON for the calendar's script, a redirect otherwise."""
    tenant = request.tenant
    post = access_post(tenant=tenant, id=request.POST.get("post_id", ""))
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        day = datetime.strptime(request.POST.get("date", ""), "%Y-%m-%d").date()
        local = post.scheduled_at.astimezone(tenant.tzinfo) if post.scheduled_at else None
        at = (
            datetime.strptime(request.POST["time"], "%H:%M").time()
            if request.POST.get("time")
            else (local.time().replace(tzinfo=None) if local else time(19, 0))
        )
    except ValueError:
        refused = PostRefused("Pick a day (and a time) to move it to.", code="no_time")
    else:
        try:
            result = services.post_reschedule(post=post, when=datetime.combine(day, at))
        except PostRefused as error:
            refused = error
        else:
            text = f"Moved to {day:%A %-d %B} at {at:%H:%M}."
            messages.success(request, text)  # shown after the calendar reloads
            for note in result.notes:
                messages.warning(request, note)
            if wants_json:
                return JsonResponse({"ok": True, "message": " ".join([text, *result.notes])})
            return redirect(_month_of(request, day))
    if wants_json:
        return JsonResponse({"ok": False, "message": refused.sentence}, status=400)
    messages.error(request, refused.sentence)
    return redirect("calendar:month", tenant_slug=tenant.slug)
