"""The admin lists' restaurant filter in a browser: a labelled text box (the page passes the
accessibility check every browser test runs), typed into and submitted with Enter, keeping the
list's other filters."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from lib.browser_checks import log_in
from posting.models import Post
from tenants.scoping import scopes_disabled

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_filters_a_list_by_typing_a_restaurants_web_address(
    page, live_server, tenant, other_tenant
):
    operator = get_user_model().objects.create_superuser(
        username="operator@example.com", email="operator@example.com", password=None
    )
    with scopes_disabled():
        for t in (tenant, other_tenant):
            Post.objects.create(tenant=t, text=f"Post of {t.name}")
    log_in(page, live_server, operator)
    page.goto(f"{live_server.url}/admin/posting/post/?q=Post")
    box = page.get_by_label("Restaurant")
    assert box.get_attribute("type") == "search"
    box.fill("bruno")
    box.press("Enter")
    page.wait_for_url("**restaurant=bruno**")
    assert "q=Post" in page.url  # the search stays
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "Post of Bistro Bruno" in rows.first.inner_text()
    assert page.get_by_label("Restaurant").input_value() == "bruno"
    page.screenshot(path="test-results/admin-restaurant-filter.png")
