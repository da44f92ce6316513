"""Celery tasks re-enter a tenant's scope from the id they are given (pretix's EventTask)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db.models import QuerySet

from lib.statements import INT, Statement
from tenants.scoping import scopes_disabled, tenant_scope


def _tenant(tenant_id: int) -> QuerySet:
    from tenants.models import Tenant

    return Tenant.objects.filter(pk=tenant_id)[:1]


# Every task of a restaurant starts with this read: compiled once per process (lib/statements.py).
_TENANT = Statement(_tenant, tenant_id=INT)


class TenantTask(Task):
    """Base for tasks that touch tenant-owned rows. Call with ``tenant_id=`` (keyword).

    The body runs inside that tenant's scope, so an id of another tenant's object simply is not
    found (docs/reliability.md, T6)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from tenants.models import Tenant

        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise TypeError(f"{self.name} needs tenant_id= as a keyword argument.")
        with scopes_disabled():
            tenant = _TENANT.first(tenant_id=int(tenant_id))
        if tenant is None:
            raise Tenant.DoesNotExist(f"{self.name}: no restaurant {tenant_id}.")
        with tenant_scope(tenant):
            return super().__call__(*args, **kwargs)


@shared_task(name="tenants.signups_purge")
def signups_purge() -> int:
    from tenants import registration

    return registration.signups_purge()
