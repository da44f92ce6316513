"""Large photos get their renditions in Celery; the grid polls the tile until it is ready."""

from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse

from assets import services
from assets.models import Asset, Rendition
from assets.tasks import asset_render
from assets.tests.factories import jpeg_bytes, upload
from tenants.scoping import scopes_disabled


@pytest.fixture
def large_is_small(monkeypatch):
    monkeypatch.setattr(services, "INLINE_RENDER_MAX_PIXELS", 100)


def test_a_large_photo_is_rendered_by_a_task_enqueued_on_commit(
    owner_client, tenant, large_is_small, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(asset_render, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = owner_client.post(
            reverse("assets:upload", kwargs={"tenant_slug": tenant.slug}),
            {"file": upload(jpeg_bytes(60, 120))},
            HTTP_ACCEPT="application/json",
        )
    result = response.json()["results"][0]
    assert result["ok"]
    assert len(callbacks) == 1
    asset_id = result["asset_id"]
    send.assert_called_once_with(
        kwargs={
            "tenant_id": tenant.pk,
            "asset_id": asset_id,
            "kinds": ["thumb", "web", "instagram"],
        }
    )
    assert 'hx-trigger="every 2s"' in result["tile"] and "Preparing" in result["tile"]
    with scopes_disabled():
        assert Asset.objects.get(pk=asset_id).status == "processing"
        assert not Rendition.objects.filter(asset_id=asset_id).exists()

    asset_render.apply(
        kwargs={
            "tenant_id": tenant.pk,
            "asset_id": asset_id,
            "kinds": ["thumb", "web", "instagram"],
        }
    )

    with scopes_disabled():
        assert Asset.objects.get(pk=asset_id).status == "ready"
        assert Rendition.objects.filter(asset_id=asset_id).count() == 3
    tile = owner_client.get(
        reverse("assets:asset_tile", kwargs={"tenant_slug": tenant.slug, "asset_id": asset_id})
    ).content.decode()
    assert "every 2s" not in tile and "/file/thumb/" in tile


def test_the_task_cannot_touch_another_tenants_asset(tenant, other_tenant, large_is_small):
    from tenants.scoping import tenant_scope

    with tenant_scope(tenant), mock.patch.object(asset_render, "apply_async"):
        asset = services.asset_create_from_upload(
            tenant=tenant, upload=upload(jpeg_bytes(60, 120))
        ).asset
    asset_render.apply(
        kwargs={"tenant_id": other_tenant.pk, "asset_id": asset.pk, "kinds": ["thumb"]}
    )
    with scopes_disabled():
        assert Asset.objects.get(pk=asset.pk).status == "processing"
        assert not Rendition.objects.exists()


def test_a_task_needs_the_tenant_id_keyword(tenant):
    with pytest.raises(TypeError):
        asset_render.apply(kwargs={"asset_id": 1, "kinds": ["thumb"]}, throw=True).get()


def test_an_original_that_no_longer_decodes_marks_the_asset_failed(
    tenant, large_is_small, media_root
):
    from tenants.scoping import tenant_scope

    with tenant_scope(tenant), mock.patch.object(asset_render, "apply_async"):
        asset = services.asset_create_from_upload(
            tenant=tenant, upload=upload(jpeg_bytes(60, 120))
        ).asset
    (media_root / asset.key).write_bytes(b"garbage")
    asset_render.apply(kwargs={"tenant_id": tenant.pk, "asset_id": asset.pk, "kinds": ["thumb"]})
    with scopes_disabled():
        assert Asset.objects.get(pk=asset.pk).status == "failed"
