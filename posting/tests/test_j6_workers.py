"""RELIABILITY J6 with real Celery worker processes, Redis and the Graph sandbox over HTTP (the
static scan of every ``eta``/``countdown`` is in test_dispatch.py).

The broker's visibility timeout is cut to 5 s and the longest countdown the app may send
(``CELERY_MAX_COUNTDOWN_SECONDS``) to 2 s, while Instagram polling asks for 600 s between polls:
a countdown that escaped `lib.tasks.bounded_countdown` would outlive the visibility timeout and
Redis would hand the message to a second worker. Two Instagram posts are published by two
workers while the sandbox takes 8 s to process each container, so polls are re-enqueued. Every
task message sent by the workers and beat (the spy of `posting.chaos_app`) carries an ETA at most
2 s after it was sent; no task runs twice or redelivered; each post is on the account once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from assets.tests.factories import make_asset
from posting import services
from posting.models import Publication
from posting.testing import connect_maria
from posting.tests.workers import WORKER_TEST_MARKS, S, harness
from tenants.scoping import scopes_disabled, tenant_scope

pytestmark = WORKER_TEST_MARKS
VISIBILITY, MAX_COUNTDOWN = 5, 2


def ahead(event: dict) -> float:
    """How far in the future the message's ETA was when it was sent (0 without one)."""
    if not event["due"]:
        return 0.0
    return datetime.fromisoformat(event["due"]).timestamp() - event["at"]


def test_j6_no_message_outlives_the_visibility_timeout(
    graph_sandbox_factory, tenant, tmp_path, live_server
):
    sb = graph_sandbox_factory()
    sb.set_usage_budgets(page=10**6, buc=10**6, app=10**6, user=10**6)
    sb.control("POST", "limits", json={"container_processing_seconds": 8})
    _page, ig = connect_maria(sb, tenant)
    captions = ["J6 risotto #pasta", "J6 tiramisu #dolci"]
    with tenant_scope(tenant):
        publications = [
            services.post_create(
                tenant=tenant, author=None, account_ids=[ig.pk], text=caption, publish_now=True,
                asset_ids=[make_asset(tenant, width=700 + 10 * i, height=700).pk],
            ).publications[0]
            for i, caption in enumerate(captions)
        ]  # fmt: skip
    run = harness(
        sb, tmp_path, workers=2, SITE_URL=live_server.url, PUBLIC_MEDIA_BASE_URL="",
        CHAOS_VISIBILITY_TIMEOUT=VISIBILITY, CHAOS_MAX_COUNTDOWN_SECONDS=MAX_COUNTDOWN,
        INSTAGRAM_POLL_SECONDS=600, INSTAGRAM_POLL_MAX_SECONDS=120,
    )  # fmt: skip

    def too_long() -> list[dict]:
        return [e for e in run.events("sent") if ahead(e) > MAX_COUNTDOWN + 0.5]

    def finished_or_broken() -> bool:
        with scopes_disabled():
            published = Publication.objects.filter(
                pk__in=[p.pk for p in publications], state=S.PUBLISHED
            ).count()
        return published == len(publications) or bool(too_long())

    try:
        run.start()
        ended = run.wait_for(finished_or_broken, timeout=120)
        run.wait_for(lambda: False, timeout=VISIBILITY + 1)  # a redelivery would show by now
    finally:
        run.stop()
    assert ended, run.logs()
    assert too_long() == []  # J6: no ETA beyond the cap (2 s), hence none beyond 5 s
    polls = [e for e in run.events("sent") if e["task"] == "posting.publication_poll"]
    assert len(polls) >= 2 * len(publications)  # IN_PROGRESS at least once each: re-enqueued
    assert all(0 < ahead(e) <= MAX_COUNTDOWN + 0.5 for e in polls)
    sent = {e["id"] for e in run.events("sent")}
    runs = [e for e in run.events("run") if e["id"] in sent]  # this run's messages
    assert len(runs) >= len(polls)
    assert [i for i, n in Counter(e["id"] for e in runs).items() if n > 1] == []
    assert not any(e["redelivered"] for e in runs)
    with scopes_disabled():
        states = Counter(
            Publication.objects.filter(pk__in=[p.pk for p in publications]).values_list(
                "state", flat=True
            )
        )
    assert states == {S.PUBLISHED: len(publications)}
    media = Counter(m["caption"] for m in sb.control("GET", "ig-media"))
    assert media == dict.fromkeys(captions, 1)
    assert len(sb.requests_log(path="/*/media_publish", method="POST")) == len(publications)
