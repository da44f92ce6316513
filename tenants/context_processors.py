from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string


def tenant(request: HttpRequest) -> dict:
    """The current tenant, the user's restaurants (for the switcher) and banners for the layout.

    Banner providers are listed in ``settings.TENANT_BANNER_PROVIDERS``: callables taking the
    request and returning ``[{"level", "text", "url", "action"}]`` (e.g. "reconnect Facebook").

    The list and the banners are computed only when a template uses them (base.html does; htmx
    fragments do not, so they cost no queries). The middleware renders inside the tenant's
    scope, so the banner providers still run scoped."""
    current = getattr(request, "tenant", None)
    user = getattr(request, "user", None)

    def user_tenants() -> list:
        if user is None or not user.is_authenticated:
            return []
        if hasattr(request, "user_tenants"):  # portal pages: the middleware has the list
            return request.user_tenants
        from tenants.models import Tenant
        from tenants.scoping import scopes_disabled

        with scopes_disabled():
            return list(Tenant.objects.filter(memberships__user=user).only("name", "slug"))

    def tenant_banners() -> list:
        if current is None:
            return []
        banners: list = []
        for path in getattr(settings, "TENANT_BANNER_PROVIDERS", []):
            banners.extend(import_string(path)(request))
        return banners

    return {
        "tenant": current,
        "membership": getattr(request, "membership", None),
        "user_tenants": SimpleLazyObject(user_tenants),
        "tenant_banners": SimpleLazyObject(tenant_banners),
    }
