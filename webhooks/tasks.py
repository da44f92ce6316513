"""Webhook tasks (queue ``webhooks``): ids in, scope on, one service call each.

- ``webhooks.delivery_process``: one per received POST; routes and processes its events.
- ``webhooks.message_send``: sends one automatic reply through the Send API.
- ``webhooks.customer_name_fetch``: looks a conversation's customer up once.
- ``webhooks.events_sweep`` (beat, every 5 min): re-enqueues deliveries left pending.
- ``webhooks.events_purge`` (beat, daily): deletes events past the retention period.
"""

from __future__ import annotations

import logging
import uuid

from celery import shared_task

from lib.task_publish import tasks_publish
from lib.tasks import bounded_countdown
from social.graph import GraphError
from tenants.tasks import TenantTask
from webhooks import processing, services

logger = logging.getLogger(__name__)
# Queue: "webhooks", routed by name (CELERY_TASK_ROUTES "webhooks.*").


def delivery_enqueue(delivery_id: uuid.UUID) -> None:
    """Called by the receiver once a delivery's events are committed (on Redis, one LPUSH
    of the task's message: lib/task_publish.py)."""
    tasks_publish(delivery_process, [{"delivery_id": str(delivery_id)}])


@shared_task(name="webhooks.delivery_process", acks_late=True)
def delivery_process(*, delivery_id: str) -> int:
    return processing.delivery_process(delivery_id=delivery_id)


@shared_task(
    name="webhooks.message_send",
    base=TenantTask,
    bind=True,
    max_retries=3,
    acks_late=True,
)
def message_send(self, *, tenant_id: int, message_id: str) -> str:
    try:
        return services.auto_reply_send(message_id=message_id)
    except GraphError as exc:
        if exc.retryable and self.request.retries < self.max_retries:
            countdown = getattr(exc, "retry_after", None) or 10 * 2**self.request.retries
            raise self.retry(countdown=bounded_countdown(countdown), exc=None) from None
        services.auto_reply_failed(message_id=message_id, error=exc)
        return "failed"


@shared_task(name="webhooks.customer_name_fetch", base=TenantTask, acks_late=True)
def customer_name_fetch(*, tenant_id: int, conversation_id: str) -> str:
    return services.customer_name_fetch(conversation_id=conversation_id)


@shared_task(name="webhooks.events_sweep")
def events_sweep() -> int:
    return processing.events_sweep(enqueue=delivery_enqueue)


@shared_task(name="webhooks.events_purge")
def events_purge() -> int:
    return processing.events_purge()
