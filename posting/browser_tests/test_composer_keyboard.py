"""Composing and scheduling with the keyboard alone (issue 14): choose the kind of post, get
drafts, use one, attach a suggested photo, type the date and time, schedule. The page fixture
records every pointer press (none may happen) and checks each page with axe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assets.tests.browser import focused, tab_to
from assets.tests.factories import make_asset
from lib.browser_checks import log_in
from posting.models import Post
from posting.tests.factories import make_page
from tenants.scoping import scopes_disabled
from tenants.testing import make_member, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_compose_and_schedule_by_keyboard_only(live_server, page, page_watch, settings):
    settings.OPENAI_API_KEY = ""
    tenant = make_tenant("Trattoria Tastiera", slug="tastiera", timezone="Europe/Rome")
    user = make_member(tenant)
    make_page(tenant, name="Trattoria Tastiera")
    photo = make_asset(tenant, title="Risotto", width=800, height=800)
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/posts/new/")

    tab_to(page, "#id_post_type")
    page.keyboard.press("ArrowDown")  # the first kind: Daily special
    assert page.input_value("#id_post_type") == "daily_special"
    tab_to(page, "#writer-notes")
    page.keyboard.type("risotto tonight")
    tab_to(page, "#write-drafts")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-use-draft]")
    tab_to(page, "[data-use-draft]")
    page.keyboard.press("Enter")
    assert focused(page, "#id_text")
    assert "Risotto tonight." in page.input_value("#id_text")

    page.wait_for_selector(f'[data-attach="{photo.pk}"]')
    tab_to(page, f'[data-attach="{photo.pk}"]')
    page.keyboard.press("Enter")
    page.wait_for_selector(f'#media-list li[data-asset-id="{photo.pk}"]')
    assert "attached" in page.inner_text("#media-status")

    day = (timezone.now().astimezone(tenant.tzinfo) + timedelta(days=2)).date()
    tab_to(page, "#id_date")
    page.keyboard.type(f"{day:%m%d%Y}")
    tab_to(page, "#id_time")
    page.keyboard.type("0730PM")
    tab_to(page, "button[value=schedule]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Your post is scheduled.")

    assert page_watch.pointer_presses == []
    with scopes_disabled():
        post = Post.objects.get(tenant=tenant)
    assert post.scheduled_local == f"{day.isoformat()} 19:30"
    assert post.text.startswith("🍽️ Risotto tonight.")
