"""Rendition URLs are versioned (issue 9 item 7): a new focal point or fit gives the Instagram
preview a new URL, so the browser shows the new picture, and a versioned URL can be cached for
good because its bytes never change."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from PIL import Image

from assets.tests.factories import upload

PREVIEW = re.compile(r'<img id="instagram-preview"[^>]* src="([^"]+)"')
YEAR = "max-age=31536000"


def _gradient_portrait() -> bytes:
    """9:16, dark at the top and light at the bottom: every 4:5 crop height looks different."""
    img = Image.linear_gradient("L").resize((540, 960)).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _upload(client, tenant) -> int:
    response = client.post(
        reverse("assets:upload", kwargs={"tenant_slug": tenant.slug}),
        {"file": upload(_gradient_portrait(), "portrait.jpg")},
        HTTP_ACCEPT="application/json",
    )
    return response.json()["results"][0]["asset_id"]


def _detail_url(tenant, asset_id: int) -> str:
    return reverse("assets:asset_detail", kwargs={"tenant_slug": tenant.slug, "asset_id": asset_id})


def _preview(client, tenant, asset_id: int) -> str:
    html = client.get(_detail_url(tenant, asset_id)).content.decode()
    return PREVIEW.search(html).group(1)


def _fetch(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return response, b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "change",
    [{"focal_y": "0"}, {"instagram_mode": "pad", "pad_color": "#ff0000"}],
    ids=["focal-point", "pad"],
)
def test_reframing_gives_the_instagram_preview_a_new_url_with_the_new_picture(
    owner_client, tenant, change
):
    asset_id = _upload(owner_client, tenant)
    before = _preview(owner_client, tenant, asset_id)
    _, old_bytes = _fetch(owner_client, before)
    form = {
        "title": "Portrait",
        "description": "",
        "add_tags": "",
        "folder": "",
        "focal_x": "0.5",
        "focal_y": "0.5",
        "instagram_mode": "crop",
        "pad_color": "#ffffff",
        **change,
    }
    saved = owner_client.post(_detail_url(tenant, asset_id), form)
    assert saved.status_code == 302, saved.content

    after = _preview(owner_client, tenant, asset_id)
    assert after != before
    response, new_bytes = _fetch(owner_client, after)
    assert new_bytes != old_bytes
    assert YEAR in response["Cache-Control"] and "immutable" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    # The old URL names a rendition that is gone: whatever it serves now is not cached.
    stale, _ = _fetch(owner_client, before)
    assert "no-cache" in stale["Cache-Control"] and "immutable" not in stale["Cache-Control"]


def test_grid_tiles_link_versioned_thumbnails_that_are_cached_for_good(owner_client, tenant):
    asset_id = _upload(owner_client, tenant)
    html = owner_client.get(reverse("assets:library", kwargs={"tenant_slug": tenant.slug}))
    thumb = re.search(
        rf'<img src="([^"]+/a/{asset_id}/file/thumb/\?v=\d+)"', html.content.decode()
    ).group(1)
    response, _ = _fetch(owner_client, thumb)
    assert YEAR in response["Cache-Control"] and "immutable" in response["Cache-Control"]
    unversioned, _ = _fetch(owner_client, thumb.split("?")[0])
    assert "no-cache" in unversioned["Cache-Control"]


def test_the_public_instagram_url_is_cached_for_good(owner_client, client, tenant):
    from assets.models import Asset
    from assets.selectors import asset_instagram_url
    from tenants.scoping import scopes_disabled

    asset_id = _upload(owner_client, tenant)
    with scopes_disabled():
        url = asset_instagram_url(asset=Asset.objects.get(pk=asset_id))
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, {YEAR}, immutable"
