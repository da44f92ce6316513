"""The inbox list of a restaurant with a big inbox, among many restaurants, is read through the
(tenant, done, -last_message_at) index in order: its first 100 threads without a sort of all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lib.testing import plan_nodes
from tenants.scoping import scopes_disabled, tenant_scope
from webhooks.models import Conversation
from webhooks.selectors import INBOX_PAGE_SIZE, inbox_threads
from webhooks.tests.helpers import account

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plan is PostgreSQL's"
)

INDEX = "webhooks_co_tenant__230037_idx"


def _threads(tenant, count: int) -> None:
    page = account(tenant)
    now = timezone.now()
    with scopes_disabled():
        Conversation.objects.bulk_create(
            Conversation(
                tenant=tenant, account=page, kind="messages", network="facebook",
                customer_id=f"psid-{tenant.pk}-{n}", customer_name=f"Customer {n}",
                last_message_at=now - timedelta(minutes=n), last_message_text="Hi",
                done=n % 5 == 0,
            )
            for n in range(count)
        )  # fmt: skip


@pytest.fixture
def big_inboxes(tenant, other_tenant) -> None:
    """3,000 threads in this restaurant and in another, with the planner's statistics."""
    _threads(tenant, 3000)
    _threads(other_tenant, 3000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE webhooks_conversation")


@pytest.mark.django_db
def test_the_newest_hundred_come_from_the_index_in_order(tenant, big_inboxes):
    with tenant_scope(tenant), CaptureQueriesContext(connection) as queries:
        rows = inbox_threads(tenant=tenant).threads
    times = [row.last_message_at for row in rows]
    assert len(rows) == INBOX_PAGE_SIZE and times == sorted(times, reverse=True)
    assert not any(row.done for row in rows)
    [query] = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert INDEX in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.django_db
def test_an_older_page_starts_in_the_index_where_the_last_one_ended(tenant, big_inboxes):
    with tenant_scope(tenant):
        first = inbox_threads(tenant=tenant)
        with CaptureQueriesContext(connection) as queries:
            second = inbox_threads(tenant=tenant, before=first.older)
    assert second.threads[0].last_message_at < first.threads[-1].last_message_at
    [query] = queries.captured_queries
    nodes = plan_nodes(query["sql"])
    text = str(nodes)
    assert INDEX in text and "Sort" not in text, nodes
    # Read from where the first page ended, not through the first page's rows again.
    [scan] = [n for n in nodes if n.get("Index Name") == INDEX]
    assert "last_message_at <=" in scan["Index Cond"], scan
    # The page, the row telling there is more, and the cursor's own row (cut by id).
    assert scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0) <= INBOX_PAGE_SIZE + 2, scan
