"""The tenant argument of a `lib.statements.Statement` (docs/conventions.md; docs/architecture.md,
invariant 1).

The statement compiles inside the scope of a stand-in restaurant, so the scoped manager's own
tenant filter is in its SQL, and every call puts the caller's restaurant in its place: a
statement over a tenant-owned model cannot forget its tenant. A call without a saved
restaurant fails loudly, as an unscoped query does."""

from __future__ import annotations

from typing import Any

from lib.statements import INT, Arg
from tenants.models import Tenant
from tenants.scoping import ScopeError, tenant_scope


def _tenant_id(tenant: Any) -> int:
    if not isinstance(tenant, Tenant) or tenant.pk is None:
        raise ScopeError(f"A statement's tenant must be a saved restaurant, not {tenant!r}.")
    return tenant.pk


TENANT = Arg(
    sample=lambda n: Tenant(pk=INT.sample(n), slug="statement-stand-in"),
    param=_tenant_id,
    during=tenant_scope,
)
