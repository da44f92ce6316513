"""Collecting figures from Facebook (docs/analytics.md, "Collection").

Beat runs `collections_dispatch` every ten minutes. It finds, over every restaurant, the
accounts with something due — a publication whose next collection point (1 h, 24 h, 7 days,
28 days after publishing) has come, or the account's daily figures for yesterday once its
minute of the day (spread by a hash of its id) has passed — and enqueues one
`analytics.account_collect` per account. That task asks Facebook for up to 50 posts per call
(`social.graph.insights.objects_figures`), falls back to one call per post when a call fails
for one of them, and stores each point once (a unique row per publication and point: a
second run, or a run after a crash, finds it stored and skips it).

Errors: a 190 marks the account as the token check does (`account_mark_broken`) and stops;
a rate limit blocks the Page in the shared budget (`posting.budget`) and stops (the next run
continues); any other error is about one post: it is logged and the others go on.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.models import POINT_DELAYS, AccountDailySnapshot, MetricSnapshot
from analytics.scores import asset_scores_refresh
from posting import budget
from posting.models import Publication
from social.graph import GraphClient, GraphError, RateLimited, TokenInvalid, insights
from social.models import SocialAccount
from social.services.token_health import account_mark_broken
from tenants.scoping import scopes_disabled

logger = logging.getLogger(__name__)
LAST_DELAY = max(POINT_DELAYS.values())
# A point is collected while it is the latest one due; 28 days is collected until 35 days.
WINDOW = LAST_DELAY + timedelta(days=7)
KIND: dict[str, str] = {
    Publication.Network.FACEBOOK: "facebook_post",
    Publication.Network.INSTAGRAM: "instagram_media",
}
S = Publication.State


def due_point(published_at: datetime, now: datetime) -> str | None:
    """The latest point whose time has come (an earlier missed one is not collected late:
    its figures would be the later ones), or None before 1 h and after the window."""
    age = now - published_at
    if age > WINDOW:
        return None
    due = [point for point, delay in POINT_DELAYS.items() if delay <= age]
    return due[-1] if due else None


def daily_minute(account_id: Any) -> int:
    """The account's minute of the (UTC) day for its daily figures: spread evenly."""
    return int(hashlib.sha256(str(account_id).encode()).hexdigest()[:8], 16) % 1440


def local_yesterday(tz: Any, now: datetime) -> date:
    return now.astimezone(tz).date() - timedelta(days=1)


@dataclass
class Due:
    publications: list[tuple[Any, str]] = field(default_factory=list)  # (id, point)
    daily_day: date | None = None


def _due_publications(
    publications: Iterable[tuple[Any, Any, datetime]], now: datetime
) -> dict[Any, list[tuple[Any, str]]]:
    """{account_id: [(publication_id, point)]} of rows (id, account_id, published_at)."""
    rows = list(publications)
    stored = set(
        MetricSnapshot.objects.filter(publication_id__in=[r[0] for r in rows]).values_list(
            "publication_id", "point"
        )
    )
    due: dict[Any, list[tuple[Any, str]]] = defaultdict(list)
    for pub_id, account_id, published_at in rows:
        point = due_point(published_at, now)
        if point is not None and (pub_id, point) not in stored:
            due[account_id].append((pub_id, point))
    return due


def _published(queryset: Any, now: datetime) -> Any:
    return queryset.filter(
        state=S.PUBLISHED, published_at__gte=now - WINDOW, published_at__lte=now
    ).exclude(remote_id="")


def collections_due(*, now: datetime | None = None) -> dict[tuple[int, Any], Due]:
    """{(tenant_id, account_id): Due} over every restaurant. Unscoped on purpose: beat's fan-out
    covers all restaurants (each task then runs inside one restaurant's scope). Four queries."""
    now = now or timezone.now()
    result: dict[tuple[int, Any], Due] = {}
    with scopes_disabled():
        accounts = {
            a.pk: a
            for a in SocialAccount.objects.filter(
                status__in=SocialAccount.WORKING_STATUSES
            ).select_related("tenant")
        }
        rows = _published(Publication.objects.filter(account_id__in=accounts), now).values_list(
            "id", "account_id", "published_at"
        )
        for account_id, pubs in _due_publications(rows, now).items():
            account = accounts[account_id]
            result[(account.tenant_id, account_id)] = Due(publications=pubs)
        minute = now.hour * 60 + now.minute
        days = {a.pk: local_yesterday(a.tenant.tzinfo, now) for a in accounts.values()}
        stored = set(
            AccountDailySnapshot.objects.filter(
                account_id__in=accounts, day__gte=now.date() - timedelta(days=2)
            ).values_list("account_id", "day")
        )
        for account in accounts.values():
            day = days[account.pk]
            if daily_minute(account.pk) <= minute and (account.pk, day) not in stored:
                key = (account.tenant_id, account.pk)
                result.setdefault(key, Due()).daily_day = day
    return result


