"""Issue 4 "Done when": the whole story in Debian's Chromium, against the Graph sandbox."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from social import tasks
from social.models import SocialAccount
from social.tests.conftest import browser_sandbox
from tenants.scoping import scopes_disabled
from tenants.testing import confirm_signup_in_browser

# Facebook appends "#_=_" to its redirect; browsers keep it across our redirects.
ACCOUNTS = re.compile(r".*/t/browser/accounts/(#_=_)?$")


@pytest.mark.browser
def test_sign_up_connect_two_pages_break_one_and_reconnect_it(
    live_server, graph_sandbox_factory, page, settings
):
    sb = graph_sandbox_factory(redirect_uris=[f"{live_server.url}/social/facebook/callback/"])
    with browser_sandbox(sb, live_server.url, settings):
        # sign up
        page.goto(f"{live_server.url}/signup/")
        page.fill("input[name=name]", "Trattoria Browser")
        page.fill("input[name=slug]", "browser")
        tz = page.locator("[name=timezone]")
        if tz.evaluate("e => e.tagName") == "SELECT":
            tz.select_option("Europe/Rome")
        else:
            tz.fill("Europe/Rome")
        page.fill("input[name=email]", "maria@example.com")
        page.fill("input[name=password1]", "a-long-pass-phrase-42")
        page.fill("input[name=password2]", "a-long-pass-phrase-42")
        page.click("button[type=submit]")
        confirm_signup_in_browser(page, live_server.url, "maria@example.com")
        page.wait_for_url(f"{live_server.url}/t/browser/**")
        mail.outbox.clear()  # the confirmation; the alert below is counted on its own

        # connect: Facebook's dialog (the sandbox), as Maria, approving her pages
        page.goto(f"{live_server.url}/t/browser/accounts/")
        page.click("#connect-facebook")
        page.wait_for_url(f"{sb.url}/**")
        maria = sb.user_by_name("Maria Rossi")["id"]
        page.check(f"input[name=user_id][value='{maria}']")
        page.click("button#approve")

        # our page picker: two of the three pages
        page.wait_for_url(re.compile(r".*/t/browser/accounts/pick/[0-9a-f-]+/(#_=_)?$"))
        assert page.locator("input[name=page_ids]").count() == 3
        page.get_by_label("Trattoria da Maria").check()
        page.get_by_label("Pizzeria Bella Napoli").check()
        page.click("#connect-pages")
        page.wait_for_url(ACCOUNTS)
        cards = page.locator(".social-account")
        assert cards.count() == 3
        for name, kind in [
            ("Trattoria da Maria", "Facebook Page"),
            ("Pizzeria Bella Napoli", "Facebook Page"),
            ("Trattoria da Maria", "Instagram account"),
        ]:
            card = cards.filter(has_text=name).filter(has_text=kind)
            assert card.locator(".social-status").inner_text() == "Active"
        assert "Osteria del Porto" not in page.content()

        # Facebook kills one page token; the next check notices
        with scopes_disabled():
            pizzeria = SocialAccount.objects.get(name="Pizzeria Bella Napoli")
        sb.revoke_token(pizzeria.page_token, subcode=492)
        tasks.account_check.apply(
            kwargs={"tenant_id": pizzeria.tenant_id, "account_id": str(pizzeria.pk)}
        ).get()
        page.reload()
        broken = cards.filter(has_text="Pizzeria Bella Napoli")
        assert broken.locator(".social-status").inner_text() == "Needs reconnecting"
        assert "no longer an admin" in broken.inner_text()
        assert "needs reconnecting" in page.locator(".banner").inner_text()
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maria@example.com"]
        assert (
            f"{live_server.url}/t/browser/accounts/{pizzeria.pk}/reconnect/" in mail.outbox[0].body
        )

        # Reconnect restores it
        broken.locator("button.social-reconnect").click()
        page.wait_for_url(f"{sb.url}/**")
        page.check(f"input[name=user_id][value='{maria}']")
        page.click("button#approve")
        page.wait_for_url(ACCOUNTS)
        assert (
            cards.filter(has_text="Pizzeria Bella Napoli").locator(".social-status").inner_text()
            == "Active"
        )
        assert page.locator(".banner").count() == 0
        with scopes_disabled():
            assert SocialAccount.objects.get(pk=pizzeria.pk).status == "active"
