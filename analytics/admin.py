"""Operators' analytics: the per-restaurant overview, collection lag, "collect now" and the
CSV export of several restaurants at once (docs/analytics.md, "Admin")."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from analytics import collection, export, selectors, tasks
from analytics.models import (
    POINT_DELAYS,
    AccountDailySnapshot,
    LateCollection,
    MetricSnapshot,
    Point,
    RestaurantFigures,
)
from lib.admin import ModelAdmin, RestaurantFilter
from posting.models import Publication
from social.models import SocialAccount


def _collect_now(pairs: set[tuple[int, Any]]) -> int:
    for tenant_id, account_id in sorted(pairs, key=str):
        tasks.account_collect.apply_async(
            kwargs={"tenant_id": tenant_id, "account_id": str(account_id)}
        )
    return len(pairs)


class ReadOnly(ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(ReadOnly):
    list_display = (
        "publication",
        "tenant",
        "point",
        "collected_at",
        "available",
        "views",
        "reach",
        "engagement",
        "note",
    )
    # A date filter, not a date hierarchy: the hierarchy's links come from a scan of every
    # snapshot on every page (docs/performance.md, "Admin lists").
    list_filter = ("point", "available", "collected_at", RestaurantFilter)
    list_select_related = ("publication", "tenant")
    list_related_fields = ("publication__shape", "publication__state", "tenant__name")
    list_per_page = 50  # docs/performance.md, "Admin lists"


@admin.register(AccountDailySnapshot)
class AccountDailySnapshotAdmin(ReadOnly):
    list_display = ("account", "tenant", "day", "followers", "reach", "views", "collected_at")
    list_filter = ("day", RestaurantFilter)  # as the snapshots' list: no date hierarchy
    list_select_related = ("account", "tenant")
    list_related_fields = ("account__kind", "account__name", "tenant__name")
    list_per_page = 50  # docs/performance.md, "Admin lists"


def _count(queryset: QuerySet) -> Subquery:
    return Subquery(
        queryset.order_by().values("tenant").annotate(n=Count("id")).values("n")[:1],
        output_field=IntegerField(),
    )


@admin.register(RestaurantFigures)
class RestaurantFiguresAdmin(ReadOnly):
    list_display = (
        "name",
        "posts_30_days",
        "snapshots",
        "last_collected",
        "late_collections",
        "accounts_to_reconnect",
    )
    search_fields = ("name", "slug")
    actions = ["collect_now", "export_28_days", "export_90_days"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        now = timezone.now()
        late = Counter(row.tenant_id for row in collection.late_collections(now=now))
        published = Publication.objects.filter(
            tenant=OuterRef("pk"),
            state=Publication.State.PUBLISHED,
            published_at__gte=now - timedelta(days=30),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_posts=_count(published),
                n_snapshots=_count(MetricSnapshot.objects.filter(tenant=OuterRef("pk"))),
                n_reconnect=_count(
                    SocialAccount.objects.filter(
                        tenant=OuterRef("pk"), status=SocialAccount.Status.NEEDS_RECONNECT
                    )
                ),
                last=Subquery(
                    MetricSnapshot.objects.filter(tenant=OuterRef("pk"))
                    .order_by("-collected_at")
                    .values("collected_at")[:1]
                ),
                n_late=Case(
                    *[When(pk=tenant_id, then=Value(n)) for tenant_id, n in late.items()],
                    default=Value(0),
                    output_field=IntegerField(),
                ),
            )
        )

    @admin.display(description="Posts (30 days)", ordering="n_posts")
    def posts_30_days(self, obj: Any) -> int:
        return obj.n_posts or 0

    @admin.display(description="Snapshots", ordering="n_snapshots")
    def snapshots(self, obj: Any) -> int:
        return obj.n_snapshots or 0

    @admin.display(description="Last collected", ordering="last")
    def last_collected(self, obj: Any) -> Any:
        return obj.last or "never"

    @admin.display(description="Late collections", ordering="n_late")
    def late_collections(self, obj: Any) -> int:
        return obj.n_late

    @admin.display(description="Accounts to reconnect", ordering="n_reconnect")
    def accounts_to_reconnect(self, obj: Any) -> int:
        return obj.n_reconnect or 0

    @admin.action(description="Collect figures now")
    def collect_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        pairs = set(
            SocialAccount.objects.filter(
                tenant__in=queryset,
                status__in=SocialAccount.WORKING_STATUSES,
            ).values_list("tenant_id", "id")
        )
        count = _collect_now(pairs)
        messages.success(request, f"Collection started for {count} account(s).")

    def _export(self, queryset: QuerySet, days: int) -> HttpResponse:
        rows: list[list[Any]] = []
        for tenant in queryset.order_by("name"):
            period = selectors.Period.last_days(days, tz=tenant.tzinfo, now=timezone.now())
            rows.extend(
                selectors.export_rows(tenant=tenant, period=period, scope=selectors.Scope())
            )
        return export.csv_response(rows, filename=f"tablecast-posts-last-{days}-days.csv")

    @admin.action(description="Export posts with figures, last 28 days (CSV)")
    def export_28_days(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(queryset, 28)

    @admin.action(description="Export posts with figures, last 90 days (CSV)")
    def export_90_days(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(queryset, 90)


@admin.register(LateCollection)
class LateCollectionAdmin(ReadOnly):
    """Publications whose due collection is more than an hour late."""

    list_display = ("__str__", "tenant", "account", "published_at", "due_point", "late_by")
    list_select_related = ("tenant", "account")
    list_filter = (RestaurantFilter, "network")
    actions = ["collect_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        now = timezone.now()
        late = {
            row.publication_id: (row.point, row.due_at)
            for row in collection.late_collections(now=now)
        }
        self_points = Case(
            *[When(pk=pk, then=Value(point)) for pk, (point, _due) in late.items()],
            default=Value(""),
        )
        return super().get_queryset(request).filter(pk__in=list(late)).annotate(due=self_points)

    @admin.display(description="Due point")
    def due_point(self, obj: Any) -> str:
        return str(Point(obj.due).label) if obj.due else ""

    @admin.display(description="Late by")
    def late_by(self, obj: Any) -> str:
        late = timezone.now() - (obj.published_at + POINT_DELAYS[obj.due])
        hours = int(late.total_seconds() // 3600)
        return f"{hours} h" if hours < 48 else f"{hours // 24} days"

    @admin.action(description="Collect now")
    def collect_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = _collect_now(set(queryset.values_list("tenant_id", "account_id")))
        messages.success(request, f"Collection started for {count} account(s).")