LATE_AFTER = timedelta(hours=1)


class Late(NamedTuple):
    """A publication whose due point has waited too long (the admin's collection lag)."""

    publication_id: Any
    tenant_id: int
    point: str
    due_at: datetime


def late_collections(*, now: datetime | None = None) -> list[Late]:
    """Publications whose due point has waited more than `LATE_AFTER`, with the point and
    when it fell due, oldest first (the admin's collection lag and the restaurants' late
    counts). Unscoped on purpose: operators see every restaurant. Two queries, read as values:
    every publication of the last five weeks passes through here on each of those pages."""
    now = now or timezone.now()
    with scopes_disabled():
        rows = list(
            _published(Publication.objects.all(), now).values_list(
                "id", "account_id", "published_at", "tenant_id"
            )
        )
        due = _due_publications((row[:3] for row in rows), now)
    points = {pub_id: point for pubs in due.values() for pub_id, point in pubs}
    late = []
    for pub_id, _account_id, published_at, tenant_id in rows:
        point = points.get(pub_id)
        if point is None:
            continue
        due_at = published_at + POINT_DELAYS[point]
        if now - due_at > LATE_AFTER:
            late.append(Late(pub_id, tenant_id, point, due_at))
    return sorted(late, key=lambda row: row.due_at)


@dataclass
class CollectResult:
    calls: int = 0
    snapshots: int = 0
    failed: int = 0
    daily: bool = False
    stopped: str = ""  # why the run stopped early: "token", "budget", "" (it did not)


class _Stop(Exception):
    pass


def account_collect(*, account: SocialAccount, now: datetime | None = None) -> CollectResult:
    """Collect what is due for one account (inside its restaurant's scope)."""
    now = now or timezone.now()
    result = CollectResult()
    token = account.graph_token
    if not account.is_holding or account.status == SocialAccount.Status.NEEDS_RECONNECT:
        return result
    if not token or budget.blocked_until(account.external_id) is not None:
        result.stopped = "budget" if token else "token"
        return result
    client = GraphClient()
    rows = _published(Publication.objects.filter(account=account), now).values_list(
        "id", "account_id", "published_at"
    )
    due = _due_publications(rows, now).get(account.pk, [])
    try:
        if due:
            _collect_publications(
                client, account=account, token=token, due=due, result=result, now=now
            )
        day = local_yesterday(account.tenant.tzinfo, now)
        if not AccountDailySnapshot.objects.filter(account=account, day=day).exists():
            _collect_daily(client, account=account, token=token, day=day, result=result, now=now)
    except _Stop:
        pass
    if result.snapshots:
        asset_scores_refresh(tenant=account.tenant)
    return result


def _call(client: GraphClient, account: SocialAccount, result: CollectResult, fn: Any) -> Any:
    """One Graph call with the account-wide outcomes handled: 190 and rate limits stop."""
    result.calls += 1
    try:
        return fn()
    except TokenInvalid as exc:
        logger.warning("analytics: account %s token invalid: %s", account.pk, exc.describe())
        account_mark_broken(
            account=account, words=exc.user_message, code=str(exc.code), trigger="analytics"
        )
        result.stopped = "token"
        raise _Stop from None
    except RateLimited as exc:
        budget.block(account.external_id, seconds=exc.retry_after)
        result.stopped = "budget"
        raise _Stop from None
    finally:
        budget.record_usage(account.external_id, client.last_usage)


