"""The inbox list in pages of `INBOX_PAGE_SIZE`, newest first: "Older conversations" reaches
every thread once (ties in time included), the list keeps its filters and page when a thread
is opened, and a cursor that is not one of ours shows the newest page."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from tenants.scoping import scopes_disabled
from webhooks.models import Conversation
from webhooks.selectors import INBOX_PAGE_SIZE
from webhooks.tests.helpers import account

pytestmark = pytest.mark.django_db

TOTAL = 2 * INBOX_PAGE_SIZE + 20


@pytest.fixture
def threads(tenant) -> list[str]:
    """TOTAL open threads, newest first (ids as text); five share one time across the first
    page's end, and every tenth is done."""
    page = account(tenant)
    now = timezone.now()
    rows = []
    for n in range(TOTAL):
        tied = INBOX_PAGE_SIZE - 2 <= n <= INBOX_PAGE_SIZE + 2
        minutes = INBOX_PAGE_SIZE - 2 if tied else n
        rows.append(
            Conversation(
                tenant=tenant, account=page, kind="messages", network="facebook",
                customer_id=f"psid-{n}", customer_name=f"Customer {n}",
                last_message_at=now - timedelta(minutes=minutes), last_message_text=f"Hi {n}",
            )
        )  # fmt: skip
    with scopes_disabled():
        Conversation.objects.bulk_create(rows)
    ordered = sorted(rows, key=lambda c: (c.last_message_at, c.pk), reverse=True)
    return [str(c.pk) for c in ordered]


def _listed(html: str) -> list[str]:
    start = html.index('<ul class="inbox-list">')
    side = html[start : html.index("</ul>", start)]
    return re.findall(r'href="/t/[^/]+/inbox/([0-9a-f-]{36})/', side)


def _link(html: str, text: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)">{text}</a>', html)
    return unescape(found.group(1)) if found else None


def test_older_conversations_reach_every_thread_once_in_order(owner_client, tenant, threads):
    url = reverse("webhooks:inbox", args=[tenant.slug])
    seen: list[str] = []
    pages = 0
    while url:
        html = owner_client.get(url).content.decode()
        listed = _listed(html)
        assert 0 < len(listed) <= INBOX_PAGE_SIZE
        seen += listed
        pages += 1
        assert (_link(html, "Back to the newest") is None) == (pages == 1)
        url = _link(html, "Older conversations")
    assert pages == 3
    assert seen == threads  # none twice, none missing, the ties at the first page's end too


def test_a_thread_opened_from_an_older_page_keeps_that_page_and_the_filters(
    owner_client, tenant, threads
):
    first = owner_client.get(reverse("webhooks:inbox", args=[tenant.slug]) + "?network=facebook")
    older = _link(first.content.decode(), "Older conversations")
    assert older is not None and "network=facebook" in older and "before=" in older
    html = owner_client.get(older).content.decode()
    second_page = _listed(html)
    assert second_page == threads[INBOX_PAGE_SIZE : 2 * INBOX_PAGE_SIZE]
    # Each row's link keeps the list's query, so the thread page lists the same page.
    opened = re.search(
        r'href="(/t/[^"]+/inbox/[0-9a-f-]{36}/[^"]*)"', html[html.index('id="inbox-list"') :]
    )
    assert opened is not None
    thread_page = owner_client.get(unescape(opened.group(1))).content.decode()
    assert _listed(thread_page) == second_page
    assert 'aria-current="page"' in thread_page
    # "← All conversations" (a phone's way back) returns to that page with its filters.
    back = re.search(r'class="thread-back" href="([^"]+)"', thread_page)
    assert back is not None
    back_page = owner_client.get(unescape(back.group(1))).content.decode()
    assert _listed(back_page) == second_page
    assert "network=facebook" in unescape(back.group(1))
    # The older link beside a thread stays on that thread.
    thread_older = _link(thread_page, "Older conversations")
    assert thread_older is not None and thread_older.startswith(
        unescape(opened.group(1)).split("?")[0]
    )


