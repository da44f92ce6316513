"""Published publications with snapshots, made directly (no Graph), for page and query tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from analytics.models import AccountDailySnapshot, MetricSnapshot
from posting.models import Post, PostMedia, Publication
from tenants.scoping import scopes_disabled

_n = itertools.count(1)


def make_published(
    tenant,
    account,
    *,
    at: datetime,
    text: str = "",
    post_type: str = "daily_special",
    asset=None,
    reach: int | None = 500,
    engagement: int | None = 40,
    available: bool = True,
    points: tuple[str, ...] = ("1h", "24h"),
) -> Publication:
    n = next(_n)
    network = "facebook" if account.is_page else "instagram"
    with scopes_disabled():
        post = Post.objects.create(tenant=tenant, text=text or f"Post {n}", post_type=post_type)
        if asset is not None:
            PostMedia.objects.create(tenant=tenant, post=post, asset=asset, position=0)
        publication = Publication.objects.create(
            tenant=tenant,
            post=post,
            account=account,
            network=network,
            shape="fb_text" if network == "facebook" else "ig_image",
            state=Publication.State.PUBLISHED,
            published_at=at,
            remote_id=f"{account.external_id}_{n}",
            permalink=f"https://www.facebook.com/{account.external_id}/posts/{n}",
        )
        for i, point in enumerate(points):
            grow = (i + 1) / len(points)
            MetricSnapshot.objects.create(
                tenant=tenant,
                publication=publication,
                point=point,
                collected_at=at + timedelta(hours=1 + 23 * i),
                available=available,
                views=int(reach * 1.3 * grow) if available and reach is not None else None,
                reach=int(reach * grow) if available and reach is not None else None,
                engagement=int(engagement * grow) if available and engagement is not None else None,
            )
    return publication


def make_daily(tenant, account, *, day, followers=1000, reach=300, views=400):
    with scopes_disabled():
        return AccountDailySnapshot.objects.create(
            tenant=tenant,
            account=account,
            day=day,
            followers=followers,
            reach=reach,
            views=views,
            collected_at=datetime.combine(day, datetime.min.time()).astimezone(),
        )


def make_many(tenant, account, *, count: int, since: datetime, asset=None) -> None:
    """``count`` published posts spread over the days after ``since``, with two snapshots each
    (bulk inserts: the query-count and benchmark setups)."""
    network = "facebook" if account.is_page else "instagram"
    with scopes_disabled():
        posts = Post.objects.bulk_create(
            Post(tenant=tenant, text=f"Bulk post {i}", post_type="daily_special")
            for i in range(count)
        )
        if asset is not None:
            PostMedia.objects.bulk_create(
                PostMedia(tenant=tenant, post=p, asset=asset, position=0) for p in posts
            )
        pubs = Publication.objects.bulk_create(
            Publication(
                tenant=tenant,
                post=p,
                account=account,
                network=network,
                shape="fb_text",
                state=Publication.State.PUBLISHED,
                published_at=since + timedelta(minutes=37 * i),
                remote_id=f"{account.external_id}_b{i}",
            )
            for i, p in enumerate(posts)
        )
        MetricSnapshot.objects.bulk_create(
            MetricSnapshot(
                tenant=tenant,
                publication=pub,
                point=point,
                collected_at=pub.published_at + timedelta(hours=hours),
                views=100 + i,
                reach=80 + i,
                engagement=5 + i % 20,
            )
            for i, pub in enumerate(pubs)
            for point, hours in (("1h", 1), ("24h", 24))
        )
