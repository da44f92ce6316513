"""System check: every model with a `tenant` FK has the fail-closed scoped manager (T4)."""

from __future__ import annotations

from django.apps import apps
from django.core import checks

from tenants.scoping import TenantScopedManager


def unscoped_tenant_models() -> list[str]:
    """Labels of concrete models that have a ``tenant`` FK but a default manager that is not scoped."""
    from tenants.models import Tenant

    found = []
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        if field is None or getattr(field, "related_model", None) is not Tenant:
            continue
        if not isinstance(model._default_manager, TenantScopedManager):
            found.append(model._meta.label)
    return found


@checks.register()
def check_tenant_models_are_scoped(app_configs, **kwargs):
    return [
        checks.Error(
            f"{label} has a tenant FK but its default manager is not TenantScopedManager.",
            hint="Subclass tenants.models.TenantOwned (or set objects = TenantScopedManager()).",
            id="tenants.E001",
        )
        for label in unscoped_tenant_models()
    ]
