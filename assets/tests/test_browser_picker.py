"""In Chromium: the asset picker modal (search, folder navigation, multiple selection, "Use
selected" fills the hidden input) and the focal-point click on the detail panel (saved, and the
Instagram rendition regenerated around the new point)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from assets import services
from assets.models import Asset, Folder, Rendition
from assets.tests.factories import make_asset, upload
from config.tests.test_csp_browser import watch_violations
from tenants.scoping import scopes_disabled, tenant_scope
from tenants.testing import PASSWORD, make_member, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RED, GREEN, BLUE = (220, 30, 30), (30, 200, 60), (30, 60, 220)


def _log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _tiles(page) -> list[str]:
    return page.eval_on_selector_all(
        "#picker-results input[name=picked]", "els => els.map(e => e.value)"
    )


def _wait_for_tiles(page, ids) -> None:
    want = sorted(str(i) for i in ids)
    page.wait_for_function(
        "want => JSON.stringify([...document.querySelectorAll('#picker-results "
        "input[name=picked]')].map(e => e.value).sort()) === JSON.stringify(want)",
        arg=want,
    )


@pytest.mark.urls("assets.tests.picker_urls")
def test_the_picker_searches_opens_a_folder_and_writes_two_picked_ids_in_order(
    live_server, page, media_root
):
    tenant = make_tenant("Picker Trattoria", slug="picker-trattoria")
    user = make_member(tenant)
    with scopes_disabled():
        exterior = Folder.objects.get(tenant=tenant, name="Exterior", parent=None)
    with tenant_scope(tenant):
        terrace_folder = services.folder_create(tenant=tenant, name="Terrace", parent=exterior)
    tiramisu = make_asset(tenant, title="Tiramisu")
    terrace = make_asset(tenant, title="Evening terrace", folder=terrace_folder)
    pizza = make_asset(tenant, title="Pizza margherita", folder=exterior)
    sign = make_asset(tenant, title="Terrace sign")
    everything = [tiramisu, terrace, pizza, sign]
    with scopes_disabled():
        assert all(a.status == Asset.Status.READY for a in Asset.objects.filter(tenant=tenant))

    violations = watch_violations(page)
    _log_in(page, live_server, user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/picker-host/")
    page.evaluate(
        "window.pickedEvents = [];"
        "document.addEventListener('assets:picked', e => window.pickedEvents.push(e.detail));"
    )

    page.click("text=Choose photos")
    page.wait_for_selector("dialog.picker-dialog[open] #asset-picker")
    _wait_for_tiles(page, [a.pk for a in everything])
    assert page.text_content("[data-picker-count]") == "0 selected"

    # Search: htmx swaps the results as you type.
    page.fill("#asset-picker input[name=q]", "tiramisu")
    _wait_for_tiles(page, [tiramisu.pk])
    page.click(f"label.picker-tile:has(input[value='{tiramisu.pk}'])")
    assert page.is_checked(f"input[name=picked][value='{tiramisu.pk}']")
    assert page.text_content("[data-picker-count]") == "1 selected"

    # Clear the search, then go into the nested folder Exterior › Terrace.
    page.fill("#asset-picker input[name=q]", "")
    _wait_for_tiles(page, [a.pk for a in everything])
    assert page.is_checked(f"input[name=picked][value='{tiramisu.pk}']")  # kept across swaps
    page.select_option("#asset-picker select[name=folder]", str(terrace_folder.pk))
    _wait_for_tiles(page, [terrace.pk])
    page.click(f"label.picker-tile:has(input[value='{terrace.pk}'])")
    assert page.text_content("[data-picker-count]") == "2 selected"

    page.click("[data-picker-done]")
    page.wait_for_selector("dialog.picker-dialog", state="detached")
    assert page.input_value("#id_asset_ids") == f"{tiramisu.pk},{terrace.pk}"  # order picked
    events = page.evaluate("window.pickedEvents")
    assert [e["ids"] for e in events] == [[str(tiramisu.pk), str(terrace.pk)]]
    assert all(
        f"/a/{pk}/file/thumb/" in t
        for pk, t in zip([tiramisu.pk, terrace.pk], events[0]["thumbs"], strict=True)
    )
    assert violations == []


@pytest.mark.urls("assets.tests.picker_urls")
def test_closing_the_picker_leaves_the_input_alone_and_single_mode_keeps_one(
    live_server, page, media_root
):
    tenant = make_tenant("Picker Bistro", slug="picker-bistro")
    user = make_member(tenant)
    first, second = make_asset(tenant, title="First"), make_asset(tenant, title="Second")
    _log_in(page, live_server, user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/picker-host/")

    page.click("text=Choose photos")
    _wait_for_tiles(page, [first.pk, second.pk])
    page.click(f"label.picker-tile:has(input[value='{first.pk}'])")
    page.click("[data-picker-cancel]")
    page.wait_for_selector("dialog.picker-dialog", state="detached")
    assert page.input_value("#id_asset_ids") == ""

    # ?multiple=0: radio buttons, and a second pick replaces the first.
    page.eval_on_selector(
        "[data-asset-picker]",
        "b => b.dataset.assetPicker = b.dataset.assetPicker.replace('multiple=1', 'multiple=0')",
    )
    page.click("text=Choose photos")
    _wait_for_tiles(page, [first.pk, second.pk])
    assert page.get_attribute(f"input[value='{first.pk}']", "type") == "radio"
    page.click(f"label.picker-tile:has(input[value='{first.pk}'])")
    page.click(f"label.picker-tile:has(input[value='{second.pk}'])")
    assert page.text_content("[data-picker-count]") == "1 selected"
    page.click("[data-picker-done]")
    assert page.input_value("#id_asset_ids") == str(second.pk)


def _banded_portrait() -> bytes:
    """900 × 1600 (9:16): red rows 0–474, green 475–1124, blue 1125–1599.

    Instagram keeps a 900 × 1125 (4:5) band: centred it is rows 238–1362 (red, green and blue);
    with the focal point low it is rows 475–1599 (green and blue, no red); high, rows 0–1124."""
    img = Image.new("RGB", (900, 1600), GREEN)
    img.paste(RED, (0, 0, 900, 475))
    img.paste(BLUE, (0, 1125, 900, 1600))
    buf = io.BytesIO()
    img.save(buf, "PNG")  # lossless, so the band edges are exact
    return buf.getvalue()


def _near(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def _column(img: Image.Image, x: int) -> list[tuple[int, int, int]]:
    return [img.getpixel((x, y)) for y in range(0, img.height, 5)]


def test_clicking_the_photo_moves_the_focal_point_and_recrops_instagram_around_it(
    live_server, page, media_root
):
    tenant = make_tenant("Focal Osteria", slug="focal-osteria")
    user = make_member(tenant)
    with tenant_scope(tenant):
        asset = services.asset_create_from_upload(
            tenant=tenant, upload=upload(_banded_portrait(), "bands.png", "image/png")
        ).asset
    with scopes_disabled():
        before = Rendition.objects.get(asset=asset, kind=Rendition.Kind.INSTAGRAM)
    centred = Image.open(media_root / before.key)
    assert centred.size == (900, 1125)
    assert _near(centred.getpixel((450, 2)), RED) and _near(centred.getpixel((450, 1122)), BLUE)

    violations = watch_violations(page)
    _log_in(page, live_server, user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/library/a/{asset.pk}/")
    page.wait_for_function(
        "() => { const i = document.getElementById('focal-image'); return i.complete && i.naturalWidth > 0; }"
    )
    # A portrait photo is taller than the window: the click scrolls it into view first.
    figure = page.locator("#focal-figure")
    size = figure.bounding_box()
    figure.click(position={"x": size["width"] * 0.25, "y": size["height"] * 0.9})
    assert abs(float(page.input_value("#id_focal_x")) - 0.25) < 0.01
    assert abs(float(page.input_value("#id_focal_y")) - 0.9) < 0.01
    box, marker = figure.bounding_box(), page.locator("#focal-marker").bounding_box()
    assert abs(marker["x"] + marker["width"] / 2 - (box["x"] + box["width"] * 0.25)) < 3
    assert abs(marker["y"] + marker["height"] / 2 - (box["y"] + box["height"] * 0.9)) < 3

    page.click("form.card button[type=submit]:has-text('Save')")
    page.wait_for_selector("text=Saved.")
    assert violations == []

    with scopes_disabled():
        asset.refresh_from_db()
        after = Rendition.objects.get(asset=asset, kind=Rendition.Kind.INSTAGRAM)
    assert abs(asset.focal_x - 0.25) < 0.01 and abs(asset.focal_y - 0.9) < 0.01
    assert asset.status == Asset.Status.READY
    assert after.key != before.key and after.public_token != before.public_token
    assert not (media_root / before.key).exists()

    # The new rendition, fetched the way Meta does (public token URL): rows 475–1599 kept.
    response = page.request.get(f"{live_server.url}/public/ig/{after.public_token}.jpg")
    assert response.ok and response.headers["content-type"] == "image/jpeg"
    recropped = Image.open(io.BytesIO(response.body())).convert("RGB")
    assert recropped.size == (900, 1125)
    column = _column(recropped, 450)
    assert not any(_near(p, RED) for p in column), "the red top band should be cropped away"
    assert _near(recropped.getpixel((450, 2)), GREEN)
    assert _near(recropped.getpixel((450, 1122)), BLUE)
    # 650 green rows then 475 blue rows, as the crop box says.
    assert sum(_near(p, GREEN) for p in column) == pytest.approx(650 / 5, abs=3)
    assert sum(_near(p, BLUE) for p in column) == pytest.approx(475 / 5, abs=3)
    assert page.request.get(f"{live_server.url}/public/ig/{before.public_token}.jpg").status == 404
