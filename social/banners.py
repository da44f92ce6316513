"""The portal banner asking owners to reconnect a broken Facebook/Instagram connection."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from lib.statements import Statement
from social.models import SocialAccount
from tenants.statements import TENANT

# Every portal page asks (lib/statements.py: compiled once per process).
_NEEDING_RECONNECT = Statement(
    lambda tenant: SocialAccount.objects.filter(
        tenant=tenant, status=SocialAccount.Status.NEEDS_RECONNECT
    ).values_list("name", flat=True)[:4],
    tenant=TENANT,
)


def reconnect_banner(request: HttpRequest) -> list[dict[str, str]]:
    """Listed in ``settings.TENANT_BANNER_PROVIDERS``; runs inside the tenant's scope."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return []
    broken = _NEEDING_RECONNECT.all(tenant=tenant)
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
