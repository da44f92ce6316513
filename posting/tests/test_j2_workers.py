"""RELIABILITY J2 with real worker processes, at CI size: 20 due posts, Celery workers that die
(SIGKILL) right after the sandbox accepted each post and before the success is committed
(`posting/chaos_crash.py`), a dead worker replaced by a fresh one, one beat running the
dispatcher and the sweeper. Every publication goes to needs_reconcile and is resolved to
published by looking on the Page: 0 second publish calls, exactly one sandbox post each."""

from __future__ import annotations

from collections import Counter

from posting import chaos
from posting.models import Publication, PublishAttempt
from posting.tests.test_j1_workers import seed
from posting.tests.workers import WORKER_TEST_MARKS
from tenants.scoping import scopes_disabled

pytestmark = WORKER_TEST_MARKS
POSTS = 20


def test_j2_workers_killed_after_facebook_accepted_each_post_never_post_twice(
    graph_sandbox_factory, tenant, tmp_path
):
    sb = graph_sandbox_factory()
    sb.set_usage_budgets(page=10**6, buc=10**6, app=10**6, user=10**6)
    publications = seed(sb, tenant, POSTS)
    chaos.schedule_fast_beat(seconds=2)
    chaos.purge_publish_queue()
    run = chaos.Chaos(env=chaos.chaos_env(sandbox=sb), app="posting.chaos_crash", workers=4,
                      beats=1, kills=0, duplicate=False, respawn=True, log_dir=tmp_path)  # fmt: skip
    drained = run.drain(expected=len(publications), timeout=180)
    with scopes_disabled():
        states = Counter(Publication.objects.values_list("state", flat=True))
        remote = dict(Publication.objects.values_list("post__text", "remote_id"))
        attempts = list(PublishAttempt.objects.values_list("publication_id", "outcome", "detail"))
    assert drained, f"not drained: {states}\n{run.logs()}"
    assert states == {"published": POSTS}
    # Each publish reached Facebook once and its worker died before committing: one death each.
    assert run.deaths == POSTS
    assert len(sb.requests_log(path="/*/feed", method="POST")) == POSTS  # 0 second calls
    posts = [p for p in sb.control("GET", "posts") if p["from_app"]]
    assert Counter(p["message"] for p in posts) == {f"J1 post {i}": 1 for i in range(POSTS)}
    assert all(remote[p["message"]] == p["id"] for p in posts)
    # One attempt each, left ambiguous by the dead worker, then found on the Page.
    assert sorted(pk for pk, _o, _d in attempts) == sorted(p.pk for p in publications)
    assert {outcome for _pk, outcome, _d in attempts} == {PublishAttempt.Outcome.PUBLISHED}
    assert all(d.startswith("Found on Facebook by reconciliation") for _pk, _o, d in attempts)
