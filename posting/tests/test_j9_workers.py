"""RELIABILITY J9 with real Celery worker processes, beat, PostgreSQL, Redis and the Graph
sandbox over HTTP: Facebook's errors, one Page each.

- 5xx twice, then fine: retried with backoff (waits within [b·2ⁿ/2, b·2ⁿ], base b = 3 s and
  cap 4 s for the run, longer than beat's 1 s tick so a missing backoff shows), then published
  once.
- 5xx for ever: retried ``PUBLISH_MAX_RETRIES`` (2) times, then failed — the retries are bounded.
- rate limit (80001, Facebook estimates 5 minutes): back to ``scheduled`` no earlier than the
  estimate; the Page is blocked for every worker (Redis), so another publication of that Page
  that comes due meanwhile waits without calling Facebook.
- code 190: 0 retries; the publication and the account's later ones held, the account
  ``needs_reconnect``; one call to Facebook in all.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from django.utils import timezone

from posting import budget, errors
from posting.models import Publication, PublishAttempt
from posting.tests.workers import (
    WORKER_TEST_MARKS,
    S,
    app_posts,
    attempts,
    feed_calls,
    harness,
    reload,
    sandbox_pages,
    seed_texts,
)
from social.models import SocialAccount
from tenants.scoping import scopes_disabled

pytestmark = WORKER_TEST_MARKS
Outcome = PublishAttempt.Outcome


def test_j9_graph_errors_in_worker_processes(graph_sandbox_factory, tenant, tmp_path):
    sb = graph_sandbox_factory()
    sb.set_usage_budgets(page=10**6, buc=10**6, app=10**6, user=10**6)
    flaky, down, busy, dead = sandbox_pages(sb, tenant, 4)
    feed = "/{}/feed"
    sb.add_fault(route=feed.format(flaky.external_id), method="POST", code=2, http_status=500,
                 count=2)  # fmt: skip
    sb.add_fault(route=feed.format(down.external_id), method="POST", code=1, http_status=503)
    sb.add_fault(route=feed.format(busy.external_id), method="POST", code=80001, count=1)
    sb.add_fault(route=feed.format(dead.external_id), method="POST", code=190, subcode=460,
                 count=1)  # fmt: skip
    later = timezone.now() + timedelta(hours=1)
    [retried] = seed_texts(tenant, flaky, ["Comes back"])
    [bounded] = seed_texts(tenant, down, ["Never answers"])
    [limited] = seed_texts(tenant, busy, ["Too busy"])
    [waiting] = seed_texts(tenant, busy, ["Same Page, due during the block"], due=later)
    [broken] = seed_texts(tenant, dead, ["Token died"])
    held_later = seed_texts(tenant, dead, ["Tomorrow 1", "Tomorrow 2"], due=later)

    run = harness(sb, tmp_path, workers=2, PUBLISH_MAX_RETRIES=2,
                  PUBLISH_BACKOFF_BASE_SECONDS=3, PUBLISH_BACKOFF_MAX_SECONDS=4)  # fmt: skip
    try:
        run.start()

        def limited_once() -> bool:
            return reload(limited).retry_count == 1

        assert run.wait_for(limited_once, timeout=90), run.logs()
        rate_limited_at = timezone.now()
        # Another publication of the rate-limited Page comes due while the block lasts.
        with scopes_disabled():
            Publication.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())

        def settled() -> bool:
            return (
                reload(retried).state == S.PUBLISHED
                and reload(bounded).state == S.FAILED
                and reload(broken).state == S.HELD
                and reload(waiting).attempt_count == 1
                and reload(waiting).state == S.SCHEDULED
            )

        assert run.wait_for(settled, timeout=90), run.logs()
    finally:
        run.stop()

    # 5xx, then fine: two retries with bounded, growing waits, then one post.
    tries = attempts(retried)
    assert [a.outcome for a in tries] == [Outcome.RETRY, Outcome.RETRY, Outcome.PUBLISHED]
    waits = [(b.started_at - a.ended_at).total_seconds() for a, b in pairwise(tries)]
    # Retry n waits a random time in [c/2, c], c = min(b·2ⁿ, cap) (posting/errors.py `backoff`):
    # b = 3 s, cap 4 s, so [1.5, 3] then [2, 4]; measured from the attempt's end, which is
    # stamped a few milliseconds after the wait was drawn.
    assert waits[0] >= 1.5 - 0.1 and waits[1] >= 2.0 - 0.1, waits
    assert all(w < 4 + 15 for w in waits), waits  # cap 4 s + beat tick + a loaded machine
    assert feed_calls(sb, flaky.external_id) == 3
    assert app_posts(sb)["Comes back"] == 1

    # 5xx for ever: 1 + PUBLISH_MAX_RETRIES calls, then failed with the reason.
    assert [a.outcome for a in attempts(bounded)] == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED]
    assert feed_calls(sb, down.external_id) == 3
    assert reload(bounded).last_error == errors.TOO_MANY_RETRIES

    # Rate limit: the retry waits for Facebook's estimate, and the Page's block is shared.
    limited = reload(limited)
    assert limited.state == S.SCHEDULED and limited.last_error_code == 80001
    assert limited.next_attempt_at >= rate_limited_at + timedelta(minutes=5) - timedelta(seconds=30)
    until = budget.blocked_until(busy.external_id)
    assert until is not None and until >= rate_limited_at + timedelta(minutes=4)
    waiting = reload(waiting)
    assert attempts(waiting) == []  # claimed, saw the block, never called
    assert waiting.next_attempt_at >= until - timedelta(seconds=1)
    assert feed_calls(sb, busy.external_id) == 1

    # Code 190: no retry; the account and all its pending work held.
    assert feed_calls(sb, dead.external_id) == 1
    assert reload(broken).retry_count == 0
    held = [reload(p) for p in (broken, *held_later)]
    assert {(p.state, p.hold_reason) for p in held} == {(S.HELD, "reconnect")}
    with scopes_disabled():
        assert SocialAccount.objects.get(pk=dead.pk).status == SocialAccount.Status.NEEDS_RECONNECT
    assert "Token died" not in app_posts(sb)
