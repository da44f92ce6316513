"""What a new user met outside the library (issue 9 items 6, 12, 13), in Chromium: the page
fixture runs axe on every page shown as well."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import PHONE
from lib.browser_checks import log_in
from tenants.management.commands.seed_demo import DEMO_PROFILE
from tenants.testing import make_member, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def walter(live_server, page):
    """Walter owns a restaurant with a full profile and two more members; his browser is in."""
    tenant = make_tenant(**{**DEMO_PROFILE, "slug": "walter", "name": "Trattoria da Walter"})
    owner = make_member(tenant, user=make_user("walter.rossi@trattoria-da-walter.example"))
    make_member(tenant, user=make_user("giulia.bianchi@trattoria-da-walter.example"), role="staff")
    make_member(tenant, user=make_user("marco@trattoria-da-walter.example"), role="staff")
    log_in(page, live_server, owner)
    tenant.owner = owner  # for tests that add him to a second restaurant
    return tenant


def _url(live_server, name: str, tenant) -> str:
    return live_server.url + reverse(name, args=[tenant.slug])


def test_the_sign_up_help_shows_the_address_pattern_as_text(live_server, page):
    page.goto(live_server.url + "/signup/")
    help_text = page.inner_text("#id_slug_helptext")
    assert "/t/<address>/" in help_text
    assert page.locator("#id_slug_helptext address").count() == 0
    assert page.get_attribute("#id_slug", "aria-describedby") == "id_slug_helptext"


def test_labels_have_no_colons_and_the_login_asks_for_an_email(live_server, page):
    page.goto(live_server.url + "/login/")
    labels = page.locator("main label").all_inner_texts()
    assert labels == ["Email", "Password"]
    page.goto(live_server.url + "/signup/")
    assert not [text for text in page.locator("main label").all_inner_texts() if ":" in text]


def test_profile_labels_are_words_without_colons(live_server, page, walter):
    page.goto(_url(live_server, "tenants:profile", walter))
    labels = page.locator(".profile-fields label").all_inner_texts()
    assert "Booking link" in labels and "Time zone" in labels
    assert not [text for text in labels if ":" in text or text.endswith(" url")]


def test_the_navigation_marks_the_page_you_are_on(live_server, page, walter):
    for name, label in [
        ("tenants:dashboard", "Dashboard"),
        ("tenants:profile", "Profile"),
        ("tenants:members", "Members"),
        ("social:accounts", "Accounts"),
        ("assets:library", "Library"),
    ]:
        page.goto(_url(live_server, name, walter))
        assert page.locator(".mainnav [aria-current=page]").all_inner_texts() == [label]


def test_a_skip_link_is_the_first_stop_and_jumps_to_the_content(live_server, page, walter):
    page.goto(_url(live_server, "tenants:members", walter))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    box = page.locator(".skip-link").bounding_box()
    assert box["y"] >= 0 and box["height"] > 20  # visible while focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")


def test_on_a_phone_the_header_is_one_row_with_a_menu_button(live_server, page, walter):
    page.set_viewport_size(PHONE)
    page.goto(_url(live_server, "tenants:dashboard", walter))
    header = page.locator(".topbar").bounding_box()
    assert header["height"] < 64, header  # one row: logo, restaurant switcher, Menu
    toggle = page.locator(".menu-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.is_hidden(".mainnav")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.is_visible(".mainnav a[href$='/members/']") and page.is_visible("text=Log out")
    page.keyboard.press("Escape")
    assert page.is_hidden(".mainnav")
    assert page.evaluate("document.activeElement.className") == "menu-toggle"


def test_on_a_phone_each_member_is_a_card_holding_its_buttons(live_server, page, walter):
    page.set_viewport_size(PHONE)
    page.goto(_url(live_server, "tenants:members", walter))
    rows = page.locator("table.members tbody tr")
    assert rows.count() == 3
    for i in range(3):
        row = rows.nth(i).bounding_box()
        assert row["x"] >= 0 and row["x"] + row["width"] <= PHONE["width"]
        for button in rows.nth(i).locator("button").all():
            box = button.bounding_box()
            assert row["x"] <= box["x"] and box["x"] + box["width"] <= row["x"] + row["width"]


def test_opening_hours_and_the_tone_of_voice_show_their_whole_value(live_server, page, walter):
    page.goto(_url(live_server, "tenants:profile", walter))
    tone = page.locator("[name=tone_of_voice]")
    assert tone.input_value() == DEMO_PROFILE["tone_of_voice"]
    assert tone.evaluate("e => e.scrollWidth <= e.clientWidth")
    # Chromium draws "12:00 PM" and a clock icon in a time input: the box must hold both.
    for name in ("tue_open_1", "tue_close_2", "fri_close_2"):
        assert page.locator(f"[name={name}]").evaluate("e => e.clientWidth") >= 130, name


def test_the_restaurant_switcher_looks_and_works_like_a_control(live_server, page, walter):
    make_member(make_tenant("Pizzeria Walter", slug="walter-pizza"), user=walter.owner)
    page.goto(_url(live_server, "tenants:dashboard", walter))
    summary = page.locator(".switcher summary")
    style = summary.evaluate(
        "e => { const s = getComputedStyle(e); const a = getComputedStyle(e, '::after');"
        " return [s.borderTopStyle, s.borderTopWidth, s.display, a.content]; }"
    )
    assert style == ["solid", "1px", "inline-flex", '""']  # a bordered button with a chevron
    summary.click()
    page.click("text=Pizzeria Walter")
    page.wait_for_url("**/t/walter-pizza/")
    assert page.inner_text(".switcher summary").strip().endswith("Pizzeria Walter")


def test_on_a_phone_the_opening_hours_stay_inside_their_day(live_server, page, walter):
    page.set_viewport_size(PHONE)
    page.goto(_url(live_server, "tenants:profile", walter))
    day = page.locator("fieldset[data-day]", has=page.locator("[name=tue_closed]"))
    edge = day.bounding_box()
    for name in ("tue_open_1", "tue_close_1", "tue_close_2"):
        box = page.locator(f"[name={name}]").bounding_box()
        assert box["x"] + box["width"] <= edge["x"] + edge["width"], name
        assert page.locator(f"[name={name}]").evaluate("e => e.clientWidth") >= 120, name
