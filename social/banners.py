"""The portal banner asking owners to reconnect a broken Facebook/Instagram connection."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from social.models import SocialAccount


def reconnect_banner(request: HttpRequest) -> list[dict[str, str]]:
    """Listed in ``settings.TENANT_BANNER_PROVIDERS``; runs inside the tenant's scope."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return []
    broken = list(
        SocialAccount.objects.filter(
            tenant=tenant, status=SocialAccount.Status.NEEDS_RECONNECT
        ).values_list("name", flat=True)[:4]
    )
    if not broken:
        return []
    names = ", ".join(broken)
    return [
        {
            "level": "error",
            "text": f"Tablecast can no longer post for {names}: the Facebook connection needs reconnecting.",
            "url": reverse("social:accounts", kwargs={"tenant_slug": tenant.slug}),
            "action": "Reconnect",
        }
    ]
