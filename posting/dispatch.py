"""The dispatcher and the sweeper, run by beat every minute (docs/publishing.md, "Dispatch").

- `publications_claim_due`: in one transaction, lock a batch of due ``scheduled`` rows with
  ``SELECT … FOR UPDATE SKIP LOCKED`` (two dispatchers get disjoint sets), move them to
  ``publishing`` with one UPDATE (the claim number goes up by one), and enqueue one publish
  task each after commit. Two queries per batch, whatever its size.
- `publications_sweep`: rows ``publishing`` with no sign of life for
  ``PUBLISH_STUCK_AFTER_SECONDS`` lost their worker. If the claim never wrote an attempt,
  nothing was sent and it goes back to ``scheduled``; otherwise to ``needs_reconcile``.
  Reconciliations that are due are (re-)enqueued.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from lib.task_publish import tasks_publish
from posting import states
from posting.models import Publication, PublishAttempt
from tenants.scoping import scopes_disabled

S = Publication.State


def _enqueue_each(task: Any, rows: list[tuple[int, int]]) -> Callable[[], None]:
    """One task message per row, the whole batch in one round trip (lib/task_publish.py)."""

    def send() -> None:
        tasks_publish(
            task,
            [
                {"tenant_id": tenant_id, "publication_id": publication_id}
                for publication_id, tenant_id in rows
            ],
        )

    return send


def publications_claim_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Claim one batch of due publications; returns how many were claimed."""
    from posting.tasks import publication_publish

    now = now or timezone.now()
    limit = limit or settings.PUBLISH_BATCH_SIZE
    with transaction.atomic(), scopes_disabled():
        rows = list(
            Publication.objects.select_for_update(skip_locked=True)
            .filter(state=S.SCHEDULED, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", "tenant_id")[:limit]
        )
        states.transition(
            ids=[pk for pk, _tenant in rows],
            source=S.SCHEDULED,
            target=S.PUBLISHING,
            claimed_at=now,
            progress_at=now,
            attempt_count=F("attempt_count") + 1,
        )
        transaction.on_commit(_enqueue_each(publication_publish, rows))
    return len(rows)


def publications_dispatch(*, budget_seconds: float = 50.0) -> int:
    """Claim batches until nothing is due or ``budget_seconds`` have passed (beat runs this
    every minute, so a backlog is drained over several ticks)."""
    started = timezone.now()
    total = 0
    while True:
        claimed = publications_claim_due()
        total += claimed
        if claimed < settings.PUBLISH_BATCH_SIZE:
            return total
        if (timezone.now() - started).total_seconds() > budget_seconds:
            return total


def publications_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Send stuck publications to reconciliation (or back to scheduled when nothing was sent)
    and enqueue the reconciliations that are due."""
    from posting.tasks import publication_reconcile

    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.PUBLISH_STUCK_AFTER_SECONDS)
    with transaction.atomic(), scopes_disabled():
        stuck = list(
            Publication.objects.select_for_update(skip_locked=True)
            .annotate(alive=Coalesce("progress_at", "claimed_at"))
            .filter(state=S.PUBLISHING, alive__lt=stuck_before)
            .values_list("pk", "attempt_count")
        )
        started = set(
            PublishAttempt.objects.filter(publication__in=[pk for pk, _n in stuck]).values_list(
                "publication_id", "number"
            )
        )
        unsent = [pk for pk, n in stuck if (pk, n) not in started]
        sent = [pk for pk, n in stuck if (pk, n) in started]
        states.transition(ids=unsent, source=S.PUBLISHING, target=S.SCHEDULED, next_attempt_at=now)
        states.transition(
            ids=sent, source=S.PUBLISHING, target=S.NEEDS_RECONCILE, next_attempt_at=now
        )
        PublishAttempt.objects.filter(
            Q(outcome=PublishAttempt.Outcome.RUNNING) | Q(outcome=PublishAttempt.Outcome.WAITING),
            publication__in=sent,
        ).update(
            outcome=PublishAttempt.Outcome.AMBIGUOUS,
            ended_at=now,
            detail="The worker stopped during this attempt; checking on Facebook.",
        )
        due = list(
            Publication.objects.select_for_update(skip_locked=True)
            .filter(state=S.NEEDS_RECONCILE, next_attempt_at__lte=now)
            .values_list("pk", "tenant_id")
        )
        Publication.objects.filter(pk__in=[pk for pk, _t in due]).update(
            next_attempt_at=now + timedelta(seconds=settings.PUBLISH_RECONCILE_RETRY_SECONDS)
        )
        transaction.on_commit(_enqueue_each(publication_reconcile, due))
    return {"rescheduled": len(unsent), "reconcile": len(sent), "reconciling": len(due)}