def _collect_publications(
    client: GraphClient,
    *,
    account: SocialAccount,
    token: str,
    due: Sequence[tuple[Any, str]],
    result: CollectResult,
    now: datetime,
) -> None:
    points = dict(due)
    publications = list(
        Publication.objects.filter(pk__in=points).only("id", "tenant_id", "network", "remote_id")
    )
    by_kind: dict[str, list[Publication]] = defaultdict(list)
    for publication in publications:
        by_kind[KIND[publication.network]].append(publication)
    for kind, pubs in by_kind.items():
        for start in range(0, len(pubs), insights.MAX_IDS):
            chunk = pubs[start : start + insights.MAX_IDS]
            ids = [p.remote_id for p in chunk]
            try:
                figures = _call(
                    client,
                    account,
                    result,
                    lambda ids=ids, kind=kind: insights.objects_figures(
                        client, kind=kind, object_ids=ids, token=token
                    ),
                )
            except GraphError as exc:
                logger.info("analytics: %d posts in one call failed (%s)", len(ids), exc.describe())
                for publication in chunk:
                    _collect_one(client, account, token, kind, publication, points, result, now)
                continue
            for publication, figs in zip(chunk, figures, strict=True):
                _store(publication, points[publication.pk], figs, (), now=now)
                result.snapshots += 1
            if budget.blocked_until(account.external_id) is not None:
                result.stopped = "budget"
                raise _Stop


def _collect_one(
    client: GraphClient,
    account: SocialAccount,
    token: str,
    kind: str,
    publication: Publication,
    points: dict[Any, str],
    result: CollectResult,
    now: datetime,
) -> None:
    try:
        answer = _call(
            client,
            account,
            result,
            lambda: insights.object_figures(
                client, kind=kind, object_id=publication.remote_id, token=token
            ),
        )
    except GraphError as exc:  # about this post only: the others go on
        logger.warning(
            "analytics: publication %s (%s) not collected: %s",
            publication.pk,
            publication.remote_id,
            exc.describe(),
        )
        result.failed += 1
        return
    result.calls += answer.calls - 1
    if answer.dropped:
        logger.warning(
            "analytics: Facebook refused the metrics %s for %s (retired or renamed? update "
            "social/graph/insights.py METRICS); the other figures were kept",
            ", ".join(answer.dropped),
            publication.remote_id,
        )
    _store(publication, points[publication.pk], answer.figures, answer.dropped, now=now)
    result.snapshots += 1


def engagement_of(network: str, values: dict[str, int]) -> int:
    """Interactions of one post (docs/analytics.md, "Engagement")."""
    if network == Publication.Network.INSTAGRAM and "interactions" in values:
        return values["interactions"]
    keys = ("reactions", "likes", "comments", "shares", "saves", "clicks")
    return sum(values.get(k, 0) for k in keys)


def _store(
    publication: Publication,
    point: str,
    figs: insights.Figures,
    dropped: Sequence[str],
    *,
    now: datetime,
) -> None:
    values = figs.values
    available = figs.available
    row = MetricSnapshot(
        tenant_id=publication.tenant_id,
        publication=publication,
        point=point,
        collected_at=now,
        available=available,
        note=figs.note[:300],
        detail={"reactions_by_type": figs.reactions_by_type, "refused_metrics": list(dropped)},
    )
    if available:
        row.views = values.get("views")
        row.reach = values.get("reach")
        row.reactions = values.get("reactions", values.get("likes"))
        row.comments = values.get("comments")
        row.shares = values.get("shares")
        row.saves = values.get("saves")
        row.clicks = values.get("clicks")
        row.engagement = engagement_of(publication.network, values)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # another run stored this point first: snapshots are never replaced
        pass


def _collect_daily(
    client: GraphClient,
    *,
    account: SocialAccount,
    token: str,
    day: date,
    result: CollectResult,
    now: datetime,
) -> None:
    tz = account.tenant.tzinfo
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    kind = "facebook_page" if account.is_page else "instagram_account"
    try:
        figures = _call(
            client,
            account,
            result,
            lambda: insights.account_daily(
                client,
                kind=kind,
                object_id=account.external_id,
                token=token,
                since=int(start.timestamp()),
                until=int(end.timestamp()),
            ),
        )
    except GraphError as exc:
        logger.warning("analytics: daily figures of %s failed: %s", account.pk, exc.describe())
        return
    try:
        with transaction.atomic():
            AccountDailySnapshot.objects.create(
                tenant_id=account.tenant_id,
                account=account,
                day=day,
                followers=figures.followers,
                reach=figures.reach,
                views=figures.views,
                collected_at=now,
            )
    except IntegrityError:
        return
    result.daily = True
