"""The dispatcher and the sweeper: constant-cost claims, disjoint concurrent claims (J3), stuck
rows to reconciliation, and no long ETA anywhere (J6)."""

from __future__ import annotations

import ast
import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connections

from posting import dispatch
from posting.models import Post, Publication, PublishAttempt
from tenants.scoping import scopes_disabled

S = Publication.State
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def due_publications(tenant, account, count, *, due=NOW):
    with scopes_disabled():
        posts = Post.objects.bulk_create([Post(tenant=tenant, text=f"p{i}") for i in range(count)])
        return Publication.objects.bulk_create(
            [
                Publication(
                    tenant=tenant, post=p, account=account, network="facebook",
                    shape="fb_text", state=S.SCHEDULED, next_attempt_at=due,
                )
                for p in posts
            ]
        )  # fmt: skip


@pytest.mark.parametrize("count", [10, 1000])
def test_claiming_a_batch_costs_two_queries_whatever_its_size(
    tenant, page, count, django_assert_num_queries, settings
):
    settings.PUBLISH_BATCH_SIZE = 1000
    due_publications(tenant, page, count)
    # SAVEPOINT + SELECT … FOR UPDATE SKIP LOCKED + UPDATE + RELEASE (in the test's transaction)
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(4):
        assert dispatch.publications_claim_due() == count
    with scopes_disabled():
        assert Publication.objects.filter(state=S.PUBLISHING, attempt_count=1).count() == count


def test_the_claim_uses_skip_locked(tenant, page, django_assert_num_queries):
    due_publications(tenant, page, 3)
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(4) as captured:
        dispatch.publications_claim_due()
    assert any("FOR UPDATE SKIP LOCKED" in q["sql"] for q in captured.captured_queries)


def test_only_due_scheduled_rows_are_claimed(tenant, page):
    due_publications(tenant, page, 2)
    due_publications(tenant, page, 3, due=NOW + timedelta(minutes=5))
    with time_machine.travel(NOW, tick=False):
        assert dispatch.publications_claim_due() == 2
        assert dispatch.publications_claim_due() == 0


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_in_the_same_minute_claim_disjoint_sets(tenant, page, monkeypatch):
    """J3: two dispatchers race on their own PostgreSQL connections, batch after batch: every
    row is claimed by exactly one of them (claim number 1 everywhere), none is left."""
    monkeypatch.setattr("posting.tasks.publication_publish.apply_async", lambda **kw: None)
    due_publications(tenant, page, 400)
    totals = [0, 0]
    barrier = threading.Barrier(2)

    def run(index: int) -> None:
        barrier.wait()
        try:
            while n := dispatch.publications_claim_due(now=NOW, limit=50):
                totals[index] += n
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with scopes_disabled():
        attempts = list(Publication.objects.values_list("state", "attempt_count"))
    assert sum(totals) == 400
    assert set(attempts) == {(S.PUBLISHING, 1)}


def test_a_stuck_publication_with_an_attempt_goes_to_reconciliation(tenant, page, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "posting.tasks.publication_reconcile.apply_async", lambda **kw: sent.append(kw)
    )
    [started, never_started, fresh] = due_publications(tenant, page, 3)
    with time_machine.travel(NOW, tick=False):
        dispatch.publications_claim_due()
        with scopes_disabled():
            PublishAttempt.objects.create(tenant=tenant, publication=started, number=1)
            PublishAttempt.objects.create(tenant=tenant, publication=fresh, number=1)
    later = NOW + timedelta(seconds=settings.PUBLISH_STUCK_AFTER_SECONDS + 60)
    with scopes_disabled():
        Publication.objects.filter(pk=fresh.pk).update(progress_at=later - timedelta(seconds=30))
    with time_machine.travel(later, tick=False):
        result = dispatch.publications_sweep()
    assert result == {"rescheduled": 1, "reconcile": 1, "reconciling": 1}
    with scopes_disabled():
        by_pk = dict(Publication.objects.values_list("pk", "state"))
        attempt = PublishAttempt.objects.get(publication=started)
    assert by_pk[started.pk] == S.NEEDS_RECONCILE
    assert by_pk[never_started.pk] == S.SCHEDULED  # nothing was sent: safe to send
    assert by_pk[fresh.pk] == S.PUBLISHING  # its worker is alive
    assert attempt.outcome == PublishAttempt.Outcome.AMBIGUOUS


