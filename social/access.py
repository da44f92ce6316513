"""``access_<thing>`` lookups of the social app (docs/conventions.md): another tenant's account,
or a missing one, is a 404."""

from __future__ import annotations

from typing import Any

from social.models import SocialAccount
from tenants.access import access_in_tenant
from tenants.models import Tenant


def access_account(*, tenant: Tenant, id: Any, lock: bool = False) -> SocialAccount:
    return access_in_tenant(
        SocialAccount.objects.all(), tenant=tenant, id=id, lock=lock, what="account"
    )
