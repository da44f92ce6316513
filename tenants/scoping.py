"""Tenant scoping that fails closed (design invariant 1), on top of django-scopes.

django-scopes raises `ScopeError` for most queries on a scoped manager when no scope is active,
but it lets `.exists()`, `.contains()`, `.in_bulk()`, `.explain()`, `.aiterator()` and
`async for` (which fetch through `_fetch_all`) through unscoped, and it silently skips the filter
when the scope's value is ``None``. `TenantScopedManager` closes both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django_scopes import ScopedManager, get_scope, scope, scopes_disabled
from django_scopes.exceptions import ScopeError
from django_scopes.manager import DisabledQuerySet

__all__ = [
    "ScopeError",
    "TenantScopedManager",
    "current_tenant",
    "scope",
    "scopes_disabled",
    "tenant_scope",
]


class StrictDisabledQuerySet(DisabledQuerySet):
    exists = DisabledQuerySet.error
    contains = DisabledQuerySet.error
    in_bulk = DisabledQuerySet.error
    explain = DisabledQuerySet.error
    bulk_update = DisabledQuerySet.error
    exclude = DisabledQuerySet.error
    distinct = DisabledQuerySet.error
    select_related = DisabledQuerySet.error
    prefetch_related = DisabledQuerySet.error
    alias = DisabledQuerySet.error
    defer = DisabledQuerySet.error
    aiterator = DisabledQuerySet.error
    # Every evaluation path ends here (``async for`` calls it directly, skipping ``__iter__``).
    _fetch_all = DisabledQuerySet.error


if TYPE_CHECKING:  # django-scopes builds its manager class at run time
    _LibraryManager = models.Manager
else:
    _LibraryManager = type(ScopedManager(tenant="tenant"))


class TenantScopedManager(_LibraryManager):
    """The default manager of every `TenantOwned` model."""

    def get_queryset(self):
        current = getattr(self, "_override_scope", None) or get_scope()
        if current.get("_enabled", True) and "tenant" in current and current["tenant"] is None:
            raise ScopeError("The tenant scope is active but empty: refusing an unfiltered query.")
        queryset = super().get_queryset()
        if isinstance(queryset, DisabledQuerySet):
            return StrictDisabledQuerySet(
                self.model, using=self._db, missing_scopes=queryset.missing_scopes
            )
        return queryset


def tenant_scope(tenant):
    """`with tenant_scope(tenant):` runs queries inside that tenant only."""
    if tenant is None:
        raise ScopeError("tenant_scope() needs a tenant, not None.")
    return scope(tenant=tenant)


def current_tenant():
    """The restaurant whose scope is active (a portal request's, a `TenantTask`'s); `ScopeError`
    outside one, as a query through a scoped manager would raise."""
    current = get_scope()
    tenant = current.get("tenant")
    if tenant is None or not current.get("_enabled", True):
        raise ScopeError("No restaurant's scope is active.")
    return tenant