def test_the_list_poll_of_an_older_page_answers_that_page_with_page_links(
    owner_client, tenant, threads
):
    inbox = reverse("webhooks:inbox", args=[tenant.slug])
    older = _link(owner_client.get(inbox).content.decode(), "Older conversations")
    assert older is not None
    query = older.split("?", 1)[1]
    poll = owner_client.get(reverse("webhooks:inbox_items", args=[tenant.slug]) + "?" + query)
    html = poll.content.decode()
    assert _listed(html) == threads[INBOX_PAGE_SIZE : 2 * INBOX_PAGE_SIZE]
    # The fragment's links lead to the inbox page, never to the fragment's own address.
    for text in ("Older conversations", "Back to the newest"):
        link = _link(html, text)
        assert link is not None and link.startswith(inbox + "?"), link


@pytest.mark.parametrize(
    "before",
    [
        "garbage",
        "2026-12-01T10:00:00~not-a-uuid",
        "2026-12-01T10:00:00~2b1f0c9e-7d5a-4c1e-9a77-0f3f4c2d1a00",  # no time zone
        "~",
        "9999-99-99T99:99:99+00:00~2b1f0c9e-7d5a-4c1e-9a77-0f3f4c2d1a00",
        "\x00",
        "0001-01-01T00:00:00+14:00~2b1f0c9e-7d5a-4c1e-9a77-0f3f4c2d1a00",  # before year 1 in UTC
        "9999-12-31T23:59:59-14:00~2b1f0c9e-7d5a-4c1e-9a77-0f3f4c2d1a00",  # after 9999 in UTC
    ],
)
def test_a_cursor_that_is_not_ours_shows_the_newest_page(owner_client, tenant, threads, before):
    url = reverse("webhooks:inbox", args=[tenant.slug])
    response = owner_client.get(url, {"before": before})
    if before == "\x00":
        assert response.status_code == 400  # refused before any lookup (lib/middleware.py)
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert _listed(html) == threads[:INBOX_PAGE_SIZE]
    assert _link(html, "Back to the newest") is None


def test_a_short_inbox_has_no_page_links(owner_client, tenant):
    page = account(tenant)
    with scopes_disabled():
        Conversation.objects.create(
            tenant=tenant, account=page, kind="messages", network="facebook",
            customer_id="psid-1", customer_name="Ana", last_message_at=timezone.now(),
            last_message_text="Hi",
        )  # fmt: skip
    html = owner_client.get(reverse("webhooks:inbox", args=[tenant.slug])).content.decode()
    assert len(_listed(html)) == 1
    assert "Older conversations" not in html and "Back to the newest" not in html


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_older_conversations_by_keyboard_on_a_phone_and_a_desktop(
    live_server, page, tenant, owner, threads, size
):
    from assets.tests.browser import DESKTOP, PHONE, log_in, tab_to

    page.set_viewport_size(PHONE if size == "phone" else DESKTOP)
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}{reverse('webhooks:inbox', args=[tenant.slug])}")
    assert page.locator(".inbox-item").count() == INBOX_PAGE_SIZE
    tab_to(page, ".inbox-page-link a", limit=4 * INBOX_PAGE_SIZE)
    page.keyboard.press("Enter")
    page.wait_for_url("**before=**")
    assert page.locator(".inbox-item").count() == INBOX_PAGE_SIZE
    assert page.locator(".inbox-page-link a", has_text="Back to the newest").is_visible()
    page.screenshot(path=f"/tmp/inbox-older-{size}.png", full_page=False)
    page.locator(".inbox-item a").first.click()
    page.wait_for_url("**/inbox/*/?before=**")
    current = page.locator('.inbox-item a[aria-current="page"]')
    assert current.count() == 1
    assert page.locator(".inbox-item").count() == INBOX_PAGE_SIZE


@pytest.mark.parametrize("current", ["not-a-thread", "../../admin", "1" * 40])
def test_the_list_poll_with_a_current_thread_that_is_not_one_answers_the_list(
    owner_client, tenant, threads, current
):
    inbox = reverse("webhooks:inbox", args=[tenant.slug])
    poll = owner_client.get(
        reverse("webhooks:inbox_items", args=[tenant.slug]), {"current": current}
    )
    assert poll.status_code == 200
    html = poll.content.decode()
    assert _listed(html) == threads[:INBOX_PAGE_SIZE]
    assert 'aria-current="page"' not in html
    older = _link(html, "Older conversations")
    assert older is not None and older.startswith(inbox + "?")
