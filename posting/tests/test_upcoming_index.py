"""The dashboard's "Coming up" of a restaurant with a long history, among other restaurants,
picks its five posts among the waiting publications: it does not walk the restaurant's past
posts in time order (the (tenant, scheduled_at) index) until it meets the first waiting one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lib.testing import plan_nodes
from posting.models import Post, Publication
from posting.selectors import upcoming_posts
from posting.tests.factories import make_page
from tenants.scoping import scopes_disabled, tenant_scope

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plan is PostgreSQL's"
)


def _history(tenant, *, past: int, waiting: int) -> list[int]:
    """``past`` published posts (the oldest first), then ``waiting`` scheduled ones; the
    waiting posts' ids, soonest first."""
    page = make_page(tenant)
    now = timezone.now()
    hours = [-(past - n) for n in range(past)] + [n + 1 for n in range(waiting)]
    with scopes_disabled():
        posts = Post.objects.bulk_create(
            Post(tenant=tenant, text=f"Post {h}", scheduled_at=now + timedelta(hours=h))
            for h in hours
        )
        Publication.objects.bulk_create(
            Publication(
                tenant=tenant, post=post, account=page, network="facebook", shape="fb_text",
                state="published" if n < past else "scheduled",
            )
            for n, post in enumerate(posts)
        )  # fmt: skip
    return [post.pk for post in posts[past:]]


@pytest.mark.django_db
def test_coming_up_reads_the_waiting_publications_not_the_history(tenant, other_tenant):
    waiting = _history(tenant, past=3000, waiting=300)
    _history(other_tenant, past=3000, waiting=300)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE posting_post")
        cursor.execute("ANALYZE posting_publication")
    with tenant_scope(tenant), CaptureQueriesContext(connection) as queries:
        chips = upcoming_posts(tenant=tenant)
    assert [chip.pk for chip in chips] == waiting[:5]
    [query] = queries.captured_queries
    nodes = plan_nodes(query["sql"])
    walked = [
        n["Actual Rows"] * n["Actual Loops"]
        for n in nodes
        if n.get("Index Name") == "post_tenant_when"  # the posts in time order
    ]
    # Walking the history in time order read the 3,000 past posts first.
    assert sum(walked) < 100, nodes
