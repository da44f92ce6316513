"""Reads for analytics pages and for other apps (docs/analytics.md)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from analytics.models import AccountDailySnapshot, AssetScore, MetricSnapshot
from assets.models import Asset, AssetTag, Folder, Rendition, Tag
from assets.selectors import with_tile_links
from lib.statements import INT, Statement
from posting.ai import POST_TYPES
from posting.models import Post, PostMedia, Publication
from social.models import SocialAccount
from tenants.models import Tenant
from tenants.scoping import current_tenant
from tenants.statements import TENANT


def asset_scores(*, tenant: Tenant) -> dict[int, float]:
    """{asset id: score 0–1} for `posting.suggestions.asset_suggestions(scores=…)`; empty until
    analytics has figures for posts that used the restaurant's photos."""
    return dict(AssetScore.objects.filter(tenant=tenant).values_list("asset_id", "score"))


# -- the dashboard ----------------------------------------------------------------------------
BEST_TIME_HISTORY = timedelta(days=180)
TOP_POSTS = 5
TOP_PHOTOS = 6
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class Period:
    """Local days ``start``..``end`` (both included) in ``tz``; UTC bounds for queries."""

    start: date
    end: date
    tz: ZoneInfo

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=self.tz)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=self.tz)

    @classmethod
    def last_days(cls, days: int, *, tz: ZoneInfo, now: datetime) -> Period:
        """The last ``days`` local days up to today."""
        today = now.astimezone(tz).date()
        return cls(start=today - timedelta(days=days - 1), end=today, tz=tz)

    def previous(self) -> Period:
        length = self.end - self.start + timedelta(days=1)
        return Period(start=self.start - length, end=self.start - timedelta(days=1), tz=self.tz)


@dataclass(frozen=True)
class Scope:
    """Which accounts the dashboard shows: all, one network, or one account."""

    network: str = ""
    account_id: str = ""


def _scoped(queryset: QuerySet, scope: Scope, *, account_field: str = "account") -> QuerySet:
    if scope.account_id:
        return queryset.filter(**{f"{account_field}_id": scope.account_id})
    if scope.network:
        kind = (
            SocialAccount.Kind.FACEBOOK_PAGE
            if scope.network == Publication.Network.FACEBOOK
            else SocialAccount.Kind.INSTAGRAM
        )
        return queryset.filter(**{f"{account_field}__kind": kind})
    return queryset


def published_between(*, tenant: Tenant, since: datetime, until: datetime) -> QuerySet:
    """Published publications of ``tenant`` in [since, until), oldest first, with their post
    and account. Their figures come from `_post_rows` (one more query)."""
    return (
        Publication.objects.filter(
            tenant=tenant,
            state=Publication.State.PUBLISHED,
            published_at__gte=since,
            published_at__lt=until,
        )
        .select_related("post")
        .only(*PUBLICATION_FIELDS)
        .order_by("published_at", "id")
    )


# What the dashboard and the export read (no tokens: loading one decrypts it).
PUBLICATION_FIELDS = (
    "id", "tenant_id", "post_id", "account_id", "network", "shape", "state", "published_at",
    "permalink", "post__id", "post__tenant_id", "post__text", "post__text_facebook",
    "post__text_instagram", "post__post_type",
)  # fmt: skip


def rate(engagement: int | None, reach: int | None) -> float | None:
    return engagement / reach if engagement is not None and reach else None


def change(now: float | None, before: float | None) -> float | None:
    """Relative change, or None when there is nothing to compare with."""
    if now is None or not before:
        return None
    return (now - before) / before


@dataclass
class Tile:
    label: str
    value: float | None
    previous: float | None
    kind: str = "count"  # count / percent

    @property
    def change(self) -> float | None:
        return change(self.value, self.previous)


@dataclass
class PostRow:
    publication: Publication
    reach: int | None
    engagement: int | None
    rate: float | None
    views: int | None
    local_time: datetime
    collected: bool = False
    thumb_url: str = ""


@dataclass
class PhotoRow:
    asset: Any
    posts: int
    engagement_per_post: float


