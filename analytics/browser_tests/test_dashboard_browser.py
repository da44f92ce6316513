"""End to end with the Graph sandbox, in Chromium: three posts published through the engine,
the sandbox clock moved on, collection run, and the dashboard shows their figures, the best-time
heatmap and charts that really drew (non-empty canvases), at 1366 px and 390 px. Every page is
checked by axe (the `page` fixture). Screenshots go to test-results/analytics/."""

from __future__ import annotations

import pytest

from analytics import collection
from analytics.models import MetricSnapshot
from analytics.tests.conftest import IG_ID, MARIA, PAGE_ID, Clock, publish
from assets.tests.factories import make_asset
from conftest import PHONE
from lib.browser_checks import ARTIFACTS, log_in
from posting.tests import test_end_to_end
from posting.tests.factories import make_instagram, make_page
from sandbox.testing import INSIGHT_SCOPES
from social.models import SocialAccount
from tenants.scoping import scopes_disabled, tenant_scope
from tenants.testing import make_member, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = ARTIFACTS / "analytics"
sb = test_end_to_end.sb

CANVAS_DREW = """id => {
  const c = document.getElementById(id);
  if (!c || !c.width || !c.height) return 0;
  const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
  return painted;
}"""


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_publish_collect_and_see_the_dashboard(page, live_server, sb, settings):
    settings.ANALYTICS_BEST_TIME_MIN_POSTS = 3  # three posts make this test's heatmap
    tenant = make_tenant("Brooklyn Trattoria", slug="brooklyn", timezone="America/New_York")
    user = make_member(tenant)
    token = sb.mint_token(MARIA, INSIGHT_SCOPES, page_id=PAGE_ID)["token"]
    fb = make_page(tenant, external_id=PAGE_ID, name="Trattoria da Maria", token=token)
    make_instagram(tenant, page=fb, external_id=IG_ID, name="trattoriadamaria")
    photo = make_asset(tenant, title="Truffle risotto", width=800, height=800)
    pubs = publish(
        tenant, [fb], ["Truffle risotto tonight", "Terrace is open", "New wines"], asset=photo
    )
    clock = Clock(sb)
    clock.advance(hours=2)
    due = collection.collections_due(now=clock.now)
    assert (tenant.pk, fb.pk) in due
    with tenant_scope(tenant):
        account = SocialAccount.objects.select_related("tenant").get(pk=fb.pk)
        result = collection.account_collect(account=account, now=clock.now)
    assert result.snapshots == 3 and result.calls == 2 and result.daily
    with scopes_disabled():
        views = {s.publication_id: s.views for s in MetricSnapshot.objects.all()}
        reaches = [s.reach or 0 for s in MetricSnapshot.objects.all()]
    assert set(views) == {p.pk for p in pubs} and all(views.values())

    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/analytics/")
    page.wait_for_function(f"() => ({CANVAS_DREW})('chart-activity') > 0")
    for chart in ("chart-activity", "chart-followers", "chart-types"):
        assert page.evaluate(CANVAS_DREW, chart) > 100, f"{chart} drew nothing"
    body = page.inner_text("main")
    assert "Truffle risotto tonight" in body
    top = page.inner_text("section[aria-labelledby=top-title]")
    assert all(f"{reach:,}" in top for reach in reaches)  # each post's reach in top posts
    assert "Your posts earned the highest engagement rate on" in body
    assert page.locator(".an-heat td[class*='an-heat-']:not(.an-heat-none)").count() >= 1
    assert page.locator(f"a[href$='/posts/new/?asset={photo.pk}']").count() == 1
    _shot(page, "dashboard-desktop")

    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_function(f"() => ({CANVAS_DREW})('chart-activity') > 0")
    width = page.evaluate("document.getElementById('chart-activity').getBoundingClientRect().width")
    assert 200 < width <= PHONE["width"]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth + 0.5).slice(-4).map(e => e.tagName + '.' + e.className + ' '"
        " + Math.round(e.getBoundingClientRect().right) + ' ' + e.textContent.slice(0, 40))"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the phone: {wide}"
    _shot(page, "dashboard-phone")
