"""The inbox in a real browser (Chromium, the real CSP, htmx polling): open a thread, reply, see
the reply, and see a new customer message appear without reloading."""

from __future__ import annotations

import pytest

from tenants.scoping import tenant_scope
from tenants.testing import PASSWORD
from webhooks.models import Conversation
from webhooks.tests.helpers import PAGE_ID, deliver, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_open_a_thread_reply_and_see_a_new_message_arrive_without_reloading(
    world, live_server, page
):
    sb, tenant = world.sb, world.tenant
    errors: list[str] = []
    # Console errors (CSP violations, scripts) and failed loads, except the browser's own
    # favicon request (the site has none yet).
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and "favicon" not in msg.location.get("url", "")
            and errors.append(msg.text)
        ),
    )
    sent = sb.trigger_message(PAGE_ID, "Ciao! Is the terrace open?", sender_name="Giulia Bianchi")
    deliver(sb)

    def conversation():
        with tenant_scope(tenant):
            return Conversation.objects.filter(
                customer_id=sent["sender_id"], customer_name="Giulia Bianchi"
            ).first()

    found = wait_for(conversation, what="the conversation")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.fill("[name=username]", world.owner.email)
    page.fill("[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/{tenant.slug}/")
    page.click("nav >> text=Inbox")
    page.click(".inbox-item >> text=Giulia Bianchi")
    page.wait_for_url(f"**/inbox/{found.pk}/")
    page.locator(".bubble-in", has_text="Is the terrace open?").wait_for()
    page.screenshot(path="/tmp/inbox-1366.png", full_page=True)

    page.fill("#reply-text", "Yes, from noon. See you there!")
    page.click("#reply-send")
    page.locator(".bubble-out", has_text="Yes, from noon. See you there!").wait_for()
    assert "Yes, from noon. See you there!" in sb.page_replies(sent["sender_id"])

    url = page.url
    sb.trigger_message(PAGE_ID, "Perfect, two of us at 1pm", sender_id=sent["sender_id"])
    deliver(sb)
    page.locator(".bubble-in", has_text="Perfect, two of us at 1pm").wait_for(timeout=15_000)
    assert page.url == url  # no navigation: htmx polling brought it in
    live = page.locator("#inbox-live")
    assert "New message from Giulia Bianchi: Perfect, two of us at 1pm" in live.inner_text()
    assert live.get_attribute("aria-live") == "polite"

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path="/tmp/inbox-390.png", full_page=True)
    assert page.locator(".thread-back").is_visible()
    assert not page.locator(".inbox-side").is_visible()
    # One level-one heading a screen reader can reach at each width (the list's "Inbox" is
    # hidden with the list on a phone; a visually hidden one names the thread instead).
    assert _reachable_h1s(page) == ["Inbox: Giulia Bianchi"]
    page.set_viewport_size({"width": 1366, "height": 900})
    assert _reachable_h1s(page) == ["Inbox"]
    assert errors == []


def _reachable_h1s(page) -> list[str]:
    """The h1 elements that take up layout (a visually hidden one does; display: none does not)."""
    return page.evaluate(
        "[...document.querySelectorAll('h1')]"
        ".filter(h => h.getClientRects().length > 0).map(h => h.textContent.trim())"
    )