@dataclass
class GroupRow:
    name: str
    posts: int
    engagement_per_post: float
    reach_per_post: float | None = None
    rate: float | None = None


@dataclass
class Dashboard:
    period: Period
    posts: list[PostRow]
    tiles: list[Tile]
    days: list[dict[str, Any]]  # {"day", "views", "reach", "engagement", "followers"}
    top_posts: list[PostRow]
    photos: list[PhotoRow]
    folders: list[GroupRow]
    tags: list[GroupRow]
    post_types: list[GroupRow]
    heatmap: list[dict[str, Any]] | None  # None: not enough data yet
    heatmap_posts: int
    best_slots: list[str]
    has_any_post: bool
    has_figures: bool = False
    waiting: int = 0  # posts in the period without figures yet

    @property
    def chart_data(self) -> dict[str, Any]:
        return {
            "labels": [d["label"] for d in self.days],
            "views": [d["views"] for d in self.days],
            "reach": [d["reach"] for d in self.days],
            "engagement": [d["engagement"] for d in self.days],
            "followers": [d["followers"] for d in self.days],
            "types": [t.name for t in self.post_types],
            "type_rates": [
                round(t.rate * 100, 2) if t.rate is not None else None for t in self.post_types
            ],
        }


def _latest_figures(ids: list[Any]) -> tuple[dict[Any, tuple], set[Any]]:
    """{publication id: (views, reach, engagement) of its latest available snapshot} and the
    ids with any snapshot. One query for any number of publications: every snapshot of them
    (at most four each), the latest picked here. (Correlated subqueries per publication cost
    PostgreSQL seconds at 1,000 posts: bench/bench_analytics.py.)"""
    latest: dict[Any, tuple] = {}
    collected: set[Any] = set()
    for pub_id, available, views, reach, engagement in (
        MetricSnapshot.objects.filter(publication_id__in=ids)
        .order_by("publication_id", "collected_at", "id")
        .values_list("publication_id", "available", "views", "reach", "engagement")
    ):
        collected.add(pub_id)
        if available:
            latest[pub_id] = (views, reach, engagement)
    return latest, collected


def _post_rows(publications: Iterable[Publication], tz: ZoneInfo) -> list[PostRow]:
    """Each publication with its latest figures (empty when none yet)."""
    publications = list(publications)
    latest, collected = _latest_figures([p.pk for p in publications])
    # The few accounts once, not one (token-decrypting) instance per publication.
    accounts = SocialAccount.objects.filter(pk__in={p.account_id for p in publications}).only(
        "id", "tenant_id", "name", "kind"
    )
    by_id = {a.pk: a for a in accounts}
    rows = []
    for p in publications:
        p.account = by_id[p.account_id]
        views, reach, engagement = latest.get(p.pk, (None, None, None))
        rows.append(
            PostRow(
                publication=p,
                reach=reach,
                engagement=engagement,
                rate=rate(engagement, reach),
                views=views,
                local_time=p.published_at.astimezone(tz),  # type: ignore[union-attr]
                collected=p.pk in collected,
            )
        )
    return rows


def _history(
    *, tenant: Tenant, scope: Scope, since: datetime, until: datetime, tz: ZoneInfo
) -> list[tuple[datetime, float | None]]:
    """(local publishing time, engagement rate) of the published posts in [since, until)."""
    published = published_between(tenant=tenant, since=since, until=until)
    pubs = list(_scoped(published, scope).values_list("id", "published_at"))
    latest, _collected = _latest_figures([pk for pk, _at in pubs])
    result = []
    for pk, at in pubs:
        _views, reach, engagement = latest.get(pk, (None, None, None))
        result.append((at.astimezone(tz), rate(engagement, reach)))
    return result


