import io
import re

from django.urls import reverse
from PIL import Image

from assets.models import Asset, Folder, Rendition
from assets.tests.factories import heic_bytes, jpeg_bytes, png_bytes, upload
from tenants.scoping import scopes_disabled

KEY = re.compile(r"^\d+/[0-9a-f]{32}\.(jpg|png|webp)$")


def _upload_url(tenant):
    return reverse("assets:upload", kwargs={"tenant_slug": tenant.slug})


def _post(client, tenant, data, name="photo.jpg", **extra):
    return client.post(
        _upload_url(tenant),
        {"file": upload(data, name), **extra},
        HTTP_ACCEPT="application/json",
    )


def test_a_new_tenant_gets_the_protected_default_folders(tenant):
    with scopes_disabled():
        folders = Folder.objects.filter(tenant=tenant, parent=None)
        assert sorted(f.name for f in folders) == sorted(
            ["Brand Assets", "Dishes", "Exterior", "Interior", "Events"]
        )
        assert all(f.is_protected for f in folders)


def test_it_uploads_a_jpeg_with_renditions(owner_client, tenant, stored_files):
    response = _post(owner_client, tenant, jpeg_bytes(900, 1600), "portrait.jpg")
    assert response.status_code == 200, response.content
    result = response.json()["results"][0]
    assert result["ok"] and not result["duplicate"]
    with scopes_disabled():
        asset = Asset.objects.get(pk=result["asset_id"])
        kinds = {r.kind: r for r in Rendition.objects.filter(asset=asset)}
    assert asset.tenant == tenant and asset.status == "ready"
    assert (asset.width, asset.height) == (900, 1600)
    assert KEY.match(asset.key) and asset.key.startswith(f"{tenant.pk}/")
    assert set(kinds) == {"thumb", "web", "instagram"}
    ig = kinds["instagram"]
    assert ig.width / ig.height == 0.8
    assert len(stored_files()) == 4
    assert asset.title == "portrait"


def test_it_offers_a_duplicate_as_the_existing_asset(owner_client, tenant, stored_files):
    data = jpeg_bytes(120, 90)
    first = _post(owner_client, tenant, data).json()["results"][0]
    before = stored_files()
    second = _post(owner_client, tenant, data, "again.jpg").json()["results"][0]
    assert second["ok"] and second["duplicate"] and second["asset_id"] == first["asset_id"]
    assert stored_files() == before
    with scopes_disabled():
        assert Asset.objects.filter(tenant=tenant).count() == 1


def test_it_accepts_heic_and_stores_it_as_jpeg(owner_client, tenant):
    result = _post(owner_client, tenant, heic_bytes(80, 60), "IMG_0001.HEIC").json()["results"][0]
    assert result["ok"], result
    with scopes_disabled():
        asset = Asset.objects.get(pk=result["asset_id"])
    assert asset.source_format == "HEIF" and asset.content_type == "image/jpeg"
    assert asset.key.endswith(".jpg")


def test_it_keeps_png_transparency(owner_client, tenant, media_root):
    result = _post(owner_client, tenant, png_bytes(50, 50), "logo.png").json()["results"][0]
    with scopes_disabled():
        asset = Asset.objects.get(pk=result["asset_id"])
    assert asset.key.endswith(".png")
    with Image.open(media_root / asset.key) as img:
        assert img.mode == "RGBA"


def test_it_applies_exif_orientation(owner_client, tenant, media_root):
    # Stored 80×40 with "rotate 90°" (orientation 6): the photo really is 40×80.
    result = _post(owner_client, tenant, jpeg_bytes(80, 40, orientation=6)).json()["results"][0]
    with scopes_disabled():
        asset = Asset.objects.get(pk=result["asset_id"])
    assert (asset.width, asset.height) == (40, 80)
    with Image.open(media_root / asset.key) as img:
        assert img.size == (40, 80)
        assert not img.getexif()


def test_the_non_js_form_uploads_several_files_and_redirects(owner_client, tenant):
    response = owner_client.post(
        _upload_url(tenant),
        {"file": [upload(jpeg_bytes(30, 30), "a.jpg"), upload(jpeg_bytes(31, 30), "b.jpg")]},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Asset.objects.filter(tenant=tenant).count() == 2


def test_the_upload_checks_csrf(client, owner, tenant):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)
    response = csrf_client.post(_upload_url(tenant), {"file": upload(jpeg_bytes())})
    assert response.status_code == 403
    with scopes_disabled():
        assert not Asset.objects.filter(tenant=tenant).exists()


def test_the_stored_original_is_served_with_the_sniffed_type_and_nosniff(owner_client, tenant):
    result = _post(owner_client, tenant, jpeg_bytes(), "x.png").json()["results"][0]
    url = reverse(
        "assets:asset_file",
        kwargs={"tenant_slug": tenant.slug, "asset_id": result["asset_id"], "kind": "original"},
    )
    response = owner_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).format == "JPEG"
