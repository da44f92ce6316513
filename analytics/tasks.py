"""Collection tasks: ids in, tenant scope on (`TenantTask`), one service call
(docs/analytics.md, "Collection"). Beat runs `collections_dispatch` every ten minutes
(migration 0002); a run that finds nothing due costs four queries and no Graph call."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from analytics import collection
from social.models import SocialAccount
from tenants.tasks import TenantTask


@shared_task(name="analytics.collections_dispatch")
def collections_dispatch() -> int:
    """Enqueue one `analytics.account_collect` per account with something due."""
    due = collection.collections_due()
    for tenant_id, account_id in due:
        account_collect.apply_async(kwargs={"tenant_id": tenant_id, "account_id": str(account_id)})
    return len(due)


@shared_task(name="analytics.account_collect", base=TenantTask, acks_late=True)
def account_collect(*, tenant_id: int, account_id: Any) -> dict[str, Any]:
    account = (
        SocialAccount.objects.filter(tenant_id=tenant_id, pk=account_id)
        .select_related("tenant", "linked_page")
        .first()
    )
    if account is None:
        return {"stopped": "gone"}
    result = collection.account_collect(account=account)
    return {"calls": result.calls, "snapshots": result.snapshots, "stopped": result.stopped}
