"""The analytics dashboard at a busy restaurant's size, next to a bare render of the same page.

`python -m bench.bench_analytics` (or `python -m bench bench_analytics`). Production settings on
the PostgreSQL server of ``DATABASE_URL`` (a database ``<name>_bench_analytics`` made and
dropped here), as `bench_pages` does. One restaurant with a Page and an Instagram account,
1,000 posts published in the last 90 days and 6,000 older ones (two years of history), four
snapshots each: 28,000 snapshots; 900 daily account rows; 200 library photos used by the posts.

Measured: the 90-day dashboard through Django's WSGI handler (median of 15 after a warm-up; SQL
included), computed at every request (its cache replaced by a dummy) and then served from its
cache (docs/analytics.md, "Dashboard cache"), and, as the reference, the same template rendered
from a context computed beforehand (no SQL). Target: ≤ 300 ms for the computed page
(docs/analytics.md); the ratio is printed. The cached page's target is bench_pages' (≤ 10 ms).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from bench.bench_pages import Timing, _request_timing, _time, production_database

RECENT = 1_000
OLDER = 6_000
PHOTOS = 200
TARGET_MS = 300.0


def main(profile: bool = False) -> None:
    with production_database("analytics") as ready:
        if not ready:
            return
        started = time.perf_counter()
        tenant, owner = _seed()
        print(f"   seeded in {time.perf_counter() - started:.1f} s")
        _measure(tenant, owner, profile=profile)


def _seed() -> tuple[Any, Any]:
    from django.utils import timezone

    from analytics.models import AccountDailySnapshot, MetricSnapshot
    from analytics.scores import asset_scores_refresh
    from assets.models import Asset, Rendition
    from posting.models import Post, PostMedia, Publication
    from social.models import SocialAccount
    from tenants.scoping import scopes_disabled, tenant_scope
    from tenants.testing import make_member, make_tenant

    tenant = make_tenant("Bench Bistro", slug="bench-bistro", timezone="Europe/Rome")
    owner = make_member(tenant)
    now = timezone.now()
    with scopes_disabled():
        page = SocialAccount.objects.create(
            tenant=tenant, kind="facebook_page", name="Bench Bistro", external_id="1001"
        )
        ig = SocialAccount.objects.create(
            tenant=tenant,
            kind="instagram",
            name="benchbistro",
            external_id="1781",
            linked_page=page,
        )
        assets = Asset.objects.bulk_create(
            Asset(
                tenant=tenant,
                title=f"Dish {i}",
                key=f"{tenant.pk}/bench-{i}.jpg",
                content_type="image/jpeg",
                width=1200,
                height=1200,
                bytes=1,
                upload_bytes=1,
                sha256=f"{i:064x}",
                status=Asset.Status.READY,
            )
            for i in range(PHOTOS)
        )
        Rendition.objects.bulk_create(
            Rendition(
                tenant=tenant,
                asset=a,
                kind="thumb",
                key=f"{a.pk}-t.jpg",
                width=1,
                height=1,
                bytes=1,
            )
            for a in assets
        )
        types = ["daily_special", "new_dish", "event", "promotion", "behind_the_scenes"]
        total = RECENT + OLDER
        posts = Post.objects.bulk_create(
            (Post(tenant=tenant, text=f"Post {i}", post_type=types[i % 5]) for i in range(total)),
            batch_size=1000,
        )
        PostMedia.objects.bulk_create(
            (
                PostMedia(tenant=tenant, post=p, asset=assets[i % PHOTOS], position=0)
                for i, p in enumerate(posts)
            ),
            batch_size=1000,
        )

        def published(i: int) -> Any:
            if i < RECENT:
                return now - timedelta(minutes=int(i * 90 * 1440 / RECENT) + 120)
            return now - timedelta(days=91) - timedelta(minutes=(i - RECENT) * 170)

        pubs = Publication.objects.bulk_create(
            (
                Publication(
                    tenant=tenant,
                    post=p,
                    account=page if i % 3 else ig,
                    network="facebook" if i % 3 else "instagram",
                    shape="fb_photo" if i % 3 else "ig_image",
                    state="published",
                    published_at=published(i),
                    remote_id=f"r{i}",
                    permalink=f"https://www.facebook.com/r{i}",
                )
                for i, p in enumerate(posts)
            ),
            batch_size=1000,
        )
        MetricSnapshot.objects.bulk_create(
            (
                MetricSnapshot(
                    tenant=tenant,
                    publication=pub,
                    point=point,
                    collected_at=pub.published_at + delay,
                    views=100 + i % 900 * step,
                    reach=80 + i % 700 * step,
                    engagement=5 + i % 60 * step,
                )
                for i, pub in enumerate(pubs)
                for step, (point, delay) in enumerate(
                    [
                        ("1h", timedelta(hours=1)),
                        ("24h", timedelta(days=1)),
                        ("7d", timedelta(days=7)),
                        ("28d", timedelta(days=28)),
                    ],
                    start=1,
                )
            ),
            batch_size=2000,
        )
        today = now.date()
        AccountDailySnapshot.objects.bulk_create(
            AccountDailySnapshot(
                tenant=tenant,
                account=account,
                day=today - timedelta(days=d),
                followers=3000 - d,
                reach=400 + d % 50,
                views=600 + d % 70,
                collected_at=now,
            )
            for account in (page, ig)
            for d in range(1, 451)
        )
        with tenant_scope(tenant):
            asset_scores_refresh(tenant=tenant)
        from django.db import connection

        with connection.cursor() as cursor:  # fresh statistics, as autovacuum would have
            cursor.execute("ANALYZE")
        print(f"   {MetricSnapshot.objects.count():,} snapshots, {len(pubs):,} publications")
    return tenant, owner


def _bare(tenant: Any, owner: Any, query: str) -> Timing:
    """The dashboard template rendered from a context computed beforehand (no SQL)."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.urls import reverse
    from django.utils import timezone

    from analytics import selectors
    from analytics.forms import PeriodForm
    from tenants.models import Membership
    from tenants.scoping import scopes_disabled, tenant_scope

    url = reverse("analytics:dashboard", args=[tenant.slug])
    request = RequestFactory().get(f"{url}?{query}")
    request.user = owner
    request.tenant = tenant
    with scopes_disabled():
        request.membership = Membership.objects.get(tenant=tenant, user=owner)
    request.csp_nonce = "bench"
    request._messages = []  # type: ignore[attr-defined]
    with tenant_scope(tenant):
        today = timezone.now().astimezone(tenant.tzinfo).date()
        form = PeriodForm(request.GET, accounts=selectors.accounts(tenant=tenant), today=today)
        data = selectors.dashboard(
            tenant=tenant, period=form.period_in(tenant.tzinfo), scope=form.scope(),
            now=timezone.now(),
        )  # fmt: skip
        context = {
            "form": form,
            "data": data,
            "chart_data": data.chart_data,
            "has_accounts": True,
            "query": query,
            "best_time_min": 8,
        }

        def render() -> str:  # the content, then the layout around it, as the view does
            body = render_to_string("analytics/_dashboard.html", context, request)
            return render_to_string("analytics/dashboard.html", {**context, "body": body}, request)

        timing = _time(render)
    return Timing("the same page rendered alone (reference)", *timing)


