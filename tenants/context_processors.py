from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string


def tenant(request: HttpRequest) -> dict:
    """The current tenant, the user's restaurants (for the switcher) and banners for the layout.

    Banner providers are listed in ``settings.TENANT_BANNER_PROVIDERS``: callables taking the
    request and returning ``[{"level", "text", "url", "action"}]`` (e.g. "reconnect Facebook")."""
    from tenants.models import Tenant
    from tenants.scoping import scopes_disabled

    current = getattr(request, "tenant", None)
    context: dict = {
        "tenant": current,
        "membership": getattr(request, "membership", None),
        "user_tenants": [],
        "tenant_banners": [],
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        with scopes_disabled():
            context["user_tenants"] = list(
                Tenant.objects.filter(memberships__user=user).only("name", "slug")
            )
    if current is not None:
        for path in getattr(settings, "TENANT_BANNER_PROVIDERS", []):
            context["tenant_banners"].extend(import_string(path)(request))
    return context
