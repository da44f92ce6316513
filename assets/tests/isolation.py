"""Declarations for the URL-enumerating isolation test (tenants/tests/test_isolation.py)."""

from __future__ import annotations


def _asset_id(tenant) -> int:
    from assets.tests.factories import make_asset

    return make_asset(tenant, title="Isolation probe").pk


def _folder_id(tenant) -> int:
    from assets.models import Folder
    from tenants.scoping import tenant_scope

    with tenant_scope(tenant):
        return Folder.objects.create(tenant=tenant, name="Isolation probe").pk


def _kind(tenant) -> str:
    return "thumb"


def _token(tenant) -> str:
    from assets.models import Rendition
    from tenants.scoping import tenant_scope

    asset_id = _asset_id(tenant)
    with tenant_scope(tenant):
        return Rendition.objects.get(asset_id=asset_id, kind="instagram").public_token


KWARG_FACTORIES = {
    "asset_id": _asset_id,
    "folder_id": _folder_id,
    "kind": _kind,
    "token": _token,
}

PUBLIC_URLS = {
    "assets_public:instagram": (
        "Meta downloads Instagram renditions without a session; the path holds a 256-bit random "
        "token per rendition and serves only that JPEG (never originals or other renditions)."
    ),
}
