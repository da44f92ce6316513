"""Issue 11's walk, as a new user would do it, in Chromium: a restaurant in America/New_York
opens the composer, gets drafts from the (offline) writer, picks one, attaches a suggested photo,
checks the Instagram preview shows the 4:5 rendition, schedules for tomorrow 19:00, finds it on the
calendar at 19:00, drags it to the day after, then publishes a second post now and sees it
published with its permalink in the history. Every page is checked by axe (the `page` fixture).
Screenshots go to test-results/composer/.

It lives outside posting/tests because that folder's `page` fixture is a Facebook Page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assets import services as asset_services
from assets.models import Folder
from assets.tests.factories import make_asset
from conftest import PHONE
from lib.browser_checks import ARTIFACTS, log_in
from posting import dispatch
from posting.models import Post, Publication
from posting.testing import connect_maria, point_at_sandbox, tasks_in_process
from tenants.scoping import scopes_disabled, tenant_scope
from tenants.testing import make_member, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = ARTIFACTS / "composer"


@pytest.fixture
def eager():
    with tasks_in_process():
        yield


@pytest.fixture
def restaurant(graph_sandbox_factory, live_server, settings, eager):
    sb = graph_sandbox_factory()
    point_at_sandbox(settings, sb, live_server)
    settings.OPENAI_API_KEY = ""  # the offline writer
    tenant = make_tenant(
        "Brooklyn Trattoria",
        slug="brooklyn",
        timezone="America/New_York",
        city="Brooklyn",
        menu_highlights="Cacio e pepe",
        signature_hashtags="#brooklyntrattoria",
    )
    user = make_member(tenant)
    connect_maria(sb, tenant)
    with tenant_scope(tenant):
        asset_services.folders_create_defaults(tenant=tenant)
        dishes = Folder.objects.get(tenant=tenant, name="Dishes", parent=None)
    photo = make_asset(tenant, title="Truffle risotto", folder=dishes, width=800, height=1200)
    with tenant_scope(tenant):
        asset_services.assets_tag(tenant=tenant, assets=[photo], tag_names=["risotto"])
    return sb, tenant, user, photo


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_compose_schedule_move_and_publish(page, live_server, restaurant):
    _sb, tenant, user, photo = restaurant
    log_in(page, live_server, user)
    base = f"{live_server.url}/t/{tenant.slug}"
    page.goto(f"{base}/posts/new/")

    page.select_option("#id_post_type", "daily_special")
    page.fill("#writer-notes", "tonight: truffle risotto, $18")
    page.click("text=Write drafts")
    page.wait_for_selector("[data-use-draft]")
    assert page.locator("[data-use-draft]").count() == 3
    page.click("text=Use draft 1")
    assert "Tonight: truffle risotto, $18" in page.input_value("#id_text")

    page.wait_for_function(
        "() => document.querySelector('#suggestions').innerText.includes('tagged risotto')"
    )
    assert "Dishes · tagged risotto" in page.inner_text("#suggestions")
    page.click(f'[data-attach="{photo.pk}"]')
    page.wait_for_selector(f'#media-list li[data-asset-id="{photo.pk}"]')
    image = page.wait_for_selector(".pv-instagram .pv-ig-image")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image, timeout=15_000)
    assert f"/a/{photo.pk}/file/instagram/" in image.get_attribute("src")
    width, height = page.evaluate("img => [img.naturalWidth, img.naturalHeight]", image)
    assert abs(width / height - 0.8) < 0.01  # the 4:5 Instagram crop of a 2:3 photo

    tomorrow = (timezone.now().astimezone(tenant.tzinfo) + timedelta(days=1)).date()
    page.fill("#id_date", tomorrow.isoformat())
    page.fill("#id_time", "19:00")
    _shot(page, "composer-desktop")
    page.set_viewport_size(PHONE)
    _shot(page, "composer-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("button[value=schedule]")
    page.wait_for_selector("text=Your post is scheduled.")

    with scopes_disabled():
        post = Post.objects.get(tenant=tenant)
    assert post.scheduled_local == f"{tomorrow.isoformat()} 19:00"
    assert post.scheduled_zone == "America/New_York"

    page.goto(f"{base}/calendar/?month={tomorrow:%Y-%m}")
    chip = page.locator(f'[data-date="{tomorrow.isoformat()}"] [data-post-id="{post.pk}"]')
    assert "19:00" in chip.inner_text()
    _shot(page, "calendar-desktop")
    after = tomorrow + timedelta(days=1)
    if after.month != tomorrow.month:  # the day after is in next month's grid's leading days
        page.goto(f"{base}/calendar/?view=week&week={tomorrow.isoformat()}")
    page.drag_and_drop(f'[data-post-id="{post.pk}"]', f'.cal-day[data-date="{after.isoformat()}"]')
    page.wait_for_selector(f'.cal-day[data-date="{after.isoformat()}"] [data-post-id="{post.pk}"]')
    assert "Moved to" in page.inner_text(".messages")
    with scopes_disabled():
        post.refresh_from_db()
    assert post.scheduled_local == f"{after.isoformat()} 19:00"
    page.set_viewport_size(PHONE)
    _shot(page, "calendar-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{base}/posts/new/")
    page.uncheck("input[name=accounts][data-network=instagram]")
    page.fill("#id_text", "Happy hour on the terrace until 7.")
    page.click("button[value=publish_now]")
    page.wait_for_selector("text=Your post is on its way")
    dispatch.publications_claim_due()  # what beat does every minute; tasks run eagerly here
    with scopes_disabled():
        published = Publication.objects.get(post__text__startswith="Happy hour")
    assert published.state == Publication.State.PUBLISHED and published.permalink
    page.goto(f"{base}/posts/")
    link = page.locator(f'a[href="{published.permalink}"]')
    assert link.count() == 1 and "View on Facebook" in link.inner_text()
    _shot(page, "history-desktop")
    page.set_viewport_size(PHONE)
    _shot(page, "history-phone")
