"""The tenants app's JavaScript in a real browser (static/js/tenants.js, under the real CSP)."""

from __future__ import annotations

import pytest

from tenants.testing import PASSWORD, make_member, make_tenant, make_user


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
    page.wait_for_url(f"{live_server.url}/t/ole/")
    assert "Café Olé" in page.inner_text("h1")
    page.wait_for_load_state("networkidle")
    assert [e for e in errors if "Content Security Policy" in e] == []


@pytest.mark.browser
def test_ticking_closed_disables_that_days_times(live_server, page, transactional_db):
    tenant = make_tenant("Browser Bistro", slug="browser-bistro")
    make_member(tenant, user=make_user("b@example.com"))
    page.goto(f"{live_server.url}/login/")
    page.fill("[name=username]", "B@Example.com")
    page.fill("[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/browser-bistro/")
    page.goto(f"{live_server.url}/t/browser-bistro/profile/")
    assert page.is_disabled("[name=mon_open_1]")  # every day starts closed
    page.uncheck("[name=mon_closed]")
    page.fill("[name=mon_open_1]", "12:00")
    page.fill("[name=mon_close_1]", "15:00")
    page.click("main button[type=submit]")
    page.wait_for_selector(".msg")
    assert page.input_value("[name=mon_open_1]") == "12:00"
    assert page.is_enabled("[name=mon_open_1]")
