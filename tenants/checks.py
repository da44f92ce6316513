"""System check: every model with a `tenant` FK has the fail-closed scoped manager (T4)."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.core import checks
from django.db.models import Model

from tenants.scoping import TenantScopedManager


def unscoped_tenant_models(models: Iterable[type[Model]] | None = None) -> list[str]:
    """Labels of concrete models pointing at `Tenant` without failing closed.

    A model is reported when it has a foreign key (or one-to-one) to Tenant, whatever the field
    is called, and either that field is not named ``tenant`` (the scope filters on ``tenant``) or
    any of its managers is not a `TenantScopedManager` (an extra plain manager is a way around
    the scope). Defaults to every installed model."""
    from tenants.models import Tenant

    found = []
    for model in apps.get_models() if models is None else models:
        tenant_fks = [
            f
            for f in model._meta.concrete_fields
            if f.is_relation and getattr(f, "related_model", None) is Tenant
        ]
        if not tenant_fks:
            continue
        named_tenant = [f.name for f in tenant_fks] == ["tenant"]
        scoped = all(isinstance(m, TenantScopedManager) for m in model._meta.managers)
        if not (named_tenant and scoped):
            found.append(model._meta.label)
    return found


@checks.register()
def check_tenant_models_are_scoped(app_configs, **kwargs):
    return [
        checks.Error(
            f"{label} points at Tenant but does not fail closed: it needs exactly one FK to "
            "Tenant, named `tenant`, and only TenantScopedManager managers.",
            hint="Subclass tenants.models.TenantOwned (or set objects = TenantScopedManager()).",
            id="tenants.E001",
        )
        for label in unscoped_tenant_models()
    ]
