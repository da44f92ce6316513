"""Operators' view of every restaurant's posts and publications: filters by state, restaurant,
account, network and "stuck"; attempts inline with Graph codes and fbtrace_id; actions retry,
reconcile now and cancel (each through the service the portal uses)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone

from lib.admin import AccountFilter, ModelAdmin, RestaurantFilter
from posting import services
from posting.models import Post, PostMedia, Publication, PublishAttempt
from posting.rules import PostRefused


class PostMediaInline(admin.TabularInline):
    model = PostMedia
    extra = 0
    fields = ("position", "asset")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PublicationInline(admin.TabularInline):
    model = Publication
    extra = 0
    fields = ("account", "shape", "state", "next_attempt_at", "remote_id", "last_error")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(ModelAdmin):
    list_display = ("__str__", "tenant", "scheduled_at", "scheduled_local", "scheduled_zone")
    list_filter = (RestaurantFilter,)
    list_select_related = ("tenant",)
    list_per_page = 50  # docs/performance.md, "Admin lists"
    search_fields = ("text", "tenant__name")
    readonly_fields = ("tenant", "author", "scheduled_at", "schedule_note", "created_at")
    fields = (
        "tenant",
        "author",
        "text",
        "text_facebook",
        "text_instagram",
        "link",
        "scheduled_at",
        "scheduled_local",
        "scheduled_zone",
        "schedule_note",
        "created_at",
    )
    inlines = [PostMediaInline, PublicationInline]

    def has_add_permission(self, request) -> bool:
        return False  # posts are made through the composer's services (rules, time rule)


class PublishAttemptInline(admin.TabularInline):
    model = PublishAttempt
    extra = 0
    fields = (
        "number",
        "started_at",
        "ended_at",
        "step",
        "outcome",
        "error_code",
        "error_subcode",
        "fbtrace_id",
        "detail",
        "request_summary",
    )
    readonly_fields = fields
    can_delete = False
    ordering = ("-number",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class StuckFilter(admin.SimpleListFilter):
    title = "stuck"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", "Publishing for more than 10 minutes")]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        before = timezone.now() - services.STUCK_AFTER
        return queryset.filter(state=Publication.State.PUBLISHING).filter(
            Q(progress_at__lt=before) | Q(progress_at__isnull=True, claimed_at__lt=before)
        )


@admin.register(Publication)
class PublicationAdmin(ModelAdmin):
    list_display = (
        "id",
        "tenant",
        "account",
        "network",
        "shape",
        "state",
        "next_attempt_at",
        "attempt_count",
        "last_error_code",
        "last_error",
    )
    list_filter = ("state", StuckFilter, "network", RestaurantFilter, AccountFilter)
    list_select_related = ("tenant", "account")
    list_related_fields = ("tenant__name", "account__kind", "account__name")
    list_per_page = 50  # docs/performance.md, "Admin lists"
    search_fields = ("remote_id", "post__text", "tenant__name", "account__name", "last_fbtrace_id")
    readonly_fields = [f.name for f in Publication._meta.fields]
    inlines = [PublishAttemptInline]
    actions = ["retry", "reconcile_now", "cancel"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None  # the list (and its actions); rows change through actions only

    def _each(self, request, queryset, service, done: str) -> None:
        ok, refused = 0, []
        for publication in queryset.select_related("account", "post"):
            try:
                service(publication=publication)
                ok += 1
            except PostRefused as exc:
                refused.append(f"#{publication.pk}: {exc.sentence}")
        if ok:
            self.message_user(request, f"{done} {ok} publication(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Retry (a new attempt now)")
    def retry(self, request, queryset) -> None:
        self._each(request, queryset, services.publication_retry, "Queued")

    @admin.action(description="Reconcile now (look on Facebook)")
    def reconcile_now(self, request, queryset) -> None:
        self._each(request, queryset, services.publication_reconcile_now, "Reconciling")

    @admin.action(description="Cancel")
    def cancel(self, request, queryset) -> None:
        self._each(request, queryset, services.publication_cancel, "Cancelled")
