"""The checks the `page` fixture runs on every page (lib/browser_checks.py) find what they are
for: served by a route, so no app page is involved."""

from __future__ import annotations

import pytest

from lib.browser_checks import PageWatch, horizontal_overflow

pytestmark = pytest.mark.browser

GOOD = """<!doctype html><html lang="en"><head><title>Fine</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Fine</h1><label for="s">Sort</label><select id="s"><option>New</option></select>
<a href="/bad">next</a></main></body></html>"""
BAD = """<!doctype html><html lang="en"><head><title>Bad</title></head>
<body><main><h1>Bad</h1><select><option>New</option></select>
<img src="/static/missing.png"><div style="width: 2000px">wide</div></main></body></html>"""


def _serve(page, pages: dict[str, str]) -> None:
    def handle(route):
        path = "/" + route.request.url.split("/", 3)[3]
        if path in pages:
            route.fulfill(status=200, content_type="text/html", body=pages[path])
        else:
            route.fulfill(status=404, body="")

    page.route("http://checks.test/**", handle)


@pytest.fixture
def bare_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    watch = PageWatch()
    watch.attach(page)
    yield page, watch
    context.close()


def test_a_page_left_by_a_click_is_checked_too_and_its_violations_fail(bare_page):
    page, watch = bare_page
    _serve(page, {"/good": GOOD, "/bad": BAD})
    page.goto("http://checks.test/good")
    page.click("a")  # at once: the load-time run on /good may not have finished
    page.wait_for_url("http://checks.test/bad")
    failures = watch.finish(page)
    assert ("http://checks.test/good", 390) in watch.checked
    assert watch.checked[("http://checks.test/good", 390)] == []
    assert any("/bad at 390px: critical select-name" in f for f in failures), failures
    assert "static file not found: http://checks.test/static/missing.png" in failures
    assert horizontal_overflow(page)[0] == "document 2008px > 390px"  # body margin 8px
    assert watch.pointer_presses == ["mouse"]


def test_a_clean_page_passes_and_keys_are_not_pointer_presses(bare_page):
    page, watch = bare_page
    _serve(page, {"/good": GOOD, "/bad": GOOD})
    page.goto("http://checks.test/good")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("http://checks.test/bad")
    assert watch.finish(page) == []
    assert horizontal_overflow(page) == []
    assert watch.pointer_presses == []