def _sum(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _tiles(posts: list[PostRow], before: list[PostRow], followers: tuple) -> list[Tile]:
    def totals(rows: list[PostRow]) -> tuple[int | None, int | None, float | None]:
        reach = _sum(r.reach for r in rows)
        engagement = _sum(r.engagement for r in rows)
        return reach, engagement, rate(engagement, reach)

    reach, engagement, r = totals(posts)
    p_reach, p_engagement, p_rate = totals(before)
    return [
        Tile("Posts published", len(posts), len(before)),
        Tile("People reached by posts", reach, p_reach),
        Tile("Interactions", engagement, p_engagement),
        Tile("Engagement rate", r, p_rate, kind="percent"),
        Tile("Followers", followers[0], followers[1]),
    ]


def _daily(
    *, tenant: Tenant, period: Period, scope: Scope, posts: list[PostRow]
) -> tuple[list[dict[str, Any]], tuple[int | None, int | None]]:
    rows = _scoped(
        AccountDailySnapshot.objects.filter(
            tenant=tenant,
            day__gte=period.previous().start,
            day__lte=period.end,
        ),
        scope,
    ).values_list("account_id", "day", "followers", "reach", "views")
    by_day: dict[date, dict[str, Any]] = defaultdict(dict)
    followers_by_account: dict[Any, dict[date, int]] = defaultdict(dict)
    for account_id, day, followers, reach, views in rows:
        entry = by_day[day]
        if reach is not None:
            entry["reach"] = entry.get("reach", 0) + reach
        if views is not None:
            entry["views"] = entry.get("views", 0) + views
        if followers is not None:
            followers_by_account[account_id][day] = followers
    engagement_by_day: dict[date, int] = defaultdict(int)
    for row in posts:
        if row.engagement is not None:
            engagement_by_day[row.local_time.date()] += row.engagement

    def followers_on(day: date) -> int | None:
        known = [
            days[max(d for d in days if d <= day)]
            for days in followers_by_account.values()
            if any(d <= day for d in days)
        ]
        return sum(known) if known else None

    days = [
        {
            "day": day,
            "label": day.strftime("%b %-d"),
            "views": by_day.get(day, {}).get("views"),
            "reach": by_day.get(day, {}).get("reach"),
            "engagement": engagement_by_day.get(day, 0) if by_day or posts else None,
            "followers": followers_on(day),
        }
        for day in period.days
    ]
    return days, (followers_on(period.end), followers_on(period.previous().end))


def _photos(
    *, tenant: Tenant, posts: list[PostRow]
) -> tuple[list[PhotoRow], list[GroupRow], list[GroupRow]]:
    per_post: dict[int, int] = defaultdict(int)
    for row in posts:
        if row.engagement is not None:
            per_post[row.publication.post_id] += row.engagement
    media = list(
        PostMedia.objects.filter(
            tenant=tenant, post_id__in=per_post, asset__isnull=False
        ).values_list("asset_id", "post_id", "asset__folder__name")
    )
    uses: dict[int, set[int]] = defaultdict(set)
    folders: dict[str, set[int]] = defaultdict(set)
    for asset_id, post_id, folder in media:
        uses[asset_id].add(post_id)
        folders[folder or "Not in a folder"].add(post_id)
    tags: dict[str, set[int]] = defaultdict(set)
    for asset_id, name in AssetTag.objects.filter(tenant=tenant, asset_id__in=uses).values_list(
        "asset_id", "tag__name"
    ):
        tags[name] |= uses[asset_id]

    def mean(post_ids: set[int]) -> float:
        return sum(per_post[p] for p in post_ids) / len(post_ids)

    ranked = sorted(uses, key=lambda a: (-mean(uses[a]), -len(uses[a]), a))[:TOP_PHOTOS]
    assets = {a.pk: a for a in Asset.objects.filter(tenant=tenant, pk__in=ranked)}
    shown = with_tile_links(tenant=tenant, assets=[assets[a] for a in ranked if a in assets])
    photos = [PhotoRow(asset, len(uses[asset.pk]), mean(uses[asset.pk])) for asset in shown]

    def groups(found: dict[str, set[int]]) -> list[GroupRow]:
        rows = [GroupRow(name, len(ids), mean(ids)) for name, ids in found.items()]
        return sorted(rows, key=lambda g: (-g.engagement_per_post, g.name))[:5]

    return photos, groups(folders), groups(tags)


def _post_types(posts: list[PostRow]) -> list[GroupRow]:
    found: dict[str, list[PostRow]] = defaultdict(list)
    for row in posts:
        kind = POST_TYPES.get(row.publication.post.post_type)
        found[kind.label if kind else "Other posts"].append(row)
    result = []
    for name, rows in found.items():
        with_figures = [r for r in rows if r.engagement is not None]
        engagement = _sum(r.engagement for r in with_figures)
        reach = _sum(r.reach for r in with_figures)
        result.append(
            GroupRow(
                name=name,
                posts=len(rows),
                engagement_per_post=(engagement or 0) / len(with_figures) if with_figures else 0,
                reach_per_post=(reach / len(with_figures)) if reach is not None else None,
                rate=rate(engagement, reach),
            )
        )
    return sorted(result, key=lambda g: (-(g.rate or 0), g.name))


def _heatmap(
    rows: list[tuple[datetime, float | None]],
) -> tuple[list[dict[str, Any]] | None, int, list[str]]:
    with_rate = [(at, r) for at, r in rows if r is not None]
    if len(with_rate) < settings.ANALYTICS_BEST_TIME_MIN_POSTS:
        return None, len(with_rate), []
    cells: dict[tuple[int, int], list[float]] = defaultdict(list)
    for at, r in with_rate:
        cells[(at.weekday(), at.hour)].append(r)
    means = {key: sum(v) / len(v) for key, v in cells.items()}
    best = max(means.values()) or 1
    grid = [
        {
            "weekday": WEEKDAYS[wd],
            "cells": [
                {
                    "hour": hour,
                    "rate": means.get((wd, hour)),
                    "posts": len(cells.get((wd, hour), [])),
                    "level": round(4 * means[(wd, hour)] / best) if (wd, hour) in means else None,
                }
                for hour in range(24)
            ],
        }
        for wd in range(7)
    ]
    top = sorted(means, key=lambda k: -means[k])[:3]
    slots = [f"{WEEKDAYS[wd]} at {hour:02d}:00" for wd, hour in top]
    return grid, len(with_rate), slots


def dashboard(*, tenant: Tenant, period: Period, scope: Scope, now: datetime) -> Dashboard:
    """Everything the analytics page shows, in a fixed number of queries (nine) whatever the
    number of posts: the publications of this and the previous period with their latest
    figures, the daily account rows, the photos and tags of the period's posts, the
    best-time history."""
    tz = period.tz
    previous = period.previous()
    pubs = list(
        _scoped(
            published_between(tenant=tenant, since=previous.since, until=period.until),
            scope,
        )
    )
    rows = _post_rows(pubs, tz)
    posts = [r for r in rows if r.publication.published_at >= period.since]  # type: ignore[operator]
    before = [r for r in rows if r.publication.published_at < period.since]  # type: ignore[operator]
    days, followers = _daily(tenant=tenant, period=period, scope=scope, posts=posts)
    top = sorted(
        (r for r in posts if r.engagement is not None),
        key=lambda r: (-(r.engagement or 0), -(r.reach or 0), r.publication.pk),
    )[:TOP_POSTS]
    _thumbs(tenant=tenant, rows=top)
    photos, folders, tags = _photos(tenant=tenant, posts=posts)
    history = _history(tenant=tenant, scope=scope, since=now - BEST_TIME_HISTORY, until=now, tz=tz)
    heatmap, heat_posts, best = _heatmap(history)
    return Dashboard(
        period=period,
        posts=posts,
        tiles=_tiles(posts, before, followers),
        days=days,
        top_posts=top,
        photos=photos,
        folders=folders,
        tags=tags,
        post_types=_post_types(posts),
        heatmap=heatmap,
        heatmap_posts=heat_posts,
        best_slots=best,
        has_any_post=Publication.objects.filter(
            tenant=tenant, state=Publication.State.PUBLISHED
        ).exists(),
        has_figures=any(r.engagement is not None for r in posts),
        waiting=sum(1 for r in posts if r.engagement is None),
    )


# -- what the dashboard was computed from ------------------------------------------------------
# Every row the dashboard reads, as (model, what tells a change): rows only ever added are told by
# their count and highest id (snapshots are never overwritten), rows changed in place by their
# count and latest ``updated_at`` (publishing states move through `posting.states`, which sets
# it), a few short lists (names shown on the page) by a digest of what is shown.
_CHANGES = [
    (MetricSnapshot, "count(*) || '/' || coalesce(max(id), 0)", ("id",)),
    (AccountDailySnapshot, "count(*) || '/' || coalesce(max(id), 0)", ("id",)),
    (Publication, "count(*) || '/' || coalesce(max(updated_at)::text, '')", ("id", "updated_at")),
    (Post, "count(*) || '/' || coalesce(max(updated_at)::text, '')", ("id", "updated_at")),
    (PostMedia, "count(*) || '/' || coalesce(max(id), 0)", ("id",)),
    # Moving photos to a folder is one UPDATE of their folder alone (assets.services).
    (
        Asset,
        "count(*) || '/' || coalesce(max(updated_at)::text, '') || '/' || "
        "md5(coalesce(string_agg(id || ':' || coalesce(folder_id, 0), '/' ORDER BY id), ''))",
        ("id", "updated_at", "folder_id"),
    ),
    (Rendition, "count(*) || '/' || coalesce(max(id), 0)", ("id",)),
    (AssetTag, "count(*) || '/' || coalesce(max(id), 0)", ("id",)),
    (Tag, "md5(coalesce(string_agg(id || ':' || name, '/' ORDER BY id), ''))", ("id", "name")),
    (Folder, "md5(coalesce(string_agg(id || ':' || name, '/' ORDER BY id), ''))", ("id", "name")),
    (
        SocialAccount,
        "md5(coalesce(string_agg(id || kind || status || name, '/' ORDER BY id), ''))",
        ("id", "kind", "status", "name"),
    ),
]


def dashboard_version(*, tenant: Tenant, now: datetime) -> str:
    """Changes whenever anything `dashboard` reads for ``tenant`` changes, in one query of
    aggregates (docs/analytics.md, "Dashboard cache"); table names come from the models and
    every value is a parameter. The best-time history ends at ``now``: the
    number of published posts inside it is part of the version, so a post leaving the 180 days
    changes it too."""
    if connection.vendor != "postgresql":
        return _dashboard_version_portable(tenant=tenant, now=now)
    parts = [
        f"(SELECT {changes} FROM {model._meta.db_table} WHERE tenant_id = %(tenant)s)"  # noqa: S608
        for model, changes, _ in _CHANGES
    ]
    parts.append(
        f"(SELECT count(*) FROM {Publication._meta.db_table} WHERE tenant_id = %(tenant)s"  # noqa: S608
        " AND state = %(published)s AND published_at >= %(history)s AND published_at < %(now)s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(parts),
            {
                "tenant": tenant.pk,
                "published": Publication.State.PUBLISHED,
                "history": now - BEST_TIME_HISTORY,
                "now": now,
            },
        )
        row = cursor.fetchone()
    return "|".join(str(value) for value in row)


def _dashboard_version_portable(*, tenant: Tenant, now: datetime) -> str:
    """`dashboard_version` on the embedded SQLite default (`make run` on a laptop), which has
    no ``string_agg`` or ``md5``: a digest of the same columns of every row, read through the
    ORM. Slower, and only for development; production runs PostgreSQL."""
    digest = hashlib.sha256()
    for model, _, fields in _CHANGES:
        rows = model.objects.filter(tenant=tenant).order_by("id").values_list(*fields)
        digest.update(repr(list(rows)).encode())
    published = Publication.objects.filter(
        tenant=tenant,
        state=Publication.State.PUBLISHED,
        published_at__gte=now - BEST_TIME_HISTORY,
        published_at__lt=now,
    ).count()
    return f"{digest.hexdigest()}|{published}"


def _thumbs(*, tenant: Tenant, rows: list[PostRow]) -> None:
    """The first photo's thumbnail of each row's post (two queries for any number of rows)."""
    first = dict(
        PostMedia.objects.filter(
            tenant=tenant, post_id__in=[r.publication.post_id for r in rows], asset__isnull=False
        )
        .order_by("post_id", "-position")
        .values_list("post_id", "asset_id")
    )
    assets = {
        a.pk: a
        for a in with_tile_links(
            tenant=tenant, assets=Asset.objects.filter(tenant=tenant, pk__in=first.values())
        )
    }
    for row in rows:
        asset = assets.get(first.get(row.publication.post_id, -1))
        row.thumb_url = asset.thumb_url if asset else ""


def accounts(*, tenant: Tenant) -> list[SocialAccount]:
    return _ACCOUNTS.all(tenant=tenant)


# Read on every visit, cached or not (lib/statements.py: compiled once per process).
_ACCOUNTS = Statement(
    lambda tenant: SocialAccount.objects.filter(tenant=tenant).exclude(status="revoked"),
    tenant=TENANT,
)


def export_rows(*, tenant: Tenant, period: Period, scope: Scope) -> list[list[Any]]:
    """One CSV row per publication of the period with its latest figures (one query)."""
    rows = _post_rows(
        _scoped(published_between(tenant=tenant, since=period.since, until=period.until), scope),
        period.tz,
    )
    return [post_csv_row(tenant.name, row) for row in rows]


def post_csv_row(restaurant: str, row: PostRow) -> list[Any]:
    publication = row.publication
    kind = POST_TYPES.get(publication.post.post_type)
    collected = row.collected
    figures = (
        "yes"
        if row.engagement is not None
        else ("not available yet" if collected else "not collected yet")
    )
    return [
        restaurant,
        row.local_time.strftime("%Y-%m-%d %H:%M"),
        publication.get_network_display(),
        publication.account.name,
        kind.label if kind else "",
        publication.post.text_for(publication.network),
        publication.permalink,
        row.views,
        row.reach,
        row.engagement,
        round(row.rate * 100, 2) if row.rate is not None else None,
        figures,
    ]


@dataclass
class PublicationFigures:
    publication: Publication
    snapshots: list[MetricSnapshot]  # oldest first: the growth

    @property
    def latest(self) -> MetricSnapshot | None:
        available = [s for s in self.snapshots if s.available]
        return available[-1] if available else None

    @property
    def waiting_sentence(self) -> str:
        if self.publication.state != Publication.State.PUBLISHED:
            return "Figures arrive once the post is published."
        if self.snapshots:
            return "Not available yet: Facebook has no figures for this post so far."
        return "Not collected yet: the first figures arrive about an hour after publishing."


def post_figures(*, post: Any) -> list[PublicationFigures]:
    """Each publication of ``post`` (by network) with its snapshots: one query when the post's
    publications are loaded already with their accounts (the post page's
    `posting.selectors.post_parts_load`), two otherwise."""
    if "publications" in getattr(post, "_prefetched_objects_cache", {}):
        publications = sorted(post.publications.all(), key=lambda p: (p.network, p.pk))
    else:
        publications = list(
            Publication.objects.filter(tenant_id=post.tenant_id, post=post)
            .select_related("account")
            .order_by("network", "id")
        )
    snapshots: dict[int, list[MetricSnapshot]] = defaultdict(list)
    for snapshot in _POST_SNAPSHOTS.all(tenant=current_tenant(), post_id=post.pk):
        snapshots[snapshot.publication_id].append(snapshot)
    return [PublicationFigures(p, snapshots[p.pk]) for p in publications]


# Every post page (lib/statements.py): the post's snapshots, oldest first per publication.
_POST_SNAPSHOTS = Statement(
    lambda tenant, post_id: MetricSnapshot.objects.filter(publication__post_id=post_id).order_by(
        "publication", "collected_at"
    ),
    tenant=TENANT,
    post_id=INT,
)
