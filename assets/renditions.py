"""Making and storing an asset's renditions, and the storage helpers uploads share.

`asset_render` runs in the upload request for photos up to
``assets.services.INLINE_RENDER_MAX_PIXELS`` and in the ``assets.asset_render`` task for bigger
ones. This module imports neither `assets.services` nor `assets.tasks`, so both can import it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from assets import images
from assets.models import Asset, Rendition, storage_key

logger = logging.getLogger(__name__)

RENDITION_KINDS = tuple(Rendition.Kind.values)  # thumb, web, instagram


def file_storage():
    return storages["default"]


def file_save(key: str, data: bytes, stored: list[str]) -> str:
    name = file_storage().save(key, ContentFile(data))
    stored.append(name)
    return name


def files_delete(keys: Iterable[str]) -> None:
    storage = file_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # a leftover file costs space, not correctness; keep going
            logger.warning("Could not delete stored file %s", key, exc_info=True)


def rendition_rows(
    *, asset: Asset, encoded: dict[str, images.Encoded], stored: list[str]
) -> list[Rendition]:
    rows = []
    for kind, enc in encoded.items():
        key = file_save(storage_key(tenant_id=asset.tenant_id, ext=enc.ext), enc.data, stored)
        rows.append(
            Rendition(
                tenant_id=asset.tenant_id,
                asset=asset,
                kind=kind,
                key=key,
                content_type=enc.content_type,
                width=enc.width,
                height=enc.height,
                bytes=len(enc.data),
            )
        )
    return rows


@transaction.atomic
def asset_render(*, asset: Asset, kinds: Iterable[str] = RENDITION_KINDS) -> Asset:
    """(Re)generate renditions from the stored original; replaces older ones of those kinds."""
    kinds = tuple(kinds)
    asset = Asset.objects.select_for_update().get(tenant=asset.tenant_id, pk=asset.pk)
    with file_storage().open(asset.key, "rb") as fh:
        img = images.open_checked(
            fh, draft_size=images.rendition_draft_size(asset.width, asset.height)
        )
        encoded = images.make_renditions(
            img,
            focal_x=asset.focal_x,
            focal_y=asset.focal_y,
            mode=asset.instagram_mode,
            pad_color=asset.pad_color,
            kinds=kinds,
        )
        del img
    old = list(Rendition.objects.filter(tenant=asset.tenant_id, asset=asset, kind__in=kinds))
    stored: list[str] = []
    try:
        rows = rendition_rows(asset=asset, encoded=encoded, stored=stored)
        Rendition.objects.filter(pk__in=[r.pk for r in old]).delete()
        Rendition.objects.bulk_create(rows)
        asset.status = Asset.Status.READY
        asset.save(update_fields=["status", "updated_at"])
    except BaseException:
        files_delete(stored)
        raise
    old_keys = [r.key for r in old]
    transaction.on_commit(lambda: files_delete(old_keys))
    return asset


def asset_mark_failed(*, asset: Asset) -> None:
    Asset.objects.filter(tenant=asset.tenant_id, pk=asset.pk).update(status=Asset.Status.FAILED)
