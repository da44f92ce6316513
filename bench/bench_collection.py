"""Collection at scale against the Graph sandbox: calls per post and total time.

`python -m bench.bench_collection` (or `python -m bench bench_collection`). Production settings on
the PostgreSQL server of ``DATABASE_URL`` (a database ``<name>_bench_collection``), the sandbox
in this process on a free port. 2,000 Facebook Pages (200 restaurants of 10 Pages each, every
Page with its own Page token) and 10,000 posts made through the sandbox's Graph API (5 per Page),
published two hours ago on both clocks; then `analytics.collection.account_collect` runs for
every account, as the beat fan-out would. Printed: Graph calls for the posts' 1 h point per
post (target ≤ 1: one call per ≤ 50 posts of an account), daily-figure calls, snapshots stored,
and the total time (our side and the in-process sandbox together)."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.bench_pages import _production_env

TENANTS = int(os.environ.get("BENCH_COLLECTION_TENANTS", "200"))  # smaller for a try-out
PAGES_PER_TENANT = 10
POSTS_PER_PAGE = 5


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tablecast-bench-collection-") as tmp_dir:
        _production_env(Path(tmp_dir))
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        if connection.vendor != "postgresql":
            print(f"   needs PostgreSQL (DATABASE_URL is {connection.vendor}); skipped")
            return
        db = settings.DATABASES["default"]
        db["TEST"]["NAME"] = f"{db['NAME']}_bench_collection"
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        from sandbox.config import SandboxConfig
        from sandbox.pytest_plugin import TEST_DEFAULTS
        from sandbox.server import SandboxServer
        from sandbox.testing import SandboxHandle

        server = SandboxServer(SandboxConfig(**TEST_DEFAULTS)).start()
        try:
            sb = SandboxHandle(server)
            settings.FACEBOOK_GRAPH_URL = sb.url
            settings.FACEBOOK_APP_ID = sb.app_id
            settings.FACEBOOK_APP_SECRET = sb.app_secret
            settings.GRAPH_READ_TIMEOUT = 10.0
            started = time.perf_counter()
            accounts = _seed(sb)
            print(f"   seeded {len(accounts):,} Pages in {time.perf_counter() - started:.1f} s")
            _collect(sb, accounts)
        finally:
            server.stop()
            connection.creation.destroy_test_db(old_name, verbosity=0)


def _seed(sb: Any) -> list[Any]:
    import requests
    from django.utils import timezone

    from posting.models import Post, Publication
    from sandbox.seed import MARIA_ID
    from sandbox.testing import INSIGHT_SCOPES
    from social.models import SocialAccount
    from tenants.models import Tenant
    from tenants.scoping import scopes_disabled

    big = 10**9
    sb.control(
        "POST", "usage", json={"budgets": dict.fromkeys(("app", "user", "page", "buc"), big)}
    )
    session = requests.Session()
    published_at = timezone.now() - timedelta(hours=2)
    with scopes_disabled():
        tenants = Tenant.objects.bulk_create(
            Tenant(name=f"Bench {t}", slug=f"bench-{t}", timezone="Europe/Rome")
            for t in range(TENANTS)
        )
        accounts, posts, remote = [], [], []
        for t, tenant in enumerate(tenants):
            for p in range(PAGES_PER_TENANT):
                page = sb.control(
                    "POST", "pages", json={"name": f"Page {t}-{p}", "managers": [MARIA_ID]}
                )
                token = sb.mint_token(MARIA_ID, INSIGHT_SCOPES, page_id=page["id"])["token"]
                accounts.append(
                    SocialAccount(
                        tenant=tenant,
                        kind="facebook_page",
                        external_id=page["id"],
                        name=page["name"],
                        page_token=token,
                    )
                )
                for n in range(POSTS_PER_PAGE):
                    answer = session.post(
                        sb.graph_url(f"{page['id']}/feed"),
                        data={"message": f"Post {n}", "appsecret_proof": sb.proof(token)},
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=30,
                    )
                    remote.append(answer.json()["id"])
                    posts.append(Post(tenant=tenant, text=f"Post {n}", post_type="event"))
        SocialAccount.objects.bulk_create(accounts, batch_size=500)
        Post.objects.bulk_create(posts, batch_size=1000)
        Publication.objects.bulk_create(
            (
                Publication(
                    tenant=post.tenant,
                    post=post,
                    account=accounts[i // POSTS_PER_PAGE],
                    network="facebook",
                    shape="fb_text",
                    state="published",
                    published_at=published_at,
                    remote_id=remote[i],
                )
                for i, post in enumerate(posts)
            ),
            batch_size=1000,
        )
    sb.advance_clock(2 * 3600)
    return accounts


def _collect(sb: Any, accounts: list[Any]) -> None:
    from django.core.cache import cache

    from analytics import collection
    from analytics.models import AccountDailySnapshot, MetricSnapshot
    from social.models import SocialAccount
    from tenants.scoping import scopes_disabled, tenant_scope

    cache.clear()  # no Page budget blocks left from an earlier run
    sb.control("DELETE", "requests")
    due = collection.collections_due()
    print(f"   accounts with something due: {len(due):,}")
    started = time.perf_counter()
    calls = failed = 0
    with scopes_disabled():
        rows = list(SocialAccount.objects.select_related("tenant"))
    for account in rows:
        with tenant_scope(account.tenant):
            result = collection.account_collect(account=account)
        calls += result.calls
        failed += result.failed
    seconds = time.perf_counter() - started
    log = sb.requests_log()
    post_calls = sum(1 for r in log if r.get("graph_path") == "/")
    daily_calls = len(log) - post_calls
    with scopes_disabled():
        snapshots = MetricSnapshot.objects.count()
        daily = AccountDailySnapshot.objects.count()
    posts = len(accounts) * POSTS_PER_PAGE
    print(f"   {'posts':40}{posts:>10,}")
    print(f"   {'snapshots stored (1 h point)':40}{snapshots:>10,}")
    print(f"   {'daily account rows stored':40}{daily:>10,}")
    print(f"   {'Graph calls for the posts':40}{post_calls:>10,}")
    print(f"   {'calls per post (target <= 1)':40}{post_calls / posts:>10.2f}")
    print(f"   {'Graph calls for daily figures':40}{daily_calls:>10,}")
    print(f"   {'calls counted by the collector':40}{calls:>10,}")
    print(f"   {'posts that failed':40}{failed:>10,}")
    print(f"   {'total time':40}{seconds:>9.1f}s")
    print(f"   {'per account':40}{seconds / len(accounts) * 1000:>8.1f}ms")


if __name__ == "__main__":
    main()
