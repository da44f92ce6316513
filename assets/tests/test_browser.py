"""Done-when of issue 5, in Chromium: drag-and-drop three phone photos, watch progress and
thumbnails, tag, move, search, and check the 9:16 photo's Instagram rendition is a 4:5 JPEG."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from assets.models import Asset
from assets.tests.factories import gps_exif, heic_bytes, jpeg_bytes
from tenants.scoping import scopes_disabled
from tenants.testing import PASSWORD, make_member, make_tenant

DROP = """
(files) => {
  const dt = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
    dt.items.add(new File([bytes], f.name, { type: f.type }));
  }
  const zone = document.getElementById("upload-form");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }
}
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_three_phone_photos_by_drag_and_drop_to_an_instagram_ready_jpeg(
    live_server, page, media_root
):
    tenant = make_tenant("Osteria Browser", slug="osteria-browser")
    user = make_member(tenant)
    photos = [
        ("IMG_2041.HEIC", heic_bytes(640, 480), "image/heic"),
        ("portrait-916.jpg", jpeg_bytes(1080, 1920, colour=(220, 180, 40)), "image/jpeg"),
        ("terrace-gps.jpg", jpeg_bytes(1200, 900, exif=gps_exif()), "image/jpeg"),
    ]

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/t/{tenant.slug}/library/")

    # Drop: the page builds File objects from the bytes and dispatches real drag events.
    page.evaluate(
        DROP,
        [{"name": n, "type": t, "b64": base64.b64encode(d).decode()} for n, d, t in photos],
    )
    rows = page.locator("#upload-list .upload-item")
    assert rows.count() == 3
    assert page.locator("#upload-list .upload-item progress").count() == 3
    page.wait_for_function(
        "() => document.querySelectorAll('#upload-list .upload-item.is-done').length === 3"
    )
    assert [
        int(v)
        for v in page.eval_on_selector_all("#upload-list progress", "els => els.map(e => e.value)")
    ] == [100, 100, 100]
    page.wait_for_function(
        "() => [...document.querySelectorAll('#asset-grid img.tile-img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length === 3"
    )

    # Tag all three, then move them to Dishes (bulk actions).
    page.check("#select-all")
    assert page.text_content("#selected-count") == "3 selected"
    page.select_option("#bulk-form select[name=action]", "tag")
    page.fill("#bulk-form input[name=tag]", "brunch")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("text=Tagged 3 photos")
    assert page.locator("#asset-grid .badge", has_text="brunch").count() == 3

    page.check("#select-all")
    page.select_option("#bulk-form select[name=action]", "move")
    page.select_option("#bulk-form select[name=folder]", label="Dishes")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("text=Moved 3 photos to Dishes")
    page.click(".folders a:has-text('Dishes')")
    page.wait_for_load_state("networkidle")
    assert page.locator("#asset-grid .tile").count() == 3

    # Search (htmx swaps the results as you type).
    page.goto(f"{live_server.url}/t/{tenant.slug}/library/")
    page.fill("#id_q", "portrait")
    page.wait_for_function("() => document.querySelectorAll('#asset-grid .tile').length === 1")
    assert "portrait-916" in page.text_content("#asset-grid .tile")

    # Open it and its Instagram rendition.
    page.click("#asset-grid .tile a.tile-link")
    page.wait_for_selector("#instagram-preview")
    href = page.get_attribute("#instagram-link", "href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.ok and response.headers["content-type"] == "image/jpeg"
    img = Image.open(io.BytesIO(response.body()))
    assert img.format == "JPEG"
    assert img.width / img.height == 0.8, img.size

    with scopes_disabled():
        by_title = {a.title: a for a in Asset.objects.filter(tenant=tenant)}
        assert set(by_title) == {"IMG 2041", "portrait-916", "terrace-gps"}
        assert all(a.folder.name == "Dishes" for a in by_title.values())
        gps_photo = by_title["terrace-gps"]
    stored = (media_root / gps_photo.key).read_bytes()
    assert b"PhoneMaker" not in stored and b"Exif" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif().get_ifd(0x8825)
