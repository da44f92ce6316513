"""The posts list's and the calendar's reads and markup, made cheaper (docs/performance.md,
"Pages"), give what the querysets and templates they replaced gave: the calendar's grid and
agenda byte for byte as the template's loops drew them, every value escaped; the statements'
rows as the ORM reads them, for this restaurant only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import Context, Template

from lib.pagination import page_with_total
from posting import selectors
from posting.models import Post, PostMedia, Publication
from posting.selectors import ChipPost, ChipPublication, HistoryFilters
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


# -- the posts list's reads --------------------------------------------------------------------
def _orm_listed(tenant, rows) -> list[selectors.PostListed]:
    """A page's publication lines and first photos as the querysets they replaced read them."""
    posts = [selectors.PostListed(*row) for row in rows]
    by_id = {post.pk: post for post in posts}
    for row in (
        Publication.objects.filter(tenant=tenant, post_id__in=list(by_id))
        .order_by("network", "id")
        .values_list(*selectors._LINE_FIELDS)
    ):
        *line, name, status = row
        by_id[row[1]].publication_list.append(
            selectors.PublicationLine(*line, selectors.AccountLine(name, status))
        )
    for post_id, asset_id in (
        PostMedia.objects.filter(tenant=tenant, post_id__in=list(by_id))
        .order_by("post_id", "position")
        .values_list("post_id", "asset_id")
    ):
        if by_id[post_id].first_asset_id is None:
            by_id[post_id].first_asset_id = asset_id
    return posts


@pytest.fixture
def many_posts(tenant, other_tenant):
    """45 posts here (publications in several states, photos on some), and posts of another
    restaurant made in between (their ids fall among ours)."""
    from assets.tests.factories import make_asset

    page = make_page(tenant, name="Trattoria <Alba>")
    ig = make_instagram(tenant, page=page)
    elsewhere = make_page(other_tenant)
    photos = [make_asset(tenant, title=f"Photo {n}") for n in range(3)]
    start = datetime(2026, 3, 1, tzinfo=UTC)
    states = [S.SCHEDULED, S.PUBLISHED, S.FAILED, S.HELD, S.CANCELLED]
    for n in range(45):
        at = None if n % 9 == 0 else start + timedelta(hours=n * 5)
        both = [(page, states[n % 5]), (ig, states[(n + 2) % 5])]
        post = _post(tenant, *both[: n % 2 + 1], text=f"Post {n} {HOSTILE}", at=at)
        if n % 2:
            _post(other_tenant, (elsewhere, S.SCHEDULED), text=f"Theirs {n}", at=at)
        with scopes_disabled():
            for position, photo in enumerate(photos[: n % 4]):
                PostMedia.objects.create(
                    tenant=tenant, post=post, asset=photo, position=(position + n) % 4
                )
    return page, ig


@pytest.mark.parametrize("size", [0, 1, 7, 20, 45])
def test_a_pages_lines_and_photos_are_the_ones_the_querysets_read(
    tenant, other_tenant, many_posts, size
):
    with tenant_scope(tenant):
        rows = list(
            selectors.post_history(tenant=tenant, filters=HistoryFilters()).values_list(
                *selectors.POST_LIST_FIELDS
            )[:size]
        )
        assert len(rows) == size
        listed = selectors.posts_listed(tenant=tenant, rows=rows)
        assert listed == _orm_listed(tenant, rows)
    assert sum(len(p.publication_list) for p in listed) >= size
    # A page of another restaurant's ids reads nothing of ours, and ours nothing of theirs.
    with tenant_scope(other_tenant):
        theirs = selectors.posts_listed(tenant=other_tenant, rows=rows)
    assert all(not p.publication_list and p.first_asset_id is None for p in theirs)


FILTERS = [
    HistoryFilters(),
    HistoryFilters(state=S.PUBLISHED),
    HistoryFilters(state=S.FAILED, network="instagram"),
    HistoryFilters(network="instagram"),
    HistoryFilters(state=S.NEEDS_RECONCILE),  # none
]


@pytest.mark.parametrize("filters", FILTERS)
def test_the_first_page_is_the_one_the_paginated_queryset_gives(
    tenant, other_tenant, many_posts, filters
):
    with tenant_scope(tenant):
        listed = selectors.post_history(tenant=tenant, filters=filters)
        expected = page_with_total(
            listed.values_list(*selectors.POST_LIST_FIELDS),
            per_page=selectors.LIST_PAGE,
            number=1,
        )
        first = selectors.posts_first_page(tenant=tenant, filters=filters)
    assert first == (expected.object_list, expected.paginator.count)
    with tenant_scope(other_tenant):
        rows, total = selectors.posts_first_page(tenant=other_tenant, filters=filters) or ([], 0)
    assert all(text.startswith("Theirs") for _, text, _, _ in rows)
    assert total == (22 if filters == HistoryFilters() else 0)  # one scheduled Page post each


