"""The composer's photo list in Chromium: two photos from the library picker, reordered with the
buttons, one removed; a quick upload joins the list; the preview follows each change."""

from __future__ import annotations

import pytest

from assets.tests.conftest import media_root  # noqa: F401  (autouse: a media folder per test)
from assets.tests.factories import jpeg_bytes, make_asset
from lib.browser_checks import log_in
from posting.tests.factories import make_instagram, make_page
from tenants.testing import make_member, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _ids(page) -> list[str]:
    return page.eval_on_selector_all("#media-list li", "els => els.map(e => e.dataset.assetId)")


def test_pick_reorder_remove_and_upload(live_server, page, settings):
    settings.OPENAI_API_KEY = ""
    tenant = make_tenant("Trattoria Foto", slug="foto")
    user = make_member(tenant)
    make_instagram(tenant, page=make_page(tenant, name="Trattoria Foto"), name="trattoriafoto")
    first = make_asset(tenant, title="First", width=400, height=400)
    second = make_asset(tenant, title="Second", width=400, height=400)
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/posts/new/")

    page.click("text=Choose from library")
    page.wait_for_selector("dialog.picker-dialog[open] #asset-picker")
    page.check(f'dialog input[name=picked][value="{first.pk}"]')
    page.check(f'dialog input[name=picked][value="{second.pk}"]')
    page.click("dialog [data-picker-done]")
    page.wait_for_function("() => document.querySelectorAll('#media-list li').length === 2")
    assert _ids(page) == [str(first.pk), str(second.pk)]
    assert page.input_value("input[name=asset_ids]") == f"{first.pk},{second.pk}"
    page.wait_for_selector(".pv-instagram .pv-dots")  # a carousel of two
    # The count is for screen readers only: on screen the dots say it (a class the composer's
    # stylesheets do not define would show it as text).
    count = page.locator(".pv-instagram .pv-dots", has_text="Carousel of 2 photos")
    box = count.locator("span").first.bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1

    page.click(f'#media-list li[data-asset-id="{second.pk}"] [data-move="-1"]')
    assert _ids(page) == [str(second.pk), str(first.pk)]
    assert "photo 1 of 2" in page.inner_text("#media-status")
    page.click(f'#media-list li[data-asset-id="{first.pk}"] [data-remove]')
    assert _ids(page) == [str(second.pk)]
    page.wait_for_function("() => !document.querySelector('.pv-instagram .pv-dots')")

    page.set_input_files(
        "#quick-upload",
        files=[{"name": "terrace.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(300, 300)}],
    )
    page.wait_for_function("() => document.querySelectorAll('#media-list li').length === 2")
    assert "terrace: Uploaded." in page.inner_text("#media-status")
    assert page.input_value("input[name=asset_ids]").startswith(f"{second.pk},")
