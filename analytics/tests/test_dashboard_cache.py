"""The dashboard's cache (docs/analytics.md, "Dashboard cache"): a second visit reads the page
from the cache, and every change to what the page shows makes a fresh one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.models import MetricSnapshot
from analytics.tests.factories import make_daily, make_published
from assets.models import AssetTag, Folder, Tag
from assets.services import assets_move
from assets.tests.factories import make_asset
from posting import states
from posting.models import Publication
from posting.tests.factories import make_page
from tenants.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["postgresql", "portable"], autouse=True)
def version(request, monkeypatch):
    """Every test runs with the one-query version (PostgreSQL) and with the portable one that
    the embedded SQLite default uses (`make run` on a laptop)."""
    from analytics import selectors

    if request.param == "portable":
        monkeypatch.setattr(selectors, "dashboard_version", selectors._dashboard_version_portable)
    return request.param


@pytest.fixture
def page(tenant):
    return make_page(tenant, name="Trattoria Alba")


def _get(client, tenant, query: str = "period=28"):
    url = reverse("analytics:dashboard", kwargs={"tenant_slug": tenant.slug})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{url}?{query}")
    assert response.status_code == 200
    return response, len(queries)


def _content(response) -> str:
    """The page's main part (the layout around it carries a fresh CSRF token and nonce)."""
    return re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)


def test_a_second_visit_is_served_from_the_cache_with_the_same_page(owner_client, tenant, page):
    now = timezone.now()
    make_published(tenant, page, at=now - timedelta(days=2), text="Our risotto", engagement=90)
    first, first_queries = _get(owner_client, tenant)
    second, second_queries = _get(owner_client, tenant)
    assert _content(second) == _content(first)
    assert first.context["data"].tiles[2].value == 90
    with pytest.raises(KeyError):  # the cached visit computed nothing: only the page around it
        second.context["data"]
    # The charts' scripts come with the cached content too (the one fact kept beside it).
    for response in (first, second):
        assert "chart.umd-4.5.1.min.js" in response.content.decode()
    assert second_queries <= first_queries - 8  # the nine dashboard queries became one
    other, _ = _get(owner_client, tenant, "period=7")  # another period is another page
    assert other.context["data"].period.days != first.context["data"].period.days


def test_each_change_to_what_the_page_shows_makes_a_fresh_page(owner_client, tenant, page):
    now = timezone.now()
    photo = make_asset(tenant, title="Risotto", width=80, height=80)
    publication = make_published(
        tenant, page, at=now - timedelta(days=2), text="Our risotto", asset=photo, engagement=90
    )

    def shown() -> str:
        return _get(owner_client, tenant)[0].content.decode()

    body = shown()
    assert "Trattoria Alba" in body and "Risotto" in body
    with scopes_disabled():
        # A new collection point (snapshots are only ever added).
        MetricSnapshot.objects.create(
            tenant=tenant,
            publication=publication,
            point="7d",
            collected_at=now - timedelta(hours=1),
            views=900,
            reach=700,
            engagement=333,
        )
        assert ">333<" in shown()
        # One taken away by an operator.
        MetricSnapshot.objects.filter(publication=publication, point="7d").delete()
        assert ">333<" not in shown()
        # A post published meanwhile (a state move through posting.states).
        later = make_published(tenant, page, at=now - timedelta(days=1), engagement=5)
        Publication.objects.filter(pk=later.pk).update(state=Publication.State.PUBLISHING)
        before = shown()
        states.transition(
            ids=[later.pk], source=Publication.State.PUBLISHING, target=Publication.State.PUBLISHED
        )
        assert shown() != before
        # The account's and the photo's names, its folder and its tags.
        page.name = "Alba by the sea"
        page.save()
        assert "Alba by the sea" in shown()
        photo.title = "Saffron risotto"
        photo.save()
        assert "Saffron risotto" in shown()
        folder = Folder.objects.create(tenant=tenant, name="Mains")
        photo.folder = folder
        photo.save()
        assert ">Mains<" in shown()
        Folder.objects.filter(pk=folder.pk).update(name="Main courses")
        assert ">Main courses<" in shown()
        desserts = Folder.objects.create(tenant=tenant, name="Desserts")
        assert ">Desserts<" not in shown()
        assets_move(tenant=tenant, assets=[photo], folder=desserts)  # the folder alone changes
        assert ">Desserts<" in shown()
        tag = Tag.objects.create(tenant=tenant, name="saffron")
        AssetTag.objects.create(tenant=tenant, asset=photo, tag=tag)
        assert ">saffron<" in shown()
        Tag.objects.filter(pk=tag.pk).update(name="zafferano")
        assert ">zafferano<" in shown()
        # The followers of a new day.
        make_daily(tenant, page, day=now.date() - timedelta(days=1), followers=4321)
    assert "4,321" in shown() or "4321" in shown()


def test_the_best_time_history_moves_with_the_clock(owner_client, tenant, page, monkeypatch):
    """A post that leaves the last 180 days between two visits changes the page."""
    now = timezone.now()
    for hours in range(8):
        make_published(tenant, page, at=now - timedelta(days=179, hours=23 - hours), engagement=9)
    make_published(tenant, page, at=now - timedelta(days=179, hours=23, minutes=59), engagement=9)
    first = _get(owner_client, tenant)[0].context["data"]
    assert first.heatmap_posts == 9
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=2))
    assert _get(owner_client, tenant)[0].context["data"].heatmap_posts == 8