def test_a_claimed_batch_is_sent_in_one_round_trip_one_message_each(monkeypatch):
    from lib import task_publish
    from posting.tasks import publication_publish

    pushes = []
    monkeypatch.setattr(task_publish, "_redis_client", lambda task: "client")
    monkeypatch.setattr(task_publish, "_lpush", lambda client, queue, m: pushes.append((queue, m)))
    dispatch._enqueue_each(publication_publish, [])()
    assert pushes == []  # nothing claimed: no broker round trip either
    dispatch._enqueue_each(publication_publish, [(11, 1), (12, 2), (13, 1)])()
    [(queue, messages)] = pushes
    assert queue == "publish"
    bodies = [json.loads(base64.b64decode(json.loads(m)["body"])) for m in messages]
    assert [kwargs for _args, kwargs, _embed in bodies] == [
        {"tenant_id": 1, "publication_id": 11},
        {"tenant_id": 2, "publication_id": 12},
        {"tenant_id": 1, "publication_id": 13},
    ]


def test_the_beat_schedule_exists_in_the_database(db):
    from django_celery_beat.models import PeriodicTask

    tasks = {t.task: t for t in PeriodicTask.objects.filter(task__startswith="posting.")}
    assert set(tasks) == {"posting.publications_dispatch", "posting.publications_sweep"}
    for task in tasks.values():
        assert task.enabled and task.crontab.minute == "*" and task.crontab.hour == "*"


# -- J6: no eta/countdown longer than the broker's visibility timeout ---------------------------
ROOT = Path(__file__).resolve().parents[2]
APPS = ["posting", "social", "assets", "tenants", "webhooks", "lib", "config"]


def _scheduling_keywords():
    """Every ``countdown=`` / ``eta=`` keyword in the app code, with its value's source."""
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        if kw.arg in ("countdown", "eta"):
                            yield path.relative_to(ROOT), node.lineno, kw


def test_no_eta_or_countdown_can_exceed_the_visibility_timeout():
    """J6: every countdown is a constant within the visibility timeout or goes through
    lib.tasks.bounded_countdown, whose ceiling is below it; nothing uses eta."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    assert visibility > settings.CELERY_MAX_COUNTDOWN_SECONDS
    found = list(_scheduling_keywords())
    assert len(found) >= 4, "the scan found too little: it is not looking at the code"
    for path, line, kw in found:
        assert kw.arg != "eta", f"{path}:{line} uses eta"
        value = kw.value
        if isinstance(value, ast.Constant):
            assert value.value <= visibility, f"{path}:{line}"
        else:
            bounded = isinstance(value, ast.Call) and ast.unparse(value.func) == "bounded_countdown"
            bounded |= isinstance(value, ast.Name) and _assigned_from_bounded(path, value.id)
            assert bounded, f"{path}:{line}: unbounded countdown {ast.unparse(value)}"


def _assigned_from_bounded(path, name):
    tree = ast.parse((ROOT / path).read_text())
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) == "bounded_countdown"
        for node in ast.walk(tree)
    )


def test_bounded_countdown_caps_any_wait(settings):
    from lib.tasks import bounded_countdown

    assert bounded_countdown(24 * 3600) == settings.CELERY_MAX_COUNTDOWN_SECONDS
    assert bounded_countdown(30) == 30
    assert bounded_countdown(-5) == 0


def test_the_instagram_poll_countdown_is_capped_at_60_seconds(
    tenant, page, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from posting import publish

    sent = []
    monkeypatch.setattr("posting.tasks.publication_poll.apply_async", lambda **kw: sent.append(kw))
    [publication] = due_publications(tenant, page, 1)
    with django_capture_on_commit_callbacks(execute=True):
        publish._enqueue_poll(publication, after=7200)
    assert [kw["countdown"] for kw in sent] == [60]


def test_the_social_token_check_window_fits_in_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    assert visibility >= settings.SOCIAL_TOKEN_CHECK_WINDOW_SECONDS
