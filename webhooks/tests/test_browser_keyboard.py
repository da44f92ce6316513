"""Replying in the inbox with the keyboard alone (issue 14): from the inbox, Tab to the
conversation, Enter, Tab to the reply box, type, Tab to Send, Enter; the reply reaches the
customer. The page fixture records every pointer press (none may happen) and runs axe."""

from __future__ import annotations

import pytest

from assets.tests.browser import tab_to
from lib.browser_checks import log_in
from tenants.scoping import tenant_scope
from webhooks.models import Conversation
from webhooks.tests.helpers import PAGE_ID, deliver, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_reply_in_the_inbox_by_keyboard_only(world, live_server, page, page_watch):
    sb, tenant = world.sb, world.tenant
    sent = sb.trigger_message(PAGE_ID, "Do you have a table tonight?", sender_name="Luca Neri")
    deliver(sb)

    def conversation():
        with tenant_scope(tenant):
            return Conversation.objects.filter(customer_id=sent["sender_id"]).first()

    found = wait_for(conversation, what="the conversation")
    log_in(page, live_server, world.owner)
    page.goto(f"{live_server.url}/t/{tenant.slug}/inbox/")

    tab_to(page, f'a[href$="/inbox/{found.pk}/"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/inbox/{found.pk}/")
    tab_to(page, "#reply-text")
    page.keyboard.type("Yes, we keep one for you at eight.")
    tab_to(page, "#reply-send")
    page.keyboard.press("Enter")
    page.locator(".bubble-out", has_text="Yes, we keep one for you at eight.").wait_for()

    assert page_watch.pointer_presses == []
    assert "Yes, we keep one for you at eight." in sb.page_replies(sent["sender_id"])
