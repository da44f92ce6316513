"""RELIABILITY J7 with real Celery worker processes, beat, PostgreSQL and the Graph sandbox over
HTTP, living through Europe/Berlin's daylight-saving nights on a shifted clock (time-machine in
every process, `posting.chaos_app`, ``CHAOS_CLOCK_OFFSET``).

- 2026-03-29: 02:30 does not exist; the rule moves it to 03:00 CEST (01:00 UTC) and says so.
  The workers start at 00:59:35 UTC: beat's dispatcher looks before 01:00 and claims nothing,
  then publishes the post once, at 01:00 UTC or just after — with the one written for 03:00.
- 2026-10-25: 02:30 happens twice; the rule takes the first (00:30 UTC). The workers start at
  00:29:35 UTC: published once, at 00:30 UTC or just after; a post at 02:59 (00:59 UTC) is not
  touched meanwhile.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import time_machine

from posting import services
from posting.tests.workers import (
    WORKER_TEST_MARKS,
    S,
    app_posts,
    attempts,
    harness,
    reload,
    sandbox_pages,
)
from tenants.scoping import tenant_scope

pytestmark = WORKER_TEST_MARKS
LEAD = timedelta(seconds=25)  # worker start-up (~12 s on a loaded machine), then idle ticks


def schedule(tenant, account, texts_at: dict[str, datetime], *, on: datetime) -> dict:
    """Posts through the service, as the owner would enter them the day before ``on``."""
    made = {}
    with time_machine.travel(on - timedelta(days=1), tick=False), tenant_scope(tenant):
        for text, wall in texts_at.items():
            result = services.post_create(
                tenant=tenant, author=None, account_ids=[account.pk], text=text, when=wall
            )
            made[text] = (result.publications[0], result.notes)
    return made


def live_through(sb, tmp_path, name: str, *, due: datetime, published: list) -> list[dict]:
    """Workers and beat whose clock starts ``LEAD`` before ``due``; until ``published`` are.
    Returns the spy's dispatcher runs."""
    folder = tmp_path / name
    folder.mkdir()
    offset = (due - LEAD).timestamp() - time.time()
    run = harness(sb, folder, workers=1, beats=1, CHAOS_CLOCK_OFFSET=offset)
    try:
        run.start()
        done = run.wait_for(
            lambda: all(reload(p).state == S.PUBLISHED for p in published), timeout=120
        )
    finally:
        run.stop()
    assert done, run.logs()
    return [e for e in run.events("done") if e["task"] == "posting.publications_dispatch"]


def assert_published_once_at(sb, publication, due: datetime, dispatches: list[dict]) -> None:
    # The dispatcher was running before the due time and did not claim early.
    assert any(e["at"] < due.timestamp() and e["retval"] == 0 for e in dispatches), dispatches
    [attempt] = attempts(publication)
    assert due <= attempt.started_at < due + timedelta(seconds=60), attempt.started_at
    assert app_posts(sb)[reload(publication).post.text] == 1


def test_j7_daylight_saving_nights_in_worker_processes(graph_sandbox_factory, tenant, tmp_path):
    sb = graph_sandbox_factory()
    sb.set_usage_budgets(page=10**6, buc=10**6, app=10**6, user=10**6)
    tenant.timezone = "Europe/Berlin"
    tenant.save()
    [account] = sandbox_pages(sb, tenant, 1)

    spring_due = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    autumn_due = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    made = {}
    for due, walls in (
        (spring_due, {"Brunch at 02:30": (3, 29, 2, 30), "Brunch at 03:00": (3, 29, 3, 0)}),
        (autumn_due, {"Night at 02:30": (10, 25, 2, 30), "Night at 02:59": (10, 25, 2, 59)}),
    ):
        texts_at = {text: datetime(2026, *wall) for text, wall in walls.items()}
        made |= schedule(tenant, account, texts_at, on=due)
    (gap, gap_notes), (three, _) = made["Brunch at 02:30"], made["Brunch at 03:00"]
    assert gap.next_attempt_at == three.next_attempt_at == spring_due
    assert gap_notes and "does not exist" in gap_notes[0]
    (first, _), (later, _) = made["Night at 02:30"], made["Night at 02:59"]
    assert first.next_attempt_at == autumn_due  # the first 02:30 (CEST)
    assert later.next_attempt_at == datetime(2026, 10, 25, 0, 59, tzinfo=UTC)

    dispatches = live_through(sb, tmp_path, "spring", due=spring_due, published=[gap, three])
    for publication in (gap, three):
        assert_published_once_at(sb, publication, spring_due, dispatches)
    assert reload(first).state == reload(later).state == S.SCHEDULED  # October is not due

    dispatches = live_through(sb, tmp_path, "autumn", due=autumn_due, published=[first])
    assert_published_once_at(sb, first, autumn_due, dispatches)
    later = reload(later)
    assert later.state == S.SCHEDULED and later.attempt_count == 0
    assert Counter(app_posts(sb).values()) == {1: 3}
    assert len(sb.requests_log(path="/*/feed", method="POST")) == 3
