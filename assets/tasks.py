"""Rendition work for large photos, off the request (RELIABILITY §5)."""

from __future__ import annotations

import logging

from celery import shared_task

from assets import images, renditions
from assets.models import Asset
from tenants.tasks import TenantTask

logger = logging.getLogger(__name__)


@shared_task(
    name="assets.asset_render",
    base=TenantTask,
    bind=True,
    acks_late=True,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def asset_render(self, *, tenant_id: int, asset_id: int, kinds: list[str]) -> None:
    """Make the asset's renditions. Runs in the tenant's scope: another tenant's id is not found.

    Storage hiccups retry with backoff; a stored original that no longer decodes marks the asset
    failed (shown in the grid) instead of retrying forever."""
    asset = Asset.objects.filter(tenant_id=tenant_id, pk=asset_id).first()
    if asset is None:
        logger.info("Asset %s is gone (deleted before its renditions were made)", asset_id)
        return
    try:
        renditions.asset_render(asset=asset, kinds=tuple(kinds))
    except images.ImageRejected:
        logger.exception("Asset %s could not be rendered", asset_id)
        renditions.asset_mark_failed(asset=asset)
