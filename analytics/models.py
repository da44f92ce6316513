"""What each post earned and how each account grew, as Tablecast fetched it (docs/analytics.md).

- `MetricSnapshot`: one publication's figures at one collection point (1 h, 24 h, 7 days,
  28 days after publishing). One row per point, never overwritten, so growth curves exist.
  ``available`` False means Facebook had no figures yet: the numbers are empty, never zeros.
- `AccountDailySnapshot`: one account's followers, reach and views for one local day.
- `AssetScore`: a library photo's engagement per post, from the posts that used it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from posting.models import Publication
from tenants.models import Tenant, TenantOwned


class Point(models.TextChoices):
    H1 = "1h", _("1 hour")
    H24 = "24h", _("24 hours")
    D7 = "7d", _("7 days")
    D28 = "28d", _("28 days")


# How long after publishing each point is due, in order.
POINT_DELAYS: dict[str, timedelta] = {
    Point.H1: timedelta(hours=1),
    Point.H24: timedelta(hours=24),
    Point.D7: timedelta(days=7),
    Point.D28: timedelta(days=28),
}
FIGURE_FIELDS = ("views", "reach", "reactions", "comments", "shares", "saves", "clicks")


class MetricSnapshot(TenantOwned):
    publication = models.ForeignKey(
        "posting.Publication", on_delete=models.CASCADE, related_name="snapshots"
    )
    point = models.CharField(max_length=4, choices=Point.choices)
    collected_at = models.DateTimeField()
    available = models.BooleanField(
        default=True, help_text="False: Facebook had no figures yet (not the same as zero)."
    )
    views = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PositiveIntegerField(null=True, blank=True)
    reactions = models.PositiveIntegerField(null=True, blank=True, help_text="Or Instagram likes.")
    comments = models.PositiveIntegerField(null=True, blank=True)
    shares = models.PositiveIntegerField(null=True, blank=True)
    saves = models.PositiveIntegerField(null=True, blank=True)
    clicks = models.PositiveIntegerField(null=True, blank=True)
    engagement = models.PositiveIntegerField(
        null=True, blank=True, help_text="Reactions + comments + shares + saves + clicks."
    )
    detail = models.JSONField(
        default=dict, blank=True, help_text="Reactions by type; metrics Facebook refused."
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["publication", "collected_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "point"], name="metricsnapshot_one_per_point"
            )
        ]
        # The latest snapshot of a publication (the dashboard's subqueries). A (tenant,
        # collected_at) index tempted PostgreSQL into scanning every snapshot of the restaurant
        # per publication: 19 s for 1,000 posts (bench/bench_analytics.py).
        indexes = [
            models.Index(fields=["publication", "-collected_at"], name="snapshot_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_point_display()} after publishing"

    @property
    def engagement_rate(self) -> float | None:
        if not self.available or not self.reach or self.engagement is None:
            return None
        return self.engagement / self.reach


class AccountDailySnapshot(TenantOwned):
    account = models.ForeignKey(
        "social.SocialAccount", on_delete=models.CASCADE, related_name="daily_snapshots"
    )
    day = models.DateField(help_text="The restaurant's local day the figures are for.")
    followers = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PositiveIntegerField(null=True, blank=True)
    views = models.PositiveIntegerField(null=True, blank=True)
    collected_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="accountdaily_one_per_day")
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="accountdaily_tenant_day")]

    def __str__(self) -> str:
        return f"{self.day}"


class AssetScore(TenantOwned):
    asset = models.OneToOneField(
        "assets.Asset", on_delete=models.CASCADE, related_name="engagement_score"
    )
    score = models.FloatField(help_text="0 to 1: engagement per post against the best photo.")
    engagement_per_post = models.FloatField()
    posts = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.score:.2f} over {self.posts} posts"


class RestaurantFigures(Tenant):
    """The admin's per-restaurant analytics overview (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "restaurant analytics"
        verbose_name_plural = "restaurant analytics"


class LateCollection(Publication):
    """The admin's collection lag: publications whose due collection point is late (a proxy)."""

    class Meta:
        proxy = True
        verbose_name = "late collection"
        verbose_name_plural = "collection lag"
