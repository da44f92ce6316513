"""The analytics page: figures, empty states, bad input, DST, isolation, query count, CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.tests.factories import make_daily, make_many, make_published
from assets.tests.factories import make_asset
from posting.tests.factories import make_page
from tenants.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(tenant):
    return make_page(tenant, name="Trattoria Alba")


def url(tenant, **query):
    base = reverse("analytics:dashboard", kwargs={"tenant_slug": tenant.slug})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_a_restaurant_without_posts_sees_what_to_do(owner_client, tenant):
    body = owner_client.get(url(tenant)).content.decode()
    assert "No figures yet" in body and reverse("social:accounts", args=[tenant.slug]) in body
    assert "analytics-data" not in body  # no charts without figures


def test_with_an_account_but_no_posts_the_call_to_action_is_the_composer(
    owner_client, tenant, page
):
    body = owner_client.get(url(tenant)).content.decode()
    assert "Write your first post" in body
    assert reverse("posting:new", args=[tenant.slug]) in body


def test_the_dashboard_shows_tiles_top_posts_photos_and_charts_data(owner_client, tenant, page):
    now = timezone.now()
    photo = make_asset(tenant, title="Risotto", width=80, height=80)
    best = make_published(
        tenant, page, at=now - timedelta(days=2), text="Our risotto", asset=photo, engagement=90
    )
    make_published(tenant, page, at=now - timedelta(days=3), text="Plain text", engagement=10)
    make_published(tenant, page, at=now - timedelta(days=40), engagement=20)  # previous period
    make_daily(tenant, page, day=now.date() - timedelta(days=1), followers=1200)
    response = owner_client.get(url(tenant, period="28"))
    body = response.content.decode()
    data = response.context["data"]
    assert [t.value for t in data.tiles][:3] == [2, 1000, 100]
    assert data.tiles[0].previous == 1 and data.tiles[0].change == 1.0  # 2 posts against 1
    assert "up 100 %" in body
    assert data.top_posts[0].publication == best and data.top_posts[0].thumb_url
    assert "Our risotto" in body and best.permalink in body
    assert f"{reverse('posting:new', args=[tenant.slug])}?asset={photo.pk}" in body  # use again
    assert data.photos[0].asset == photo and data.photos[0].engagement_per_post == 90
    assert 'id="analytics-data"' in body and "chart-activity" in body
    assert "Not enough data yet" in body  # three posts are too few for the heatmap
    assert response.context["chart_data"]["followers"][-2] == 1200


def test_a_post_without_figures_yet_says_not_available_never_zero(owner_client, tenant, page):
    make_published(tenant, page, at=timezone.now() - timedelta(days=1), available=False)
    response = owner_client.get(url(tenant))
    assert "not available yet" in response.content.decode()
    data = response.context["data"]
    assert data.tiles[1].value is None and data.tiles[2].value is None and data.waiting == 1


def test_best_time_heatmap_in_the_restaurants_zone(owner_client, tenant, page):
    tenant.timezone = "America/New_York"
    tenant.save()
    tz = ZoneInfo("America/New_York")
    monday_9 = datetime(2026, 11, 23, 9, 15, tzinfo=tz)  # 14:15 UTC
    for week in range(8):
        make_published(tenant, page, at=monday_9 - timedelta(weeks=week), engagement=80)
    make_published(tenant, page, at=monday_9 + timedelta(hours=5), engagement=5)
    data = owner_client.get(url(tenant, period="90")).context["data"]
    assert data.best_slots[0] == "Monday at 09:00"
    assert data.heatmap[0]["cells"][9]["posts"] == 8 and data.heatmap[0]["cells"][14]["posts"] == 1


def test_a_period_with_a_dst_change_counts_local_days(owner_client, tenant, page):
    tenant.timezone = "Europe/Rome"  # clocks go back on Sunday 25 October 2026
    tenant.save()
    rome = ZoneInfo("Europe/Rome")
    late = make_published(
        tenant, page, at=datetime(2026, 10, 25, 23, 30, tzinfo=rome), engagement=7
    )
    early = make_published(
        tenant, page, at=datetime(2026, 10, 26, 0, 30, tzinfo=rome), engagement=3
    )
    make_published(tenant, page, at=datetime(2026, 10, 24, 23, 59, tzinfo=rome), engagement=100)
    response = owner_client.get(url(tenant, period="custom", start="2026-10-25", end="2026-10-26"))
    data = response.context["data"]
    assert [d["day"] for d in data.days] == [date(2026, 10, 25), date(2026, 10, 26)]
    assert [d["engagement"] for d in data.days] == [7, 3]  # the 25-hour day is one day
    assert {r.publication for r in data.posts} == {late, early}
    utc = ZoneInfo("UTC")
    assert data.period.until.astimezone(utc) - data.period.since.astimezone(utc) == timedelta(
        hours=49
    )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"period": "custom", "start": "2026-10-26", "end": "2026-10-25"}, "comes before"),
        ({"period": "custom", "start": "2026-10-26"}, "Pick both"),
        ({"period": "custom", "start": "2020-01-01", "end": "2022-01-01"}, "at most a year"),
        ({"period": "custom", "start": "yesterday", "end": "2026-10-25"}, "Enter a valid date"),
        ({"period": "365"}, "Select a valid choice"),
    ],
)
def test_a_bad_period_says_why_and_shows_the_last_28_days(owner_client, tenant, page, query, words):
    response = owner_client.get(url(tenant, **query))
    assert response.status_code == 200 and words in response.content.decode()
    assert len(response.context["data"].period.days) == 28


def test_another_restaurants_account_in_the_filter_shows_nothing_of_it(
    owner_client, tenant, other_tenant, page
):
    theirs = make_page(other_tenant, name="Other place")
    make_published(other_tenant, theirs, at=timezone.now() - timedelta(days=1), text="Secret")
    mine = make_published(tenant, page, at=timezone.now() - timedelta(days=1), text="Mine")
    response = owner_client.get(url(tenant, show=f"account:{theirs.pk}"))
    body = response.content.decode()
    assert "Secret" not in body and "Select a valid choice" in body
    assert [r.publication for r in response.context["data"].posts] == [mine]


def test_filter_by_network_and_by_account(owner_client, tenant, page):
    from posting.tests.factories import make_instagram

    ig = make_instagram(tenant, page=page, name="alba.ig")
    now = timezone.now()
    fb_pub = make_published(tenant, page, at=now - timedelta(days=1))
    ig_pub = make_published(tenant, ig, at=now - timedelta(days=1))

    def posts(**q):
        return [r.publication for r in owner_client.get(url(tenant, **q)).context["data"].posts]

    assert posts(show="network:instagram") == [ig_pub]
    assert posts(show="network:facebook") == [fb_pub]
    assert posts(show=f"account:{ig.pk}") == [ig_pub]


def _queries(client, tenant) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url(tenant, period="90")).status_code == 200
    return len(captured)


def test_same_number_of_queries_for_10_and_1000_posts(owner_client, tenant, other_tenant, page):
    photo = make_asset(tenant, title="Dish", width=80, height=80)
    since = timezone.now() - timedelta(days=80)
    make_many(tenant, page, count=10, since=since, asset=photo)
    make_daily(tenant, page, day=since.date())
    few = _queries(owner_client, tenant)
    make_many(tenant, page, count=990, since=since + timedelta(minutes=11), asset=photo)
    many = _queries(owner_client, tenant)
    assert many == few
    with scopes_disabled():
        from posting.models import Publication

        assert Publication.objects.filter(tenant=tenant).count() == 1000


def test_csv_export_neutralises_formulas_and_keeps_figures(owner_client, tenant, page):
    now = timezone.now()
    texts = ['=HYPERLINK("http://x")', "+1 for pasta", "-5% off", "@everyone", "Plain"]
    for text in texts:
        make_published(tenant, page, at=now - timedelta(hours=5), text=text)
    make_published(tenant, page, at=now - timedelta(hours=4), text="Quiet", available=False)
    response = owner_client.get(
        reverse("analytics:export", kwargs={"tenant_slug": tenant.slug}) + "?period=7"
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, body = rows[0], rows[1:]
    text_col = header.index("Text")
    assert sorted(r[text_col] for r in body) == sorted(
        ['\'=HYPERLINK("http://x")', "'+1 for pasta", "'-5% off", "'@everyone", "Plain", "Quiet"]
    )
    quiet = next(r for r in body if r[text_col] == "Quiet")
    assert quiet[header.index("Reach")] == "" and quiet[-1] == "not available yet"
    plain = next(r for r in body if r[text_col] == "Plain")
    assert plain[header.index("Reach")] == "500" and plain[header.index("Interactions")] == "40"


def test_staff_see_the_page(staff_client, tenant):
    assert staff_client.get(url(tenant)).status_code == 200


def test_another_restaurants_owner_gets_a_404(outsider_client, tenant):
    assert outsider_client.get(url(tenant)).status_code == 404
    export = reverse("analytics:export", kwargs={"tenant_slug": tenant.slug})
    assert outsider_client.get(export).status_code == 404
