"""Issue 14: "upload and organise" with the keyboard alone. The test never touches the mouse:
Tab, Space, Enter, the arrow keys and typing, on the real library page in Chromium."""

from __future__ import annotations

import pytest

from assets.models import Asset, Folder
from assets.tests.browser import DESKTOP, focused, log_in, tab_to, wait_for_status
from assets.tests.factories import jpeg_bytes
from tenants.scoping import scopes_disabled
from tenants.testing import make_member, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose(page, label: str) -> None:
    """Pick an option of the focused, closed <select> with the arrow keys."""
    read = (
        "() => { const s = document.activeElement; return s.options[s.selectedIndex].text.trim(); }"
    )
    page.keyboard.press("Home")
    for _ in range(40):
        if page.evaluate(read) == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {label!r} in the focused select")


def choose_action(page, label: str, *, then: str) -> None:
    """Choose a bulk action; Tab then reaches its field (`then`), the others being hidden."""
    tab_to(page, "#bulk-action")
    choose(page, label)
    page.keyboard.press("Tab")
    assert focused(page, then)


def open_file_chooser_by_keyboard(page, tries: int = 3):
    """Space on the focused file input opens the chooser. Headless Chromium opens one only for
    the page in front and sometimes drops the first key after a navigation, so bring the page to
    the front and press again (still only the keyboard) if no chooser came."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.bring_to_front()
    for _ in range(tries - 1):
        try:
            with page.expect_file_chooser(timeout=5_000) as chooser:
                page.keyboard.press("Space")
            return chooser.value
        except PlaywrightTimeout:
            assert focused(page, "#upload-input")  # the focus stayed; only the key was lost
    with page.expect_file_chooser(timeout=5_000) as chooser:
        page.keyboard.press("Space")
    return chooser.value


def test_upload_and_organise_with_the_keyboard_only(live_server, page, page_watch, media_root):
    tenant = make_tenant("Trattoria Tasti", slug="trattoria-tasti")
    user = make_member(tenant)
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/library/")

    # The folder first, then the file input, which opens the file chooser on Space.
    tab_to(page, "#upload-form select[name=folder]")
    choose(page, "Dishes")
    page.keyboard.press("Tab")
    assert focused(page, "#upload-input")
    chooser = open_file_chooser_by_keyboard(page)
    chooser.set_files(
        [
            {"name": "pizza.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(320, 240)},
            {"name": "panna cotta.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(240, 320)},
        ]
    )
    wait_for_status(page, "2 photos uploaded.")
    assert focused(page, "#upload-input")

    # Tick both photos; their tick boxes come before the bulk bar.
    passed = tab_to(page, "#asset-grid input[name=assets]")
    assert "select#bulk-action" not in passed
    page.keyboard.press("Space")
    tab_to(page, "#asset-grid input[name=assets]:not(:checked)")
    page.keyboard.press("Space")
    assert page.text_content("#selected-count") == "2 selected"

    # Tag them: with "Add tag" chosen, Tab goes from the action straight to the tag box.
    choose_action(page, "Add tag", then="#bulk-tag")
    page.keyboard.type("brunch")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Tagged 2 photos “brunch”.")

    # Move them to Events: Select all, the action, the folder, Apply.
    tab_to(page, "#select-all")
    page.keyboard.press("Space")
    choose_action(page, "Move to folder", then="#bulk-folder")
    choose(page, "Events")
    page.keyboard.press("Tab")
    assert focused(page, "#bulk-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Moved 2 photos to Events.")

    # Find one by searching, open it from its caption, move its focal point, save.
    tab_to(page, "#id_q")
    page.keyboard.type("pizza")
    wait_for_status(page, "1 photo matches.")
    tab_to(page, "#asset-grid .tile-link")
    page.keyboard.press("Enter")
    page.wait_for_selector("#focal-figure")
    tab_to(page, "#focal-marker")
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("Shift+ArrowUp")
    tab_to(page, ".detail-side form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Saved.")

    assert page_watch.pointer_presses == []  # no mouse, touch or pen (docs/accessibility.md)
    with scopes_disabled():
        events = Folder.objects.get(tenant=tenant, name="Events")
        photos = {a.title: a for a in Asset.objects.filter(tenant=tenant).prefetch_related("tags")}
    assert set(photos) == {"pizza", "panna cotta"}
    assert all(a.folder_id == events.pk for a in photos.values())
    assert all([t.name for t in a.tags.all()] == ["brunch"] for a in photos.values())
    assert (photos["pizza"].focal_x, photos["pizza"].focal_y) == (0.45, 0.4)