def _measure(tenant: Any, owner: Any, *, profile: bool = False) -> None:
    from django.urls import reverse

    query = "period=90"
    url = f"{reverse('analytics:dashboard', args=[tenant.slug])}?{query}"
    if profile:  # one request: each query's time, the slowest explained
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client()
        client.force_login(owner)
        with CaptureQueriesContext(connection) as queries:
            client.get(url, secure=True)
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        client.get(url, secure=True)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        ranked = sorted(queries, key=lambda q: -float(q["time"]))
        for q in ranked:
            print(f"   {q['time']}s  {q['sql'][:150]}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + ranked[0]["sql"])
            print("\n".join("   " + row[0] for row in cursor.fetchall()))
        return
    from django.core.cache.backends.dummy import DummyCache

    from analytics import views

    kept = views.cache
    views.cache = DummyCache("bench", {})  # type: ignore[assignment]  # every request computes
    try:
        page = _request_timing("analytics, 90 days, computed", url, owner, TARGET_MS)
    finally:
        views.cache = kept
    cached = _request_timing("analytics, 90 days, from its cache", url, owner, None)
    bare = _bare(tenant, owner, query)
    print(f"   {'':44}{'median':>9}{'spread':>18}{'cpu':>9}{'queries':>9}")
    for row in (page, cached, bare):
        spread = f"{row.fastest_ms:.1f}–{row.slowest_ms:.1f} ms"
        queries = "" if row.queries is None else str(row.queries)
        print(f"   {row.label:44}{row.median_ms:7.1f}ms{spread:>18}{row.cpu_ms:7.1f}ms{queries:>9}")
    verdict = "within" if page.median_ms <= TARGET_MS else "OVER"
    print(
        f"   page / bare render = {page.median_ms / bare.median_ms:.1f}×; "
        f"page {page.median_ms:.0f} ms {verdict} the {TARGET_MS:.0f} ms target"
    )


if __name__ == "__main__":
    import sys

    main(profile="--profile" in sys.argv)
