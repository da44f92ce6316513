"""Asset scores: each library photo's engagement per post, from the posts that used it
(docs/analytics.md, "Asset scores"). The composer's suggestions rank by `asset_scores`
(`posting.suggestions.asset_suggestions(scores=…)`) and the library sorts by it."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import OuterRef, Subquery

from analytics.models import AssetScore, MetricSnapshot
from posting.models import PostMedia, Publication
from tenants.models import Tenant


def latest_engagement_subquery(field: str = "engagement") -> Subquery:
    """The latest available snapshot's ``field`` of the outer publication."""
    return Subquery(
        MetricSnapshot.objects.filter(publication=OuterRef("pk"), available=True)
        .order_by("-collected_at", "-id")
        .values(field)[:1]
    )


def asset_scores_refresh(*, tenant: Tenant) -> int:
    """Recompute every scored photo of ``tenant`` (three queries and the writes). Returns how
    many photos have a score."""
    engagement = dict(
        Publication.objects.filter(tenant=tenant, state=Publication.State.PUBLISHED)
        .annotate(latest=latest_engagement_subquery())
        .filter(latest__isnull=False)
        .values_list("post_id", "latest")
        .order_by()
    )
    per_post: dict[int, list[int]] = defaultdict(list)
    for post_id, value in engagement.items():
        per_post[post_id].append(value)
    # a post published on two networks counts once: the sum of its publications
    post_totals = {post_id: sum(values) for post_id, values in per_post.items()}
    uses: dict[int, list[int]] = defaultdict(list)
    for asset_id, post_id in PostMedia.objects.filter(
        tenant=tenant, post_id__in=post_totals, asset__isnull=False
    ).values_list("asset_id", "post_id"):
        uses[asset_id].append(post_totals[post_id])
    means = {asset_id: sum(v) / len(v) for asset_id, v in uses.items()}
    best = max(means.values(), default=0) or 1
    existing = {s.asset_id: s for s in AssetScore.objects.filter(tenant=tenant)}
    for asset_id, mean in means.items():
        row = existing.pop(asset_id, None) or AssetScore(tenant=tenant, asset_id=asset_id)
        row.score = round(mean / best, 4)
        row.engagement_per_post = round(mean, 2)
        row.posts = len(uses[asset_id])
        row.save()
    AssetScore.objects.filter(pk__in=[s.pk for s in existing.values()]).delete()
    return len(means)
