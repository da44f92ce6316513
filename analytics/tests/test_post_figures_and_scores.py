"""Per-post figures on the post page, asset scores, the library sorted by them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import scores, selectors
from analytics.tests.factories import make_published
from assets.tests.factories import make_asset
from posting.tests.factories import make_page
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(tenant):
    return make_page(tenant, name="Trattoria Alba")


def detail(client, tenant, publication):
    return client.get(
        reverse(
            "posting:detail", kwargs={"tenant_slug": tenant.slug, "post_id": publication.post_id}
        )
    )


def test_the_post_page_shows_latest_figures_and_their_growth(owner_client, tenant, page):
    pub = make_published(
        tenant,
        page,
        at=timezone.now() - timedelta(days=2),
        reach=1000,
        engagement=80,
        points=("1h", "24h"),
    )
    body = detail(owner_client, tenant, pub).content.decode()
    assert "Figures" in body and "1,000" in body and "8.0 %" in body  # latest: reach, rate
    assert "1 hour" in body and "24 hours" in body and "500" in body  # the growth rows


def test_a_post_without_figures_says_so_never_zero(owner_client, tenant, page):
    pub = make_published(tenant, page, at=timezone.now(), available=False, points=("1h",))
    body = detail(owner_client, tenant, pub).content.decode()
    assert "Not available yet" in body
    fresh = make_published(tenant, page, at=timezone.now(), points=())
    assert "Not collected yet" in detail(owner_client, tenant, fresh).content.decode()


def test_the_post_pages_loaded_publications_are_not_read_again(tenant, page):
    """The post page has its publications and accounts (posting.selectors.post_parts_load):
    the figures read only the snapshots; a bare post reads its publications too."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from posting.models import Post
    from posting.selectors import post_parts_load

    pub = make_published(tenant, page, at=timezone.now(), reach=1000, points=("1h", "24h"))
    with tenant_scope(tenant):
        loaded = post_parts_load(post=Post.objects.get(pk=pub.post_id))
        with CaptureQueriesContext(connection) as queries:
            rows = selectors.post_figures(post=loaded)
        assert len(queries) == 1 and "analytics_metricsnapshot" in queries[0]["sql"]
        assert [(r.publication.pk, len(r.snapshots)) for r in rows] == [(pub.pk, 2)]
        assert rows[0].publication.account.name == "Trattoria Alba"
        with CaptureQueriesContext(connection) as queries:
            bare = selectors.post_figures(post=Post.objects.get(pk=pub.post_id))
        assert len(queries) == 3  # the post, its publications with accounts, the snapshots
        assert [(r.publication.pk, len(r.snapshots)) for r in bare] == [(pub.pk, 2)]


def test_another_restaurants_post_id_is_a_404(owner_client, tenant, other_tenant):
    theirs = make_published(other_tenant, make_page(other_tenant), at=timezone.now())
    assert detail(owner_client, tenant, theirs).status_code == 404


def test_asset_scores_rank_photos_by_engagement_per_post(tenant, page):
    now = timezone.now()
    star = make_asset(tenant, title="Star", width=64, height=64)
    plain = make_asset(tenant, title="Plain", width=64, height=64)
    unused = make_asset(tenant, title="Unused", width=64, height=64)
    make_published(tenant, page, at=now, asset=star, engagement=100)
    make_published(tenant, page, at=now, asset=star, engagement=60)
    make_published(tenant, page, at=now, asset=plain, engagement=20)
    make_published(tenant, page, at=now, asset=plain, available=False)  # no figures: not counted
    with tenant_scope(tenant):
        assert scores.asset_scores_refresh(tenant=tenant) == 2
        found = selectors.asset_scores(tenant=tenant)
    assert found == {star.pk: 1.0, plain.pk: 0.25}  # 80 per post against 20 per post
    assert unused.pk not in found


def test_the_library_sorts_by_best_engagement(owner_client, tenant, page):
    now = timezone.now()
    low = make_asset(tenant, title="Low", width=64, height=64)
    high = make_asset(tenant, title="High", width=64, height=64)
    make_asset(tenant, title="Never posted", width=64, height=64)
    make_published(tenant, page, at=now, asset=low, engagement=5)
    make_published(tenant, page, at=now, asset=high, engagement=50)
    with tenant_scope(tenant):
        scores.asset_scores_refresh(tenant=tenant)
    response = owner_client.get(
        reverse("assets:library", kwargs={"tenant_slug": tenant.slug}) + "?sort=engagement"
    )
    body = response.content.decode()
    assert "Best engagement" in body
    assert body.index("High") < body.index("Low") < body.index("Never posted")
