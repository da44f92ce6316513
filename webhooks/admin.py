"""Operators' view of webhooks: every event (unrouted and failed ones included) with filters, a
redacted payload, "reprocess", per-restaurant counts; conversations by restaurant. The admin runs
unscoped for staff (tenants.middleware), so unrouted events (tenant NULL) are visible here."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import format_html

from lib.admin import ModelAdmin, RestaurantFilter, TextFilter
from lib.logging import mask_value
from webhooks import processing
from webhooks.models import AutoReplyRule, Conversation, Message, ReplySettings, WebhookEvent

# What customers wrote and who they are stays out of the operators' payload view.
PERSONAL_KEYS = {"text", "message", "name", "username", "title", "url", "payload", "snippet"}


def payload_redacted(value: Any, key: str = "") -> Any:
    """The payload's structure and ids with customers' words and names replaced by their length,
    and anything secret-looking masked."""
    if key in PERSONAL_KEYS and isinstance(value, str):
        return f"[redacted: {len(value)} characters]"
    if isinstance(value, dict):
        return {k: payload_redacted(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [payload_redacted(v) for v in value]
    return mask_value(value, key)


class RoutedFilter(admin.SimpleListFilter):
    title = "routing"
    parameter_name = "routed"

    def lookups(self, request, model_admin):
        return [("no", "Unrouted (no restaurant)"), ("yes", "Routed to a restaurant")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(tenant__isnull=True)
        if self.value() == "yes":
            return queryset.filter(tenant__isnull=False)
        return queryset


class ObjectFilter(admin.SimpleListFilter):
    """What sent the event. Django's filter for a plain text column lists its distinct values,
    a scan of every stored event on every page of the list; these are the objects Tablecast
    subscribes to (docs/webhooks.md)."""

    title = "object"
    parameter_name = "object"

    def lookups(self, request, model_admin):
        return [("page", "page"), ("instagram", "instagram")]

    def queryset(self, request, queryset):
        return queryset.filter(object=self.value()) if self.value() else queryset


class FieldFilter(TextFilter):
    """The change's field, typed (``feed``, ``messages``, ``comments``…): a text box for the
    same reason as `ObjectFilter`."""

    title = "field"
    parameter_name = "field"
    placeholder = "feed, messages, comments…"

    def matches(self, text: str, queryset) -> Q:
        return Q(field=text)


# The per-restaurant summary above the event list covers this much (its caption says so).
SUMMARY_WINDOW = timedelta(hours=24)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ModelAdmin):
    list_display = (
        "id",
        "received_at",
        "object",
        "field",
        "entry_id",
        "tenant",
        "status",
        "attempts",
        "error",
    )
    # No date hierarchy: its year and month links come from a scan of every stored event
    # (docs/performance.md, "Admin lists"); "received_at" is Django's date filter.
    list_filter = (
        "status",
        RoutedFilter,
        ObjectFilter,
        FieldFilter,
        "received_at",
        RestaurantFilter,
    )
    search_fields = ("entry_id", "delivery_id", "dedupe_key")
    list_per_page = 50  # docs/performance.md, "Admin lists"
    list_select_related = ("tenant",)
    list_related_fields = ("tenant__name",)
    actions = ["reprocess"]
    fields = (
        "id",
        "received_at",
        "delivery_id",
        "object",
        "entry_id",
        "field",
        "messaging",
        "tenant",
        "account",
        "status",
        "attempts",
        "processed_at",
        "error",
        "dedupe_key",
        "payload_view",
    )
    readonly_fields = fields
    change_list_template = "admin/webhooks/webhookevent/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Payload (customers' words and names redacted)")
    def payload_view(self, obj: WebhookEvent) -> str:
        text = json.dumps(payload_redacted(obj.payload), indent=2, ensure_ascii=False)
        return format_html("<pre>{}</pre>", text)

    @admin.action(description="Reprocess (route again and apply; changes nothing twice)")
    def reprocess(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True)[:5000])
        done = processing.events_reprocess(event_ids=ids)
        with_tenant = queryset.filter(tenant__isnull=False).count()
        messages.info(
            request,
            f"{done} of {len(ids)} events processed; {len(ids) - with_tenant} still have no "
            "restaurant (connect the account, then reprocess).",
        )

    def changelist_view(self, request, extra_context=None):
        # The last day's events only: the table keeps a week or more of every restaurant's
        # events, and a count over all of them on every page load grows with the traffic
        # (received_at is indexed; older failures stay in the list's "failed" filter).
        since = timezone.now() - SUMMARY_WINDOW
        counts = (
            WebhookEvent.objects.filter(received_at__gte=since)
            .values("tenant__name", "tenant__slug", "tenant_id")
            .annotate(
                total=Count("id"),
                failed=Count("id", filter=Q(status=WebhookEvent.Status.FAILED)),
                pending=Count("id", filter=Q(status=WebhookEvent.Status.PENDING)),
            )
            .order_by("-total")[:25]
        )
        extra_context = {**(extra_context or {}), "per_restaurant": list(counts)}
        return super().changelist_view(request, extra_context=extra_context)


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("sent_at", "direction", "automatic", "rule", "status", "error", "comment_state")
    readonly_fields = fields
    ordering = ("-sent_at",)
    max_num = 0
    show_change_link = False


@admin.register(Conversation)
class ConversationAdmin(ModelAdmin):
    list_display = (
        "__str__",
        "tenant",
        "account",
        "kind",
        "network",
        "last_message_at",
        "unread",
        "needs_human",
        "done",
    )
    list_filter = (RestaurantFilter, "kind", "network", "needs_human", "done")
    search_fields = ("customer_id", "post_id", "tenant__name", "account__name")
    list_select_related = ("tenant", "account")
    list_related_fields = ("tenant__name", "account__kind", "account__name")
    list_per_page = 50  # docs/performance.md, "Admin lists"
    readonly_fields = (
        "tenant",
        "account",
        "kind",
        "network",
        "customer_id",
        "post_id",
        "publication_id",
        "last_message_at",
        "last_incoming_at",
        "last_auto_reply_at",
        "created_at",
    )
    fields = (*readonly_fields, "needs_human", "needs_human_reason", "done", "unread")
    inlines = [MessageInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReplySettings)
class ReplySettingsAdmin(ModelAdmin):
    list_display = ("tenant", "enabled", "updated_at")
    list_filter = ("enabled",)


@admin.register(AutoReplyRule)
class AutoReplyRuleAdmin(ModelAdmin):
    list_display = ("keywords", "tenant", "enabled", "created_at")
    list_filter = ("enabled", RestaurantFilter)
