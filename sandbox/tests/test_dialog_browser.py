"""The login dialog in Chromium at a phone's width (issue 14 item 9): it stands for Facebook's
in every demo, so it is held to the same bar as our pages (the `page` fixture runs axe)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from lib.browser_checks import horizontal_overflow
from sandbox.tests.conftest import REDIRECT_URI

pytestmark = pytest.mark.browser


def test_the_login_dialog_reads_well_on_a_phone(sandbox, page):
    page.set_viewport_size({"width": 390, "height": 844})
    query = {"client_id": sandbox.app_id, "redirect_uri": REDIRECT_URI, "state": "s1"}
    page.goto(f"{sandbox.url}/v24.0/dialog/oauth?{urlencode(query)}&scope=pages_show_list")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("meta[name=viewport]").count() == 1
    assert page.locator("link[rel=icon]").count() == 1
    assert page.evaluate("document.querySelector('main').getBoundingClientRect().width") == 390
    assert horizontal_overflow(page) == []
    # Continue is the dialog's main button: white on blue at 4.5:1 or more (axe checks the rest).
    assert page.eval_on_selector("#approve", "b => getComputedStyle(b).backgroundColor") == (
        "rgb(11, 95, 204)"
    )
