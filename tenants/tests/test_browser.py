"""The tenants app's JavaScript in a real browser (static/js/tenants.js, under the real CSP)."""

from __future__ import annotations

import pytest

from tenants.testing import (
    PASSWORD,
    confirm_signup_in_browser,
    make_member,
    make_tenant,
    make_user,
)


def _open_profile(live_server, page, name: str, email: str, login_as: str | None = None) -> None:
    """A restaurant with one member, logged in through the login page, on its profile page."""
    slug = name.lower().replace(" ", "-")
    make_member(make_tenant(name, slug=slug), user=make_user(email))
    page.goto(f"{live_server.url}/login/")
    page.fill("[name=username]", login_as or email)
    page.fill("[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/{slug}/")
    page.goto(f"{live_server.url}/t/{slug}/profile/")


@pytest.mark.browser
def test_signing_up_in_a_browser_fills_the_address_from_the_name(live_server, page):
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(f"{live_server.url}/signup/")
    page.fill("[name=name]", "Café Olé Örebro")
    assert page.input_value("[name=slug]") == "cafe-ole-orebro"
    page.fill("[name=slug]", "ole")
    page.fill("[name=name]", "Café Olé")
    assert page.input_value("[name=slug]") == "ole"  # an edited address is left alone
    page.select_option("[name=timezone]", "Europe/Stockholm")
    page.fill("[name=email]", "owner@ole.example")
    page.fill("[name=password1]", PASSWORD)
    page.fill("[name=password2]", PASSWORD)
    page.click("button[type=submit]")
    confirm_signup_in_browser(page, live_server.url, "owner@ole.example")
    page.wait_for_url(f"{live_server.url}/t/ole/")
    assert "Café Olé" in page.inner_text("h1")
    page.wait_for_load_state("networkidle")
    assert [e for e in errors if "Content Security Policy" in e] == []


@pytest.mark.browser
def test_ticking_closed_disables_that_days_times(live_server, page, transactional_db):
    _open_profile(live_server, page, "Browser Bistro", "b@example.com", login_as="B@Example.com")
    assert page.is_disabled("[name=mon_open_1]")  # every day starts closed
    page.uncheck("[name=mon_closed]")
    page.fill("[name=mon_open_1]", "12:00")
    page.fill("[name=mon_close_1]", "15:00")
    page.click("main button[type=submit]")
    page.wait_for_selector(".messages .msg-success")
    assert page.input_value("[name=mon_open_1]") == "12:00"
    assert page.is_enabled("[name=mon_open_1]")


@pytest.mark.browser
def test_a_third_opening_unfolds_when_needed(live_server, page, transactional_db):
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    _open_profile(live_server, page, "Breakfast Bar", "c@example.com")
    assert "No opening hours yet" in page.inner_text("main")
    assert page.is_hidden("[name=tue_open_3]") and page.is_visible("[name=tue_open_2]")
    tuesday = page.locator("fieldset", has=page.locator("[name=tue_closed]"))
    assert tuesday.locator(".slot-add").is_disabled()  # a closed day
    page.uncheck("[name=tue_closed]")
    tuesday.locator(".slot-add").click()
    assert page.is_visible("[name=tue_open_3]")
    assert tuesday.locator(".slot-add").count() == 0  # nothing left to unfold
    for n, (start, end) in enumerate([("07:30", "10:30"), ("12:00", "14:30"), ("19:00", "22:30")]):
        page.fill(f"[name=tue_open_{n + 1}]", start)
        page.fill(f"[name=tue_close_{n + 1}]", end)
    page.click("main button[type=submit]")
    page.wait_for_selector(".messages .msg-success")
    assert page.is_visible("[name=tue_open_3]")  # a filled third opening is never folded
    assert page.input_value("[name=tue_open_3]") == "19:00"
    assert page.is_hidden("[name=wed_open_3]")
    assert "No opening hours yet" not in page.inner_text("main")
    assert [e for e in errors if "Content Security Policy" in e] == []


@pytest.mark.browser
def test_a_form_sent_back_with_errors_puts_the_focus_on_the_first_field_to_fix(
    live_server, page, db
):
    """static/js/app.js: keyboard and screen-reader users land on the first wrong field, whose
    error is read with it (aria-describedby), not at the top of the page."""
    page.goto(f"{live_server.url}/signup/")
    page.fill("[name=name]", "Trattoria Focus")
    page.fill("[name=email]", "owner@focus.example")
    page.fill("[name=password1]", PASSWORD)
    page.fill("[name=password2]", PASSWORD + "x")  # not the same
    with page.expect_navigation():
        page.click("button[type=submit]")
    focused = page.evaluate(
        "[document.activeElement.name, document.activeElement.getAttribute('aria-invalid'),"
        " document.activeElement.getAttribute('aria-describedby')]"
    )
    assert focused[0] == "password2" and focused[1] == "true"
    assert "password2_error" in (focused[2] or "")
    # A page without errors keeps the focus where the browser puts it.
    page.goto(f"{live_server.url}/signup/")
    assert page.evaluate("document.activeElement.tagName") == "BODY"
