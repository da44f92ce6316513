"""``access_<thing>`` lookups of the asset library (docs/conventions.md): another tenant's
object, or a missing one, is a 404."""

from __future__ import annotations

from typing import Any

from assets.models import Asset, Folder
from tenants.access import access_in_tenant
from tenants.models import Tenant


def access_asset(*, tenant: Tenant, id: Any, lock: bool = False) -> Asset:
    return access_in_tenant(Asset.objects.all(), tenant=tenant, id=id, lock=lock, what="photo")


def access_folder(*, tenant: Tenant, id: Any, lock: bool = False) -> Folder:
    return access_in_tenant(Folder.objects.all(), tenant=tenant, id=id, lock=lock, what="folder")
