"""RELIABILITY J4 with real Celery worker processes: two workers, each with its own PostgreSQL
connection, run the whole state × state matrix through `posting.states.transition` at the same
instant (task ``chaos.transition_matrix`` of `posting.chaos_app`).

- One row per (source, target) cell, attempted by both workers: an allowed edge moves the row
  exactly once (one worker 1 row, the other 0) and it ends in the target; every other edge
  raises in both and the row stays where it was.
- One row per source state, on which each worker tries every target (one in order, the other in
  reverse): competing edges from one state — exactly one move wins, to an allowed target.
"""

from __future__ import annotations

import time
from collections import defaultdict

from config.celery import app
from posting.models import Publication
from posting.tests.test_states import EXPECTED
from posting.tests.workers import WORKER_TEST_MARKS, S, harness, sandbox_pages, seed_texts
from tenants.scoping import scopes_disabled

pytestmark = WORKER_TEST_MARKS
STATES = list(S.values)


def rows_in(tenant, account, label: str, sources: list[str]) -> list[str]:
    """One publication per entry of ``sources``, put in that state; their ids as strings."""
    rows = seed_texts(tenant, account, [f"{label} {i}" for i in range(len(sources))])
    with scopes_disabled():
        for row, state in zip(rows, sources, strict=True):
            Publication._base_manager.filter(pk=row.pk).update(state=state)
    return [str(row.pk) for row in rows]


def test_j4_the_state_matrix_raced_by_two_worker_processes(graph_sandbox_factory, tenant, tmp_path):
    sb = graph_sandbox_factory()
    [account] = sandbox_pages(sb, tenant, 1)
    matrix = [(s, t) for s in STATES for t in STATES]
    cell_rows = rows_in(tenant, account, "cell", [s for s, _t in matrix])
    source_rows = rows_in(tenant, account, "source", STATES)
    cells = [[s, t, pk] for (s, t), pk in zip(matrix, cell_rows, strict=True)]
    competing = [[s, t, pk] for s, pk in zip(STATES, source_rows, strict=True) for t in STATES]
    run = harness(sb, tmp_path, workers=2, beats=0)
    try:
        run.start()
        assert run.wait_ready(), run.logs()
        start_at = time.time() + 1.0  # both begin at this instant
        for order in (1, -1):
            app.send_task(
                "chaos.transition_matrix",
                kwargs={"cells": cells + competing[::order], "start_at": start_at},
                queue="publish",
            )

        def both_done() -> bool:
            return len(run.events("done")) == 2

        assert run.wait_for(both_done, timeout=60), run.logs()
    finally:
        run.stop()

    done = run.events("done")
    assert len({e["pid"] for e in done}) == 2  # two processes at once
    results: dict[tuple[str, str, str], list] = defaultdict(list)
    for event in done:
        for source, target, pk, result in event["retval"]:
            results[pk, source, target].append(result)
    with scopes_disabled():
        final = {
            str(pk): state for pk, state in Publication._base_manager.values_list("pk", "state")
        }
    for (source, target), pk in zip(matrix, cell_rows, strict=True):
        got = sorted(results[pk, source, target], key=str)
        if (source, target) in EXPECTED:
            assert got == [0, 1], (source, target, got)  # exactly one worker moved it
            assert final[pk] == target, (source, target)
        else:
            assert got == ["illegal", "illegal"], (source, target, got)
            assert final[pk] == source, (source, target)
    for source, pk in zip(STATES, source_rows, strict=True):
        wins = [
            (target, r)
            for (row, _s, target), rs in results.items()
            if row == pk
            for r in rs
            if r not in (0, "illegal")
        ]
        allowed = {t for s, t in EXPECTED if s == source}
        if allowed:
            assert len(wins) == 1 and wins[0][1] == 1, (source, wins)  # one move wins
            assert final[pk] == wins[0][0] and final[pk] in allowed, (source, final[pk])
        else:  # published, cancelled: final
            assert wins == [] and final[pk] == source
