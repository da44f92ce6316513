"""RELIABILITY J1 at CI size: 200 due posts over three Pages, 4 real Celery worker processes,
2 beat processes (one holds the lock), every publish task enqueued twice, 5 random kill -9.
After the drain the sandbox holds exactly one post per publication: 0 duplicates, 0 missing.
The full size (1,000 posts, 8 workers, 10 kills) runs in bench/ (`python -m bench bench_publishing`)."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from posting import chaos
from posting.models import Post, Publication
from posting.tests.factories import make_page
from posting.tests.workers import WORKER_TEST_MARKS
from tenants.scoping import scopes_disabled

pytestmark = WORKER_TEST_MARKS
MARIA = "10160000000000001"
PAGES = ["104512398765001", "104512398765002", "104512398765003"]
SCOPES = ["pages_manage_posts", "pages_read_engagement", "business_management"]


def seed(sb, tenant, count: int) -> list[Publication]:
    accounts = [
        make_page(tenant, external_id=pid, token=sb.mint_token(MARIA, SCOPES, page_id=pid)["token"])
        for pid in PAGES
    ]
    now = timezone.now()
    with scopes_disabled():
        posts = Post.objects.bulk_create(
            [Post(tenant=tenant, text=f"J1 post {i}", scheduled_at=now) for i in range(count)]
        )
        return Publication.objects.bulk_create(
            [
                Publication(
                    tenant=tenant, post=post, account=accounts[i % len(accounts)],
                    network="facebook", shape="fb_text", state="scheduled", next_attempt_at=now,
                )
                for i, post in enumerate(posts)
            ]
        )  # fmt: skip


def test_j1_exactly_one_post_per_publication_under_kill_9(graph_sandbox_factory, tenant, tmp_path):
    sb = graph_sandbox_factory()
    sb.set_usage_budgets(page=10**6, buc=10**6, app=10**6, user=10**6)
    publications = seed(sb, tenant, 200)
    chaos.schedule_fast_beat(seconds=2)
    chaos.purge_publish_queue()
    run = chaos.Chaos(env=chaos.chaos_env(sandbox=sb), workers=4, beats=2, kills=5,
                      kill_window=15, log_dir=tmp_path)  # fmt: skip
    drained = run.drain(expected=len(publications), timeout=150)
    with scopes_disabled():
        states = Counter(Publication.objects.values_list("state", flat=True))
        remote = dict(Publication.objects.values_list("post__text", "remote_id"))
    assert drained, f"not drained: {states}\n{run.logs()}"
    assert run.kills_done == 5 and run.duplicates_sent >= 200
    posts = [p for p in sb.control("GET", "posts") if p["from_app"]]
    per_text = Counter(p["message"] for p in posts)
    assert [t for t, n in per_text.items() if n > 1] == []  # 0 duplicates
    assert set(per_text) == {f"J1 post {i}" for i in range(200)}  # 0 missing
    assert states == {"published": 200}
    by_text = {p["message"]: p["id"] for p in posts}
    assert all(remote[text] == by_text[text] for text in by_text)
    assert len(sb.requests_log(path="/*/feed", method="POST")) == 200