@pytest.mark.parametrize(
    "filters",
    [
        HistoryFilters(q="Post"),
        HistoryFilters(account="5"),
        HistoryFilters(start=date(2026, 3, 2)),
        HistoryFilters(state=S.PUBLISHED, end=date(2026, 3, 2)),
    ],
)
def test_other_filters_are_left_to_the_queryset(tenant, filters):
    with tenant_scope(tenant):
        assert selectors.posts_first_page(tenant=tenant, filters=filters) is None


def test_the_posts_pages_read_as_before_on_every_page_and_filter(owner_client, tenant, many_posts):
    """The first page from the statement and the pages after it from the queryset: each post
    once, newest first, the count and pager right."""
    from django.urls import reverse

    url = reverse("posting:history", args=[tenant.slug])
    seen = []
    for number in ("", "2", "3"):
        html = owner_client.get(url, {"page": number} if number else {}).content.decode()
        assert "45 posts found." in html and f"Page {number or 1} of 3" in html
        seen += [n for n in range(45) if f">Post {n} &lt;script&gt;" in html]
        assert "<script>alert" not in html
    assert sorted(seen) == list(range(45)) and len(seen) == 45
    with tenant_scope(tenant):
        failed = selectors.post_history(tenant=tenant, filters=HistoryFilters(state=S.FAILED))
        count = failed.count()
    html = owner_client.get(url, {"page": "x", "state": S.FAILED}).content.decode()
    assert f"{count} posts found." in html and 'class="pager"' not in html
    html = owner_client.get(url, {"state": S.NEEDS_RECONCILE}).content.decode()
    assert "0 posts found." in html and "No post matches these filters." in html


# -- the composer's photos ---------------------------------------------------------------------
def _orm_media(tenant, asset_ids) -> list[selectors.MediaItem]:
    """The chosen photos as the querysets they replaced read them (the items made of them as
    the selector makes them)."""
    from assets.models import Asset, Rendition

    ids = [int(i) for i in asset_ids]
    assets = {a.pk: a for a in Asset.objects.filter(tenant=tenant, pk__in=ids)}
    renditions = {
        (r.asset_id, r.kind): r for r in Rendition.objects.filter(tenant=tenant, asset_id__in=ids)
    }
    return selectors._media_items(tenant, ids, assets, renditions)


def test_the_composers_photos_are_the_ones_the_querysets_read_in_order_for_this_restaurant(
    tenant, other_tenant
):
    from assets.models import Rendition
    from assets.tests.factories import make_asset

    ours = [make_asset(tenant, title=f"Dish {n}", width=64 + n, height=48) for n in range(23)]
    theirs = [make_asset(other_tenant, title="Theirs") for _ in range(2)]
    with scopes_disabled():  # a photo whose renditions are not all made yet
        Rendition.objects.filter(asset=ours[4], kind="instagram").delete()
    chosen = [
        *(ours[22].pk, ours[0].pk, ours[0].pk, theirs[0].pk, 10**9, ours[4].pk),
        *(a.pk for a in reversed(ours[5:21])),
        *(theirs[1].pk, ours[3].pk),
    ]  # more than one read's ids, repeated, missing and another restaurant's among them
    for asset_ids in (chosen, chosen[:1], [], [theirs[0].pk]):
        with tenant_scope(tenant):
            media = selectors.composer_media(tenant=tenant, asset_ids=asset_ids)
            assert media == _orm_media(tenant, asset_ids)
    with tenant_scope(tenant):
        media = selectors.composer_media(tenant=tenant, asset_ids=chosen)
    assert [m.asset.title for m in media[:3]] == ["Dish 22", "Dish 0", "Dish 4"]
    assert len(media) == 20 and media[-1].asset.pk == ours[3].pk
    assert media[2].instagram_url == "" and media[2].instagram_ratio == 1.0
    assert all(m.asset.tenant_id == tenant.pk for m in media)
    with tenant_scope(other_tenant):
        media = selectors.composer_media(tenant=other_tenant, asset_ids=chosen)
    assert [m.asset.pk for m in media] == [theirs[0].pk, theirs[1].pk]


# -- a post, by its id -------------------------------------------------------------------------
def _outcome(find, id):
    from django.http import Http404

    try:
        found = find(id)
    except Http404:
        return "404"
    return (found.pk, found.text, found.scheduled_at, found.tenant_id)


