"""Connecting Facebook with the keyboard alone (issue 14): log in, reach Accounts, Connect,
answer Facebook's dialog (the sandbox), pick the page, see it connected. No mouse, touch or pen:
the page fixture records every pointer press, and none may happen. axe checks each page."""

from __future__ import annotations

import re

import pytest

from assets.tests.browser import focused, tab_to
from social.models import SocialAccount
from social.tests.conftest import browser_sandbox
from tenants.scoping import scopes_disabled
from tenants.testing import PASSWORD, make_member, make_tenant, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_connecting_a_page_by_keyboard_only(
    live_server, graph_sandbox_factory, page, page_watch, settings
):
    sb = graph_sandbox_factory(redirect_uris=[f"{live_server.url}/social/facebook/callback/"])
    tenant = make_tenant("Trattoria da Maria", slug="maria")
    make_member(tenant, user=make_user("maria@example.com"))
    maria = sb.user_by_name("Maria Rossi")["id"]
    with browser_sandbox(sb, live_server.url, settings):
        page.goto(live_server.url + "/login/")
        tab_to(page, "input[name=username]")
        page.keyboard.type("maria@example.com")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/t/maria/")

        # The navigation, then the Connect button.
        tab_to(page, ".mainnav a[href$='/accounts/']")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/t/maria/accounts/")
        tab_to(page, "#connect-facebook")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{sb.url}/**")

        # Facebook's dialog: the arrow keys choose who logs in, Enter on Continue approves.
        tab_to(page, "input[name=user_id]")
        for _ in range(10):
            if focused(page, f"input[name=user_id][value='{maria}']:checked"):
                break
            page.keyboard.press("ArrowDown")
        assert focused(page, f"input[name=user_id][value='{maria}']:checked")
        tab_to(page, "#approve")
        page.keyboard.press("Enter")

        # Our page picker: Space ticks the page, Enter on the button connects it.
        page.wait_for_url(re.compile(r".*/t/maria/accounts/pick/[0-9a-f-]+/(#_=_)?$"))
        box = "input[name=page_ids][value='{}']".format(sb.page_by_name("Trattoria da Maria")["id"])
        tab_to(page, box)
        page.keyboard.press("Space")
        assert page.is_checked(box)
        tab_to(page, "#connect-pages")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/t/maria/accounts/(#_=_)?$"))
        assert "Connected: Facebook Page Trattoria da Maria" in page.inner_text(".messages")

    assert page_watch.pointer_presses == []  # the keyboard did everything
    with scopes_disabled():
        names = set(SocialAccount.objects.filter(tenant=tenant).values_list("name", "kind"))
    assert ("Trattoria da Maria", "facebook_page") in names
