"""The grid's reads (assets.selectors.with_tile_links): the statements give what the querysets
give, and never another restaurant's photos or tags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import AssetScore
from assets import selectors, views
from assets.models import Asset, AssetTag, Folder, Rendition, Tag
from tenants.scoping import scopes_disabled, tenant_scope

PHOTOS = 60  # more than a page of the grid (48) and of the picker (24)


def _library(tenant) -> dict:
    """``PHOTOS`` photos in every state, shape, folder and use, some tagged, some scored."""
    now = timezone.now()
    with scopes_disabled():
        top = Folder.objects.create(tenant=tenant, name="Grid dishes")
        inner = Folder.objects.create(tenant=tenant, name="Grid desserts", parent=top)
        tags = [Tag.objects.create(tenant=tenant, name=name) for name in ("wine", "brunch", "<b>")]
        shapes = [(40, 30), (30, 40), (30, 30)]
        assets = Asset.objects.bulk_create(
            [
                Asset(
                    tenant=tenant,
                    folder=[top, inner, None][i % 3],
                    title=["Lemon tart", "Terrace", "", '<i>"&'][i % 4] + f" {i}",
                    search_text=["lemon tart", "terrace at noon", "", "fish"][i % 4] + f" {i}",
                    key=f"{tenant.pk}/grid-{i}.jpg",
                    content_type="image/jpeg",
                    source_format="JPEG",
                    width=shapes[i % 3][0],
                    height=shapes[i % 3][1],
                    bytes=1000,
                    upload_bytes=1000,
                    sha256=f"{tenant.pk:08x}{i:056x}",
                    status=["ready", "ready", "processing", "failed", "ready"][i % 5],
                    times_used=i % 4 // 2,
                    last_used_at=now - timedelta(hours=i % 7) if i % 4 // 2 else None,
                    last_posted_at=now - timedelta(days=i % 5) if i % 3 else None,
                )
                for i in range(PHOTOS)
            ]
        )
        Asset.objects.filter(pk__in=[a.pk for a in assets]).update(created_at=now)
        for n, asset in enumerate(assets[::4]):  # the same time: the order falls back to id
            Asset.objects.filter(pk=asset.pk).update(created_at=now - timedelta(minutes=n))
        thumb = {"kind": "thumb", "width": 40, "height": 30, "bytes": 100}
        Rendition.objects.bulk_create(
            Rendition(tenant=tenant, asset=a, key=f"{tenant.pk}/grid-{a.pk}.jpg", **thumb)
            for a in assets
            if a.status == "ready"
        )
        AssetTag.objects.bulk_create(
            AssetTag(tenant=tenant, asset=asset, tag=tag)
            for i, asset in enumerate(assets)
            for tag in tags[: i % 4]
        )
        AssetScore.objects.bulk_create(
            AssetScore(
                tenant=tenant, asset=asset, score=(i % 6) / 5, engagement_per_post=1, posts=1
            )
            for i, asset in enumerate(assets)
            if i % 2
        )
    return {"folder": inner, "tag": tags[1], "ids": [a.pk for a in assets]}


@pytest.fixture
def libraries(tenant, other_tenant):
    return {tenant: _library(tenant), other_tenant: _library(other_tenant)}


def test_a_pages_tag_names_are_the_querysets_and_only_this_restaurants(libraries):
    assert views.PAGE_SIZE <= selectors.TILE_TAG_IDS  # a page is read by the statement
    (mine, mine_library), (_, their_library) = libraries.items()
    with tenant_scope(mine):
        ids = mine_library["ids"]
        for n in (1, 7, selectors.TILE_TAG_IDS, selectors.TILE_TAG_IDS + 1, PHOTOS):
            found = selectors._tag_names_of(mine, ids[:n])
            assert found == list(selectors._tile_tags(mine, ids[:n]))
        assert {name for _, name in found} == {"wine", "brunch", "<b>"}
        assert selectors._tag_names_of(mine, their_library["ids"][:10]) == []
