"""Shared set-up of the worker-process J tests (test_j3/j4/j6/j7/j9_workers.py): Pages of the
Graph sandbox connected to a restaurant, text publications due at chosen times, and the chaos
harness (`posting.chaos`) started with the spying app (`posting.chaos_app`)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from posting import chaos
from posting.models import Post, Publication, PublishAttempt
from posting.tests.factories import make_page
from tenants.scoping import scopes_disabled

MARIA = "10160000000000001"
SCOPES = ["pages_manage_posts", "pages_read_engagement", "business_management"]
S = Publication.State

# Every worker-process test: a real (committed) database the processes can read, marked slow,
# and in one xdist group, so that under `pytest -n` they run one after another on one test
# worker: two of them side by side would put 8 Celery processes on a 2-core machine and
# stretch the timings their stuck/reconcile delays assume (docs/recipes.md, "Run the tests").
WORKER_TEST_MARKS = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.xdist_group("celery-workers"),
]


def sandbox_pages(sb: Any, tenant: Any, count: int) -> list[Any]:
    """``count`` new sandbox Pages managed by Maria, connected to ``tenant`` with real tokens."""
    accounts = []
    for i in range(count):
        page = sb.control("POST", "pages", json={"name": f"Worker page {i}", "managers": [MARIA]})
        token = sb.mint_token(MARIA, SCOPES, page_id=page["id"])["token"]
        accounts.append(make_page(tenant, external_id=page["id"], name=page["name"], token=token))
    return accounts


def seed_texts(
    tenant: Any, account: Any, texts: list[str], *, due: datetime | None = None
) -> list[Publication]:
    """Facebook text publications, ``scheduled`` and due at ``due`` (now by default)."""
    due = due or timezone.now()
    with scopes_disabled():
        posts = Post.objects.bulk_create(
            [Post(tenant=tenant, text=text, scheduled_at=due) for text in texts]
        )
        return Publication.objects.bulk_create(
            [
                Publication(
                    tenant=tenant, post=post, account=account, network="facebook",
                    shape="fb_text", state="scheduled", next_attempt_at=due,
                )
                for post in posts
            ]
        )  # fmt: skip


def harness(sb: Any, tmp_path: Any, *, workers: int = 2, beats: int = 1, **env: Any) -> chaos.Chaos:
    """Workers and beat of `posting.chaos_app` (spying into ``tmp_path/spy.jsonl``), beat
    ticking every second, an empty publish queue; not started yet."""
    chaos.schedule_fast_beat(seconds=1)
    chaos.purge_publish_queue()
    spy = tmp_path / "spy.jsonl"
    return chaos.Chaos(
        env=chaos.chaos_env(sandbox=sb, CHAOS_SPY_FILE=spy, **env),
        app="posting.chaos_app",
        workers=workers,
        beats=beats,
        kills=0,
        duplicate=False,
        log_dir=tmp_path,
    )


def reload(publication: Publication) -> Publication:
    with scopes_disabled():
        return Publication.objects.get(pk=publication.pk)


def attempts(publication: Publication) -> list[PublishAttempt]:
    with scopes_disabled():
        return list(PublishAttempt.objects.filter(publication=publication).order_by("number"))


def app_posts(sb: Any) -> Counter[str]:
    """Messages of the posts the app made on the sandbox, with how many times each exists."""
    return Counter(p["message"] for p in sb.control("GET", "posts") if p["from_app"])


def feed_calls(sb: Any, page_id: str) -> int:
    return len(sb.requests_log(path=f"/{page_id}/feed", method="POST"))
