"""The calendar's read and markup, made cheaper (docs/performance.md, "Pages"), give what the
queryset and template they replaced gave: the grid and agenda byte for byte as the template's
loops drew them, every value escaped; the statement's rows as the ORM reads them, for this
restaurant only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.template import Context, Template

from posting import selectors
from posting.models import Post, Publication
from posting.selectors import ChipPost, ChipPublication
from posting.tests.factories import make_instagram, make_page
from posting.views.calendar import Chip, Day, agenda_html, weeks_html
from social.models import SocialAccount
from tenants.scoping import scopes_disabled, tenant_scope

S = Publication.State
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


# -- the calendar's markup ---------------------------------------------------------------------
# The template's loops as they were before the grid and agenda were drawn in one piece.
_OLD_WEEKS = Template(
    "{% for week in weeks %}\n"
    '  <div class="cal-week">\n'
    "    {% for d in week %}{{ d.cell }}{% endfor %}\n"
    "  </div>\n"
    "  {% endfor %}"
)
_OLD_AGENDA = Template("{% for d in agenda %}{{ d.agenda }}{% endfor %}")


def _chip(n: int, text: str, *, state: str = "scheduled", movable: bool = True) -> Chip:
    return Chip(
        post=ChipPost(n, text, datetime(2026, 3, 2, 18, n % 60, tzinfo=UTC), []),
        local=datetime(2026, 3, 2, 19, n % 60, tzinfo=UTC),
        state=state,
        words=HOSTILE if n % 3 == 0 else "Scheduled",
        networks=[["facebook"], ["facebook", "instagram"], []][n % 3],
        movable=movable,
        url=f'/p/{n}/?a=1&b="{n}"',
    )


def _days() -> list[Day]:
    days = []
    for n in range(14):
        chips = [
            _chip(n * 10 + k, f"{HOSTILE} {k}" * (k + 1), movable=k != 1) for k in range(n % 4)
        ]
        days.append(
            Day(
                date(2026, 3, 2) + timedelta(days=n),
                in_month=n % 5 != 0,
                is_today=n == 3,
                chips=chips,
                iso=f"2026-03-{n + 2:02d}",
                label=f"{HOSTILE} {n}",
                add_url=f"/new/?date=2026-03-{n + 2:02d}&x=<y>" if n > 2 else "",
            )
        )
    return days


def test_the_grid_reads_as_the_templates_loop_drew_it_every_value_escaped():
    days = _days()
    weeks = [days[:7], days[7:]]
    drawn = str(weeks_html(weeks))
    assert drawn == _OLD_WEEKS.render(Context({"weeks": weeks}))
    assert "<script>" not in drawn and "&lt;script&gt;alert(&quot;x&quot;)" in drawn
    assert "&#x27;quoted&#x27;" in drawn and 'href="/p/10/?a=1&amp;b=&quot;10&quot;"' in drawn
    assert str(weeks_html([])) == _OLD_WEEKS.render(Context({"weeks": []})) == ""


def test_the_agenda_reads_as_the_templates_loop_drew_it():
    days = [d for d in _days() if d.chips]
    drawn = str(agenda_html(days))
    assert drawn == _OLD_AGENDA.render(Context({"agenda": days}))
    assert "<script>" not in drawn and drawn.count('class="chip-state"') == sum(
        len(d.chips) for d in days
    )


def test_a_chip_and_a_day_drawn_alone_are_the_same_markup():
    chip, day = _chip(3, HOSTILE), _days()[5]
    assert str(chip.grid) in str(Day(date(2026, 3, 2), True, False, chips=[chip]).cell)
    assert str(chip.line) in str(Day(date(2026, 3, 2), True, False, chips=[chip]).agenda)
    assert str(day.cell) == day._cell() and str(day.agenda) == day._agenda()


# -- the calendar's read -----------------------------------------------------------------------
def _post(tenant, *publications: tuple[SocialAccount, str], text: str, at) -> Post:
    """A post with a publication to each account given, in the state given."""
    with scopes_disabled():
        post = Post.objects.create(tenant=tenant, text=text, scheduled_at=at)
        for account, state in publications:
            instagram = account.kind == SocialAccount.Kind.INSTAGRAM
            Publication.objects.create(
                tenant=tenant,
                post=post,
                account=account,
                network="instagram" if instagram else "facebook",
                shape="ig_image" if instagram else "fb_text",
                state=state,
            )
    return post


def _orm_chips(tenant, start, end) -> list[ChipPost]:
    """The calendar's posts as the queryset it replaced read them (posts, then their
    publications by the posts' ids)."""
    posts = list(
        Post.objects.filter(tenant=tenant, scheduled_at__gte=start, scheduled_at__lt=end)
        .order_by("scheduled_at", "id")
        .values_list("id", "text", "scheduled_at")
    )
    publications: dict[int, list[ChipPublication]] = {pk: [] for pk, _, _ in posts}
    for post_id, state, network in (
        Publication.objects.filter(tenant=tenant, post_id__in=list(publications))
        .order_by("network", "id")
        .values_list("post_id", "state", "network")
    ):
        publications[post_id].append(ChipPublication(state, network))
    return [ChipPost(pk, text, when, publications[pk]) for pk, text, when in posts]


def test_the_calendars_posts_are_the_ones_the_queryset_read_for_this_restaurant_only(
    tenant, other_tenant
):
    page = make_page(tenant)
    ig = make_instagram(tenant, page=page)
    elsewhere = make_page(other_tenant)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(6):
        at = start + timedelta(days=n * 7, hours=n)  # some before, inside and after the range
        ours = [(page, S.SCHEDULED), (ig, S.FAILED)][: n % 2 + 1]
        _post(tenant, *ours, text=f"Ours {n}", at=at)
        _post(tenant, (ig, S.PUBLISHED), text=f"Photo {n}", at=at)
        _post(other_tenant, (elsewhere, S.SCHEDULED), text=f"Theirs {n}", at=at)
    _post(tenant, text="No publications", at=start + timedelta(days=2))
    end = start + timedelta(days=28)
    with tenant_scope(tenant):
        chips = selectors.calendar_posts(tenant=tenant, start=start + timedelta(days=1), end=end)
        assert chips == _orm_chips(tenant, start + timedelta(days=1), end)
    assert [c.text for c in chips] == [
        *("No publications", "Ours 1", "Photo 1", "Ours 2", "Photo 2", "Ours 3", "Photo 3"),
    ]
    assert chips[0].publication_list == []
    assert chips[1].publication_list == [
        ChipPublication(S.SCHEDULED, "facebook"),
        ChipPublication(S.FAILED, "instagram"),
    ]
    assert chips[2].publication_list == [ChipPublication(S.PUBLISHED, "instagram")]
    with tenant_scope(other_tenant):
        theirs = selectors.calendar_posts(tenant=other_tenant, start=start, end=end)
    assert {c.text.split()[0] for c in theirs} == {"Theirs"} and len(theirs) == 4
    assert all(c.publication_list == [ChipPublication(S.SCHEDULED, "facebook")] for c in theirs)
