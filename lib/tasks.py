"""Enqueueing Celery tasks so a worker never sees a row that is not committed yet.

Conventions (docs/conventions.md, "Tasks"): a task is named ``"<app>.<thing>_<action>"``, its
function ``<thing>_<action>`` in the app's ``tasks.py``; tenant work takes keyword-only ids
``(*, tenant_id, <thing>_id)`` and uses ``tenants.tasks.TenantTask`` as its base, which enters
the tenant's scope. Queues are routed by name in settings (``CELERY_TASK_ROUTES``).
"""

from __future__ import annotations

from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction


def enqueue_on_commit(task: Task, /, **kwargs: Any) -> None:
    """Send ``task`` with these keyword arguments once the current transaction commits.

    Outside a transaction (autocommit) it is sent at once; when the transaction rolls back it
    is never sent. Arguments are keyword-only ids and plain values, never tokens or model
    instances. The values are captured now, so later changes to the caller's variables do not
    leak into the message."""
    captured = dict(kwargs)
    transaction.on_commit(lambda: task.apply_async(kwargs=captured))


def bounded_countdown(seconds: float) -> int:
    """A countdown no longer than ``CELERY_MAX_COUNTDOWN_SECONDS``, which stays below the
    broker's visibility timeout: on Redis a message held longer than that is delivered again
    (RELIABILITY J6), so every ``countdown=`` that is not a small constant goes through here.
    Longer waits are rows due later (e.g. ``Publication.next_attempt_at``), not messages."""
    return max(0, min(int(seconds), settings.CELERY_MAX_COUNTDOWN_SECONDS))
