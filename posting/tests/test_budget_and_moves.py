"""The per-Page budget in both homes (Redis cache, database), the usage-header threshold, and
publications whose account left the restaurant or whose restaurant is deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posting import budget, dispatch, publish, selectors, services
from posting.models import PageBudget, Post, Publication
from social.graph import Usage
from social.models import SocialAccount
from tenants.models import Tenant
from tenants.scoping import scopes_disabled

S = Publication.State


@pytest.fixture(params=["redis", "database"])
def home(request, settings):
    if request.param == "database":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return request.param


def test_a_block_is_shared_and_only_ever_extended(db, home):
    assert budget.blocked_until("104") is None
    until = budget.block("104", seconds=600)
    assert budget.blocked_until("104") == pytest.approx(until, abs=timedelta(seconds=1))
    assert budget.block("104", seconds=60) >= until - timedelta(seconds=1)  # never shortened
    assert budget.blocked_until("105") is None
    assert PageBudget.objects.filter(object_id="104").exists() == (home == "database")


def test_usage_near_the_ceiling_blocks_until_facebooks_estimate(db, home):
    busy = Usage(
        business={
            "104": [{"type": "pages", "call_count": 95, "estimated_time_to_regain_access": 7}]
        }
    )
    budget.record_usage("104", busy)
    left = (budget.blocked_until("104") - timezone.now()).total_seconds()
    assert 6 * 60 < left <= 7 * 60
    budget.record_usage("105", Usage(business={"105": [{"type": "pages", "call_count": 40}]}))
    assert budget.blocked_until("105") is None


def test_the_claims_locking_read_has_no_order_by(tenant, page, scoped):
    """The worker's hot path (posting/publish.py, `_begin`): one row by id, nothing to sort."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = services.post_create(
        tenant=tenant, author=None, account_ids=[page.pk], text="Hi", publish_now=True
    )
    budget.block(page.external_id, seconds=900)  # stops the task before any Graph call
    assert dispatch.publications_claim_due() == 1
    with CaptureQueriesContext(connection) as queries:
        assert publish.publication_publish(publication_id=result.publications[0].pk) == "budget"
    [locking] = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert '"posting_publication"."id" =' in locking and "LIMIT 1" in locking
    assert "ORDER BY" not in locking


def test_a_claimed_publication_of_a_blocked_page_waits_without_calling(tenant, page, scoped):
    result = services.post_create(
        tenant=tenant, author=None, account_ids=[page.pk], text="Hi", publish_now=True
    )
    until = budget.block(page.external_id, seconds=900)
    assert dispatch.publications_claim_due() == 1
    assert publish.publication_publish(publication_id=result.publications[0].pk) == "budget"
    publication = Publication.objects.get(pk=result.publications[0].pk)
    assert publication.state == S.SCHEDULED
    assert publication.next_attempt_at == pytest.approx(until, abs=timedelta(seconds=1))
    assert publication.attempts.count() == 0


def test_an_account_moved_to_another_restaurant_is_neither_offered_nor_published(
    tenant, other_tenant, page, scoped
):
    result = services.post_create(
        tenant=tenant, author=None, account_ids=[page.pk], text="Hi", publish_now=True
    )
    publication = result.publications[0]
    services.account_publications_hold(account=page, sentence="Reconnect it.")
    with scopes_disabled():
        SocialAccount.objects.filter(pk=page.pk).update(tenant=other_tenant)
    assert list(selectors.publications_held(tenant=tenant).awaiting_choice) == []
    Publication.objects.filter(pk=publication.pk).update(
        state=S.SCHEDULED, next_attempt_at=timezone.now()
    )
    dispatch.publications_claim_due()
    assert publish.publication_publish(publication_id=publication.pk) == "failed"
    publication.refresh_from_db()
    assert publication.state == S.FAILED and "another restaurant" in publication.last_error


def test_deleting_a_restaurant_deletes_its_posts_and_accounts(tenant, page):
    with scopes_disabled():
        post = Post.objects.create(tenant=tenant, text="Bye")
        Publication.objects.create(
            tenant=tenant, post=post, account=page, network="facebook", shape="fb_text"
        )
    Tenant.objects.filter(pk=tenant.pk).delete()
    with scopes_disabled():
        assert not Publication.objects.filter(post=post).exists()
        assert not SocialAccount.objects.filter(pk=page.pk).exists()


def test_an_account_with_publications_cannot_be_deleted_on_its_own(tenant, page):
    from django.db.models import RestrictedError

    with scopes_disabled():
        post = Post.objects.create(tenant=tenant, text="Kept")
        Publication.objects.create(
            tenant=tenant, post=post, account=page, network="facebook", shape="fb_text"
        )
        with pytest.raises(RestrictedError):
            SocialAccount.objects.filter(pk=page.pk).delete()
