"""Fixtures for analytics: the Graph sandbox with insights permissions, posts published through
the engine (so publications point at real sandbox posts), and the sandbox clock moved on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assets.tests.conftest import media_root  # noqa: F401  (autouse: a media folder per test)
from posting import dispatch, services
from posting.models import Publication
from posting.tests import test_end_to_end
from posting.tests.conftest import fresh_page_budgets  # noqa: F401  (autouse)
from posting.tests.factories import make_instagram, make_page
from sandbox.testing import INSIGHT_SCOPES
from tenants.scoping import scopes_disabled, tenant_scope

MARIA = "10160000000000001"
PAGE_ID = "104512398765001"
IG_ID = "17841400000000001"


sb = test_end_to_end.sb  # the sandbox as the engine's tests set it up


@pytest.fixture
def accounts(sb, tenant):
    token = sb.mint_token(MARIA, INSIGHT_SCOPES, page_id=PAGE_ID)["token"]
    page = make_page(tenant, external_id=PAGE_ID, name="Trattoria da Maria", token=token)
    ig = make_instagram(tenant, page=page, external_id=IG_ID, name="trattoriadamaria")
    return page, ig


class Clock:
    """Our clock and the sandbox's, moved together (collection takes ``now=``)."""

    def __init__(self, sb) -> None:
        self.sb = sb
        self.now = timezone.now()

    def advance(self, **delta: float) -> None:
        step = timedelta(**delta)
        self.sb.advance_clock(step.total_seconds())
        self.now += step


@pytest.fixture
def clock(sb):
    return Clock(sb)


def publish(tenant, accounts, texts, *, asset=None) -> list[Publication]:
    """Publish through the engine (eager tasks) and return the published publications."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with tenant_scope(tenant):
            for text in texts:
                services.post_create(
                    tenant=tenant,
                    author=None,
                    account_ids=[a.pk for a in accounts],
                    text=text,
                    publish_now=True,
                    asset_ids=[asset.pk] if asset else [],
                )
        for _ in range(5):
            if not dispatch.publications_claim_due():
                break
    finally:
        app.conf.task_always_eager = before
    with scopes_disabled():
        pubs = list(Publication.objects.select_related("account", "post").order_by("id"))
    assert all(p.state == Publication.State.PUBLISHED for p in pubs), [p.last_error for p in pubs]
    return pubs