def test_a_post_is_found_as_access_in_tenant_finds_it_and_others_are_404(tenant, other_tenant):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from posting.access import access_post
    from tenants.access import access_in_tenant

    page = make_page(tenant)
    ours = _post(tenant, (page, S.SCHEDULED), text="Ours", at=datetime(2026, 3, 1, tzinfo=UTC))
    theirs = _post(other_tenant, text="Theirs", at=None)
    ids = [
        *(ours.pk, str(ours.pk), f" {ours.pk} ", f"+{ours.pk}", theirs.pk, str(theirs.pk)),
        *(10**9, -1, 0, 2**63, -(2**63) - 1, 2**70, "", "abc", "1.5", "12abc", f"{ours.pk}.0"),
    ]
    with tenant_scope(tenant):
        for id in ids:
            expected = _outcome(
                lambda i: access_in_tenant(Post.objects.all(), tenant=tenant, id=i, what="post"),
                id,
            )
            assert _outcome(lambda i: access_post(tenant=tenant, id=i), id) == expected, id
        with CaptureQueriesContext(connection) as queries:
            found = access_post(tenant=tenant, id=ours.pk)
            assert found.tenant is tenant and found.tenant.name == tenant.name
        assert len(queries) == 1
        with transaction.atomic():
            locked = access_post(tenant=tenant, id=ours.pk, lock=True)
        assert locked.pk == ours.pk and locked.tenant is tenant
        found_by = [_outcome(lambda i: access_post(tenant=tenant, id=i), id) for id in ids[:6]]
    assert [outcome[0] for outcome in found_by[:4]] == [ours.pk] * 4  # its id, as a number or text
    assert found_by[4:] == ["404", "404"]  # another restaurant's
    with tenant_scope(other_tenant):
        assert _outcome(lambda i: access_post(tenant=other_tenant, id=i), theirs.pk)[1] == "Theirs"
        assert _outcome(lambda i: access_post(tenant=other_tenant, id=i), ours.pk) == "404"


# -- the post page -----------------------------------------------------------------------------
# The post page's loops as the template wrote them over the parts left on the post, before it
# read them from plain lists (`selectors.post_page`).
_OLD_POST_PARTS = Template(
    '{% load posting %}<ul class="pubs">{% for p in post.publications.all %}'
    '{% publication_line p "detail" %}{% endfor %}</ul>\n'
    '{% for p in post.publications.all %}{% if p.state == "failed" or p.state == "held" or '
    'p.state == "scheduled" %}<form id="reschedule-{{ p.pk }}">{{ p.account.name }}</form>\n'
    "{% endif %}{% endfor %}{% if post.media_items.all %}\n"
    "<ul>{% for m in post.media_items.all %}<li>{% if m.asset %}{{ m.asset_id }} {{ m.asset.title }}"
    "{% else %}A photo that was deleted{% endif %}</li>{% endfor %}</ul>\n{% endif %}"
    "{% for p in post.publications.all %}{% if p.attempts.all %}\n"
    "  <h2>Attempts on {{ p.account.name }}</h2>{% for a in p.attempts.all %}"
    '<li>{{ a.started_at|date:"j M, H:i:s" }}: {{ a.get_outcome_display }}{% if a.detail %}.'
    " {{ a.detail }}{% endif %}</li>{% endfor %}\n  {% endif %}{% endfor %}"
)
_NEW_POST_PARTS = Template(
    '{% load posting %}<ul class="pubs">{% for p in publications %}'
    '{% publication_line p "detail" %}{% endfor %}</ul>\n'
    '{% for p in publications %}{% if p.state == "failed" or p.state == "held" or '
    'p.state == "scheduled" %}<form id="reschedule-{{ p.pk }}">{{ p.account.name }}</form>\n'
    "{% endif %}{% endfor %}{% if media %}\n"
    "<ul>{% for m in media %}<li>{% if m.asset %}{{ m.asset_id }} {{ m.asset.title }}"
    "{% else %}A photo that was deleted{% endif %}</li>{% endfor %}</ul>\n{% endif %}"
    "{% for p, attempts in attempt_lists %}\n"
    "  <h2>Attempts on {{ p.account.name }}</h2>{% for a in attempts %}"
    '<li>{{ a.started_at|date:"j M, H:i:s" }}: {{ a.get_outcome_display }}{% if a.detail %}.'
    " {{ a.detail }}{% endif %}</li>{% endfor %}\n  {% endfor %}"
)


