"""Collection against the Graph sandbox: points at 1 h / 24 h / 7 d / 28 d, stored once, one
call per ≤ 50 posts, and each bad case of docs/analytics.md ("Collection")."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from analytics import collection
from analytics.models import AccountDailySnapshot, AssetScore, MetricSnapshot
from analytics.tests.conftest import publish
from assets.tests.factories import make_asset
from social.graph import insights
from social.models import SocialAccount, TokenCheck
from tenants.scoping import scopes_disabled, tenant_scope

pytestmark = pytest.mark.django_db(transaction=True)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def run(tenant, account, clock):
    with tenant_scope(tenant):
        account = SocialAccount.objects.select_related("tenant", "linked_page").get(pk=account.pk)
        return collection.account_collect(account=account, now=clock.now)


def snapshots(**filters):
    with scopes_disabled():
        return list(MetricSnapshot.objects.filter(**filters).order_by("publication_id", "point"))


def insight_calls(sb):
    return [r for r in sb.requests_log() if "insights" in str(r.get("params", {}).get("fields"))]


def test_points_are_collected_once_each_with_one_call_per_50_posts(sb, tenant, accounts, clock):
    page, _ig = accounts
    pubs = publish(tenant, [page], ["Risotto tonight", "Terrace open", "New wine list"])
    before = collection.collections_due(now=clock.now).get((tenant.pk, page.pk))
    assert before is None or before.publications == []  # nothing due before an hour
    clock.advance(hours=2)
    due = collection.collections_due(now=clock.now)
    assert sorted(p for p, _ in due[(tenant.pk, page.pk)].publications) == [p.pk for p in pubs]
    sb.control("DELETE", "requests")
    result = run(tenant, page, clock)
    assert result.snapshots == 3 and result.stopped == ""
    calls = insight_calls(sb)
    assert [c["graph_path"] for c in calls] == ["/", f"/{page.external_id}"]  # posts, daily
    assert result.calls == 2
    rows = snapshots()
    assert [r.point for r in rows] == ["1h", "1h", "1h"]
    assert all(r.available and r.views and r.reach and r.engagement is not None for r in rows)
    with scopes_disabled():
        [daily] = AccountDailySnapshot.objects.filter(account=page)
    assert daily.followers and daily.day == clock.now.astimezone(tenant.tzinfo).date() - DAY

    # the same run again (a redelivered task, a crash and a restart): nothing new, no call
    sb.control("DELETE", "requests")
    again = run(tenant, page, clock)
    assert again.snapshots == 0 and again.calls == 0 and sb.requests_log() == []

    clock.advance(hours=23)
    run(tenant, page, clock)
    first = {r.publication_id: r.views for r in snapshots(point="1h")}
    later = {r.publication_id: r.views for r in snapshots(point="24h")}
    assert first == {r.publication_id: r.views for r in rows}  # never overwritten
    assert all(later[pid] > first[pid] for pid in first)  # a growth curve

    clock.advance(days=28)
    run(tenant, page, clock)
    assert {r.point for r in snapshots()} == {"1h", "24h", "28d"}  # 7 d was missed: not late
    clock.advance(days=8)
    after = collection.collections_due(now=clock.now).get((tenant.pk, page.pk))
    assert after is None or after.publications == []  # 35 days on: collection has stopped


def test_figures_not_computed_yet_are_not_available_never_zero(sb, tenant, accounts, clock):
    page, _ig = accounts
    quiet, normal = publish(tenant, [page], ["Quiet one", "Normal one"])
    sb.set_figures(quiet.remote_id, unavailable=True)
    clock.advance(hours=2)
    run(tenant, page, clock)
    [q] = snapshots(publication_id=quiet.pk)
    [n] = snapshots(publication_id=normal.pk)
    assert q.available is False and q.views is None and q.engagement is None
    assert q.engagement_rate is None and "no figures" in q.note
    assert n.available and n.views > 0


def test_instagram_not_enough_viewers_for_one_media_keeps_the_others(sb, tenant, accounts, clock):
    _page, ig = accounts
    photo = make_asset(tenant, width=800, height=800)
    few, many = publish(tenant, [ig], ["Few viewers", "Many viewers"], asset=photo)
    sb.set_figures(few.remote_id, not_enough_viewers=True)
    clock.advance(hours=2)
    result = run(tenant, ig, clock)
    [f] = snapshots(publication_id=few.pk)
    [m] = snapshots(publication_id=many.pk)
    assert f.available is False and f.views is None and "enough people" in f.note
    assert m.available and m.reach and m.engagement is not None
    assert result.failed == 0
    with scopes_disabled():
        assert AssetScore.objects.filter(asset=photo).exists()
    with scopes_disabled():
        [daily] = AccountDailySnapshot.objects.filter(account=ig)
    assert daily.views is not None and daily.reach is not None


def test_a_retired_metric_is_logged_and_the_other_figures_kept(
    sb, tenant, accounts, clock, monkeypatch, caplog
):
    page, _ig = accounts
    [pub] = publish(tenant, [page], ["Old metric"])
    table = {**insights.METRICS, "facebook_post": {**insights.METRICS["facebook_post"]}}
    table["facebook_post"]["impressions"] = "post_impressions"  # retired in Nov 2025
    monkeypatch.setattr(insights, "METRICS", table)
    clock.advance(hours=2)
    with caplog.at_level(logging.WARNING, logger="analytics.collection"):
        run(tenant, page, clock)
    [row] = snapshots(publication_id=pub.pk)
    assert row.available and row.views and row.reach
    assert row.detail["refused_metrics"] == ["post_impressions"]
    assert "post_impressions" in caplog.text and "METRICS" in caplog.text


def test_a_graph_error_for_one_post_never_stops_the_batch(sb, tenant, accounts, clock):
    page, _ig = accounts
    bad, good1, good2 = publish(tenant, [page], ["Deleted later", "Fine", "Also fine"])
    sb.add_fault(route=f"/{bad.remote_id}", code=100, message="Unsupported get request.")
    sb.add_fault(route="/", code=100, message="Unsupported get request.", count=1)
    clock.advance(hours=2)
    result = run(tenant, page, clock)
    assert result.failed == 1 and result.snapshots == 2
    assert {r.publication_id for r in snapshots()} == {good1.pk, good2.pk}
    sb.clear_faults()
    clock.advance(minutes=10)
    run(tenant, page, clock)  # resumed: the missing one is collected on the next run
    assert {r.publication_id for r in snapshots()} == {bad.pk, good1.pk, good2.pk}


def test_a_190_marks_the_account_as_connect_does_and_stops(sb, tenant, accounts, clock):
    page, ig = accounts
    publish(tenant, [page], ["One", "Two"])
    sb.add_fault(token=page.page_token, code=190, subcode=460)
    clock.advance(hours=2)
    result = run(tenant, page, clock)
    assert result.stopped == "token" and result.calls == 1 and snapshots() == []
    with scopes_disabled():
        page.refresh_from_db()
        ig.refresh_from_db()
        assert page.status == SocialAccount.Status.NEEDS_RECONNECT
        assert ig.status == SocialAccount.Status.NEEDS_RECONNECT
        assert TokenCheck.objects.filter(account=page, trigger="analytics").exists()
    assert collection.collections_due(now=clock.now) == {}


def test_a_rate_limit_blocks_the_page_budget_and_the_next_run_resumes(sb, tenant, accounts, clock):
    from posting import budget

    page, _ig = accounts
    publish(tenant, [page], ["One", "Two"])
    sb.add_fault(route="/", code=80001, count=1)
    clock.advance(hours=2)
    result = run(tenant, page, clock)
    assert result.stopped == "budget" and snapshots() == []
    assert budget.blocked_until(page.external_id) is not None
    assert run(tenant, page, clock).calls == 0  # waits for the budget, asks nothing


def test_the_task_collects_what_is_due_inside_the_restaurants_scope(
    sb, tenant, other_tenant, accounts
):
    from analytics import tasks
    from posting.models import Publication

    page, _ig = accounts
    [pub] = publish(tenant, [page], ["One"])
    with scopes_disabled():
        Publication.objects.filter(pk=pub.pk).update(published_at=pub.published_at - 2 * HOUR)
    due = collection.collections_due()
    assert [p for p, _ in due[(tenant.pk, page.pk)].publications] == [pub.pk]
    assert tasks.account_collect(tenant_id=tenant.pk, account_id=str(page.pk))["snapshots"] == 1
    assert tasks.account_collect(tenant_id=tenant.pk, account_id=str(page.pk))["snapshots"] == 0
    other = tasks.account_collect(tenant_id=other_tenant.pk, account_id=str(page.pk))
    assert other == {"stopped": "gone"}
