"""Publishing tasks: ids in, tenant scope on (`TenantTask`), one service call.

Retries are not Celery retries: a publication due again is a row with a later
``next_attempt_at`` that the dispatcher claims, so no task carries an ETA longer than the
broker's visibility timeout (the only countdown here, the Instagram poll, is at most 60 s).
Beat runs `publications_dispatch` and `publications_sweep` every minute (migration 0002).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from posting import dispatch, notify, publish, reconcile
from tenants.tasks import TenantTask

# Queue "publish" by name (CELERY_TASK_ROUTES); acks_late: a lost worker's task runs again.


@shared_task(name="posting.publications_dispatch", acks_late=True)
def publications_dispatch() -> int:
    return dispatch.publications_dispatch()


@shared_task(name="posting.publications_sweep", acks_late=True)
def publications_sweep() -> dict[str, int]:
    return dispatch.publications_sweep()


@shared_task(name="posting.publication_publish", base=TenantTask, acks_late=True)
def publication_publish(*, tenant_id: int, publication_id: Any) -> str:
    return publish.publication_publish(publication_id=publication_id)


@shared_task(name="posting.publication_poll", base=TenantTask, acks_late=True)
def publication_poll(*, tenant_id: int, publication_id: Any) -> str:
    return publish.publication_poll(publication_id=publication_id)


@shared_task(name="posting.publication_reconcile", base=TenantTask, acks_late=True)
def publication_reconcile(*, tenant_id: int, publication_id: Any) -> str:
    return reconcile.publication_reconcile(publication_id=publication_id)


@shared_task(name="posting.publication_notify_failed", base=TenantTask, acks_late=True)
def publication_notify_failed(*, tenant_id: int, publication_id: Any) -> bool:
    return notify.publication_notify_failed(publication_id=publication_id)
