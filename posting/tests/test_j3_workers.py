"""RELIABILITY J3 with real Celery worker processes: three dispatchers run at once, each in its
own worker process with its own PostgreSQL connection, claiming one publication per batch so
they race batch after batch over the same due rows. The publish tasks each one sends (seen by the
spy of `posting.chaos_app`, grouped by the dispatcher that sent them) form disjoint sets whose
union is every due publication; the workers then publish them to the sandbox: one post each."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

from posting.models import Publication
from posting.tasks import publications_dispatch
from posting.tests.workers import WORKER_TEST_MARKS, app_posts, harness, sandbox_pages, seed_texts
from tenants.scoping import scopes_disabled

pytestmark = WORKER_TEST_MARKS
DUE = 120
DISPATCHERS = 3


def test_j3_dispatchers_racing_in_worker_processes_claim_disjoint_sets(
    graph_sandbox_factory, tenant, tmp_path
):
    sb = graph_sandbox_factory()
    sb.set_usage_budgets(page=10**6, buc=10**6, app=10**6, user=10**6)
    accounts = sandbox_pages(sb, tenant, 3)
    due = []
    for i, account in enumerate(accounts):
        due += seed_texts(tenant, account, [f"J3 {i}-{n}" for n in range(DUE // len(accounts))])
    run = harness(sb, tmp_path, workers=DISPATCHERS, beats=0, PUBLISH_BATCH_SIZE=1)
    try:
        run.start()
        assert run.wait_ready(), run.logs()
        # The same minute: all dispatchers sent at once, one per (idle) worker process.
        dispatchers = {publications_dispatch.apply_async().id for _ in range(DISPATCHERS)}

        def published() -> bool:
            with scopes_disabled():
                return Publication.objects.filter(state="published").count() == DUE

        assert run.wait_for(published, timeout=120), run.logs()
    finally:
        run.stop()

    sent = [e for e in run.events("sent") if e["task"] == "posting.publication_publish"]
    claims: dict[str, list[str]] = {d: [] for d in dispatchers}
    for event in sent:
        claims[event["parent"]].append(str(event["kwargs"]["publication_id"]))
    runs = {e["id"] for e in run.events("run") if e["task"] == "posting.publications_dispatch"}
    assert runs == dispatchers  # each dispatcher ran (in some worker)
    assert sum(1 for ids in claims.values() if ids) >= 2, {d: len(i) for d, i in claims.items()}
    for a, b in combinations(claims.values(), 2):
        assert set(a) & set(b) == set()  # J3: intersection 0
    every = [pk for ids in claims.values() for pk in ids]
    assert Counter(every) == Counter(str(p.pk) for p in due)  # each claimed once, none left
    with scopes_disabled():
        assert set(Publication.objects.values_list("attempt_count", flat=True)) == {1}
    posts = app_posts(sb)
    assert len(posts) == DUE and set(posts.values()) == {1}
    assert len(sb.requests_log(path="/*/feed", method="POST")) == DUE
