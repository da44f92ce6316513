"""Operators: per-restaurant overview, collection lag, "collect now", multi-restaurant CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import tasks
from analytics.tests.factories import make_published
from posting.tests import test_admin as posting_admin_tests
from posting.tests.factories import make_page

pytestmark = pytest.mark.django_db
operator = posting_admin_tests.operator  # a logged-in superuser


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.account_collect, "apply_async", lambda kwargs: calls.append(kwargs))
    return calls


@pytest.fixture
def two(tenant, other_tenant):
    now = timezone.now()
    ours, theirs = make_page(tenant, name="Alba"), make_page(other_tenant, name="Other")
    collected = make_published(tenant, ours, at=now - timedelta(hours=3), text="=1+1")
    late = make_published(tenant, ours, at=now - timedelta(hours=3), text="Late", points=())
    fresh = make_published(tenant, ours, at=now - timedelta(minutes=90), points=())  # 30 min
    make_published(other_tenant, theirs, at=now - timedelta(days=2), text="Elsewhere")
    return ours, theirs, collected, late, fresh


def test_the_overview_counts_posts_snapshots_and_late_collections(operator, tenant, two):
    response = operator.get(reverse("admin:analytics_restaurantfigures_changelist"))
    assert response.status_code == 200
    rows = {r.pk: r for r in response.context["cl"].result_list}
    ours = rows[tenant.pk]
    assert (ours.n_posts, ours.n_snapshots, ours.n_late) == (3, 2, 1)
    assert ours.last is not None


def test_collection_lag_lists_only_the_late_publications(operator, two):
    _ours, _theirs, _collected, late, _fresh = two
    response = operator.get(reverse("admin:analytics_latecollection_changelist"))
    listed = [p.pk for p in response.context["cl"].result_list]
    assert listed == [late.pk]
    body = response.content.decode()
    assert "1 hour" in body and "2 h" in body


def test_collect_now_enqueues_one_task_per_account(operator, sent, tenant, two):
    ours, *_ = two
    url = reverse("admin:analytics_latecollection_changelist")
    operator.post(url, {"action": "collect_now", "_selected_action": [two[3].pk]})
    assert sent == [{"tenant_id": tenant.pk, "account_id": str(ours.pk)}]
    sent.clear()
    url = reverse("admin:analytics_restaurantfigures_changelist")
    operator.post(url, {"action": "collect_now", "_selected_action": [tenant.pk]})
    assert sent == [{"tenant_id": tenant.pk, "account_id": str(ours.pk)}]


def test_export_several_restaurants_at_once(operator, tenant, other_tenant, two):
    url = reverse("admin:analytics_restaurantfigures_changelist")
    response = operator.post(
        url, {"action": "export_28_days", "_selected_action": [tenant.pk, other_tenant.pk]}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["Restaurant"] for r in rows} == {tenant.name, other_tenant.name}
    assert "'=1+1" in {r["Text"] for r in rows}  # neutralised here too
    late = next(r for r in rows if r["Text"] == "Late")
    assert late["Reach"] == "" and late["Figures"] == "not collected yet"


@pytest.mark.parametrize("model", ["metricsnapshot", "accountdailysnapshot"])
def test_the_snapshot_lists_filter_by_date_without_scanning_every_snapshot(operator, two, model):
    """A date filter, not Django's date hierarchy, whose year and month links come from a
    DISTINCT over every snapshot on every page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = operator.get(reverse(f"admin:analytics_{model}_changelist"))
    assert response.status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "DISTINCT" not in sql and "MIN(" not in sql
    assert "Past 7 days" in response.content.decode()