@pytest.mark.parametrize("shape", ["full", "bare"])
def test_the_post_pages_parts_read_as_the_template_drew_them_from_the_post(tenant, shape):
    from assets.tests.factories import make_asset
    from posting.access import access_post
    from posting.models import PublishAttempt

    page = make_page(tenant, name="Trattoria <Alba>")
    ig = make_instagram(tenant, page=page, name='alba "ig"')
    at = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    if shape == "full":
        post = _post(tenant, (page, S.FAILED), (ig, S.SCHEDULED), text=HOSTILE, at=at)
        photos = [make_asset(tenant, title=HOSTILE), make_asset(tenant, title="Second")]
        with scopes_disabled():
            failed = Publication.objects.get(post=post, account=page)
            for n, outcome in enumerate(["failed", "retry", "published"]):
                PublishAttempt.objects.create(
                    tenant=tenant, publication=failed, number=n + 1, outcome=outcome,
                    started_at=at + timedelta(minutes=n), detail=HOSTILE if n else "",
                )  # fmt: skip
            for position, photo in enumerate(photos):
                PostMedia.objects.create(tenant=tenant, post=post, asset=photo, position=position)
            photos[0].delete()  # a photo deleted from the library since
    else:
        post = _post(tenant, text="", at=None)
    context = {"tenant": tenant, "csrf_token": "tok"}
    with tenant_scope(tenant):
        old = _OLD_POST_PARTS.render(
            Context(
                {
                    **context,
                    "post": selectors.post_parts_load(post=access_post(tenant=tenant, id=post.pk)),
                }
            )
        )
        read = selectors.post_page(post=access_post(tenant=tenant, id=post.pk))
        lists = {"publications": read.publications, "attempt_lists": read.attempt_lists}
        new = _NEW_POST_PARTS.render(Context({**context, **lists, "media": read.media}))
        assert new == old
        assert read.post.publications.all()[:] == read.publications  # left for the figures
    if shape == "full":
        assert new.count("<li>") == 5 and "A photo that was deleted" in new
        assert "Attempts on Trattoria &lt;Alba&gt;" in new and "<script>" not in new
        assert [len(a) for _, a in read.attempt_lists] == [3]
    else:
        assert read.publications == read.media == read.attempt_lists == []


# -- the posts list's filter -------------------------------------------------------------------
# The loop history.html drew the filter's fields with before templates/posting/_filter_fields.html.
_OLD_FILTER = Template(
    "{% for field in form %}\n"
    '    <div class="field"><label for="{{ field.id_for_label }}">{{ field.label }}</label>'
    "{{ field }}</div>\n"
    "    {% endfor %}"
)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "state=published&network=instagram",
        "q=<script>alert('x')</script>&start=2026-03-01&end=not-a-date",
        'account=a1&state="><b>&page=2',
    ],
)
def test_the_filter_fields_are_the_template_loops_byte_for_byte(query):
    from django.http import QueryDict

    from posting.views.history import HistoryFilterForm, _unbound_fields, filter_fields

    accounts = [("a1", 'Trattoria "<da>" Maria & Co'), ("a2", "@maria's <script>x</script>")]
    data = QueryDict(query) if query else None
    form = HistoryFilterForm(data, accounts=accounts)
    markup = filter_fields(form)
    assert markup == _OLD_FILTER.render(Context({"form": form}))
    assert "<script>" not in markup and "Trattoria &quot;&lt;da&gt;&quot; Maria &amp; Co" in markup
    if not query:  # the list as it opens: drawn once per list of accounts
        assert _unbound_fields(tuple(accounts)) == markup
        assert _unbound_fields(tuple(accounts)) is _unbound_fields(tuple(accounts))
        assert _unbound_fields((*accounts, ("a3", "Third"))) != markup


# -- the pages' links --------------------------------------------------------------------------
def test_each_link_is_the_restaurants_as_reverse_gives_it():
    from django.urls import reverse, set_script_prefix

    from posting import links

    for slug in ("alba", "bruno"):
        urls = links.of_restaurant(slug)
        kwargs = {"tenant_slug": slug}
        assert dict(urls.pages) == {
            short: reverse(name, kwargs=kwargs) for short, name in links._PAGES.items()
        }
        assert urls.detail(7) == reverse("posting:detail", kwargs={**kwargs, "post_id": 7})
        assert urls.edit(7) == reverse("posting:edit", kwargs={**kwargs, "post_id": 7})
        assert urls.cancel(7) == reverse("posting:cancel", kwargs={**kwargs, "post_id": 7})
        assert urls.thumb(9) == reverse(
            "assets:asset_file", kwargs={**kwargs, "asset_id": 9, "kind": "thumb"}
        )
        for name, action in [
            ("retry", "retry"),
            ("publish_now", "publish-now"),
            ("cancel_publication", "cancel"),
        ]:
            assert getattr(urls, name)(5) == reverse(
                "posting:publication_action",
                kwargs={**kwargs, "publication_id": 5, "action": action},
            )
        assert links.of_restaurant(slug) is urls  # once per process
    set_script_prefix("/under/")  # an app served below a path has its own
    try:
        assert links.of_restaurant("alba").pages["history"].startswith("/under/")
    finally:
        set_script_prefix("/")
