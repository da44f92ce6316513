"""What happens to stored webhook events: route them, then hand each to its handler inside its
restaurant's scope. Idempotent: processing an event again changes nothing (docs/webhooks.md)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tenants.models import Tenant
from tenants.scoping import scopes_disabled, tenant_scope
from webhooks.handlers import comments, messages
from webhooks.models import WebhookEvent
from webhooks.routing import delivery_route, events_route

logger = logging.getLogger(__name__)


def delivery_process(*, delivery_id: uuid.UUID | str) -> int:
    """Route one delivery's pending events and process the routed ones. Returns how many
    were processed."""
    return _process_groups(delivery_route(delivery_id=delivery_id))


def events_reprocess(*, event_ids: list[int]) -> int:
    """Operators' "reprocess": route again (the account may be connected now) and process."""
    with scopes_disabled():
        events = list(WebhookEvent.objects.filter(pk__in=event_ids).order_by("id"))
    return _process_groups(events_route(events=events))


def _process_groups(groups: dict[int, list[int]]) -> int:
    done = 0
    for tenant_id, event_ids in groups.items():
        with scopes_disabled():
            tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_scope(tenant):
            for event in WebhookEvent.objects.filter(pk__in=event_ids).select_related(
                "account", "account__linked_page"
            ):
                done += event_process(event=event)
    return done


def event_process(*, event: WebhookEvent) -> int:
    """Hand one routed event to its handler; record the outcome on the event."""
    handler = _handler_for(event)
    event.attempts += 1
    try:
        with transaction.atomic():
            if handler is not None:
                handler(event)
            event.status = WebhookEvent.Status.PROCESSED
            event.processed_at = timezone.now()
            event.error = ""
            event.save(update_fields=["status", "processed_at", "error", "attempts"])
    except Exception as exc:
        logger.exception("webhook event %s failed", event.pk)
        event.status = WebhookEvent.Status.FAILED
        event.error = f"{type(exc).__name__}: {exc}"[:500]
        event.save(update_fields=["status", "error", "attempts"])
        return 0
    return 1


def _handler_for(event: WebhookEvent) -> Callable[[WebhookEvent], None] | None:
    if event.messaging:
        return messages.messaging_handle
    if event.object == "page" and event.field == "feed":
        return comments.feed_handle
    if event.object == "instagram" and event.field in ("comments", "live_comments"):
        return comments.instagram_comment_handle
    if event.object == "instagram" and event.field == "mentions":
        return comments.instagram_mention_handle
    return None  # fields we keep but do not act on (e.g. ratings): processed, no effect


# A failed event is tried again by the sweep until it has failed this many times; then it waits
# for an operator ("reprocess" in the admin).
MAX_ATTEMPTS = 3


def events_sweep(*, enqueue: Callable[[uuid.UUID], None]) -> int:
    """Re-enqueue deliveries whose events are still pending after a while (their task was lost:
    a broker restart, or the receiver could not undo a failed enqueue), and give events that
    failed (a deadlock, Facebook down while naming a customer…) another try."""
    cutoff = timezone.now() - timedelta(minutes=settings.WEBHOOK_SWEEP_AFTER_MINUTES)
    with scopes_disabled():
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.FAILED, attempts__lt=MAX_ATTEMPTS, received_at__lt=cutoff
        ).update(status=WebhookEvent.Status.PENDING)
        deliveries = list(
            WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING, received_at__lt=cutoff)
            .values_list("delivery_id", flat=True)
            .distinct()
        )
    for delivery_id in deliveries:
        enqueue(delivery_id)
    if deliveries:
        logger.warning("webhook sweep re-enqueued %s deliveries", len(deliveries))
    return len(deliveries)


def events_purge() -> int:
    """Delete events older than the retention period (never less than 7 days: Meta retries
    for 36 h and the dedupe key must outlive every retry)."""
    days = max(settings.WEBHOOK_RETENTION_DAYS, 7)
    cutoff = timezone.now() - timedelta(days=days)
    with scopes_disabled():
        deleted, _ = WebhookEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted
