"""Celery tasks re-enter a tenant's scope from the id they are given (pretix's EventTask)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from tenants.scoping import scopes_disabled, tenant_scope


class TenantTask(Task):
    """Base for tasks that touch tenant-owned rows. Call with ``tenant_id=`` (keyword).

    The body runs inside that tenant's scope, so an id of another tenant's object simply is not
    found (RELIABILITY T6)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from tenants.models import Tenant

        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise TypeError(f"{self.name} needs tenant_id= as a keyword argument.")
        with scopes_disabled():
            tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_scope(tenant):
            return super().__call__(*args, **kwargs)


@shared_task(name="tenants.signups_purge")
def signups_purge() -> int:
    from tenants import registration

    return registration.signups_purge()
