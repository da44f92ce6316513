"""A walk through every portal page in Chromium at 1366 px and at 390 px (issues 9 and 14): no
horizontal overflow, no console error, no static file answering 404, and axe clean (the `page`
fixture checks every page shown). Screenshots land in test-results/walk/ as test artifacts.

The restaurant pages are found by enumerating the URLconf, so a page added under
/t/<tenant_slug>/ is walked without editing this file: every GET that answers a whole HTML
document is a page; anything else (POST-only actions, images, htmx fragments, redirects) is not."""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from conftest import DESKTOP, PHONE
from lib.browser_checks import ARTIFACTS, horizontal_overflow, log_in
from tenants.scoping import scopes_disabled
from tenants.testing import (
    PASSWORD,
    make_invitation,
    make_member,
    make_tenant,
    make_user,
    signup_link,
)
from tenants.tests import urlmatrix

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "walk"
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


def _restaurant():
    """A restaurant that looks used: a full profile, three members, a pending invitation,
    a Page with its Instagram account plus one that needs reconnecting and one disconnected,
    checks, and photos in a folder."""
    from assets.models import Folder
    from assets.tests.factories import make_asset
    from social.models import TokenCheck
    from social.testing import make_account
    from tenants.management.commands.seed_demo import DEMO_PROFILE

    tenant = make_tenant(**{**DEMO_PROFILE, "slug": "walk", "name": "Trattoria da Walter"})
    owner = make_user("walter.rossi@trattoria-da-walter.example")
    make_member(tenant, user=owner)
    make_member(tenant, user=make_user("giulia.bianchi@trattoria-da-walter.example"), role="staff")
    make_member(tenant, user=make_user("marco@trattoria-da-walter.example"), role="owner")
    make_member(make_tenant("Pizzeria Walter", slug="walter-pizza"), user=owner)
    make_invitation(tenant, email="new.waiter@example.com")
    now = timezone.now()
    scopes = [*settings.FACEBOOK_SCOPES[:-1], "public_profile"]
    page = make_account(
        tenant,
        "Trattoria da Walter",
        granted_scopes=scopes,
        last_checked_at=now,
        webhooks_subscribed=True,
    )
    make_account(
        tenant,
        "Trattoria da Walter",
        kind="instagram",
        username="trattoriadawalter",
        linked_page=page,
        granted_scopes=scopes,
    )
    reason = "The person who connected this page is no longer an admin of it."
    broken = make_account(
        tenant,
        "Walter's Wine Bar on the Piazza Maggiore",
        status="needs_reconnect",
        last_error=reason,
    )
    make_account(
        tenant,
        "Walter Catering",
        status="revoked",
        disconnected_at=now - timedelta(days=3),
        last_error="Disconnected by walter.rossi@trattoria-da-walter.example.",
    )
    with scopes_disabled():
        for account, result, detail in [
            (page, "ok", "The connection works."),
            (broken, "broken", reason),
        ]:
            TokenCheck.objects.create(
                tenant=tenant,
                account=account,
                result=result,
                status_before="active",
                status_after=account.status,
                detail=detail,
                trigger="scheduled",
            )
        folder = Folder.objects.create(tenant=tenant, name="Summer menu")
    for n, title in enumerate(["Tagliatelle al ragù", "The dining room", "Tiramisù"]):
        make_asset(tenant, title=title, folder=folder if n else None, width=1200, height=900)
    return tenant, owner


def _data_deletion() -> str:
    from social.models import DataDeletionRequest

    code = "walk-deletion-code"
    DataDeletionRequest.objects.create(confirmation_code=code, facebook_user_hash="0" * 64)
    return code


def _picker(page, tenant, owner) -> str:
    """The page picker of a pending connection bound to the browser's session, with one page
    that another restaurant already holds."""
    from social.models import PendingConnection
    from social.services.oauth import _session_binding
    from social.testing import make_account

    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie["value"])
    binding = _session_binding(session)
    session.save()
    make_account(make_tenant("Bar Elsewhere", slug="elsewhere"), "Bar Elsewhere", external_id="77")
    pages = [
        {
            "id": "1001",
            "name": "Trattoria da Walter",
            "category": "Italian restaurant",
            "instagram": {"id": "2001", "username": "trattoriadawalter"},
        },
        {"id": "77", "name": "Bar Elsewhere", "category": "Bar", "instagram": None},
        {
            "id": "78",
            "name": "Walter's Catering for Weddings and Long Family Lunches",
            "category": "Caterer",
            "instagram": None,
        },
    ]
    with scopes_disabled():
        pending = PendingConnection.objects.create(
            tenant=tenant,
            user=owner,
            session_binding=binding,
            facebook_user_id="1",
            facebook_user_name="Walter Rossi",
            user_token="walk-user-token",
            pages=pages,
        )
    return reverse("social:pick", args=[tenant.slug, pending.pk])


def _pages(client: Client, tenant) -> dict[str, str]:
    """name -> path of every restaurant page: GETs under /t/<slug>/ answering a whole document."""
    declarations = urlmatrix.collect_declarations()
    found: dict[str, str] = {}
    made: dict[str, object] = {}  # one object per kwarg, shared by its pages
    for entry in urlmatrix.enumerate_urls():
        if urlmatrix.classify(entry, declarations.public_urls) != "tenant":
            continue
        with scopes_disabled():
            for name in entry.object_kwargs:
                if name not in made:
                    made[name] = declarations.kwarg_factories[name](tenant)
        kwargs = {name: made[name] for name in entry.object_kwargs}
        path = entry.build(tenant_slug=tenant.slug, **kwargs)
        response = client.get(path)
        if (
            response.status_code == 200
            and not response.streaming
            and response.content.lstrip()[:15].lower().startswith(b"<!doctype html")
        ):
            found[entry.name or path] = path
    return found


def _visit(page, page_watch, url: str, shot: str, *, expect_status: int = 200) -> None:
    page_watch.console_errors.clear()
    response = page.goto(url)
    assert response.status == expect_status, url
    page.wait_for_load_state("networkidle")
    header = page.locator(".topbar").bounding_box()
    assert header is None or header["height"] < 72, f"{url}: the header wraps ({header})"
    overflow = horizontal_overflow(page)
    assert overflow == [], f"{url} at {page.viewport_size['width']}px: {overflow}"
    errors = [
        e
        for e in page_watch.console_errors
        # The browser logs the error page's own status; that is the page under test here.
        if not (expect_status != 200 and f"status of {expect_status}" in e)
    ]
    assert errors == [], f"{url}: {errors}"
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_portal_page_fits_loads_cleanly_and_passes_axe(
    live_server, page, page_watch, width, mailoutbox
):
    page.set_viewport_size(WIDTHS[width])
    tenant, owner = _restaurant()
    _invitation, token = make_invitation(tenant, email="someone.new@example.com")
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    reset = default_token_generator.make_token(owner)
    url = live_server.url

    # Logged out.
    public = {
        "login": "/login/",
        "signup": "/signup/",
        "password-reset": "/password-reset/",
        "password-reset-sent": "/password-reset/sent/",
        "password-reset-confirm": f"/password-reset/{uid}/{reset}/",
        "password-reset-complete": "/password-reset/done/",
        "invitation": f"/invitations/{token}/",
    }
    for name, path in public.items():
        _visit(page, page_watch, url + path, f"{name}-{width}")
    _visit(
        page,
        page_watch,
        url + "/invitations/not-a-real-token/",
        f"invitation-invalid-{width}",
        expect_status=404,
    )
    # A visitor's sign-up: "check your email", the emailed link's page, a link that is wrong.
    _visit(page, page_watch, url + "/signup/sent/", f"signup-sent-empty-{width}")  # → the form
    page.fill("[name=name]", "Walk Sign-up")
    page.fill("[name=slug]", f"walk-signup-{width}")
    page.fill("[name=email]", f"new-{width}@walk.example")
    page.fill("[name=password1]", PASSWORD)
    page.fill("[name=password2]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(url + "/signup/sent/")
    _visit(page, page_watch, url + "/signup/sent/", f"signup-sent-{width}")
    _visit(page, page_watch, url + signup_link(mailoutbox[-1]), f"signup-confirm-{width}")
    _visit(
        page,
        page_watch,
        url + f"/signup/confirm/{uid}/not-a-token/",
        f"signup-link-invalid-{width}",
        expect_status=404,
    )
    _visit(page, page_watch, url + "/no/such/page/", f"404-{width}", expect_status=404)
    _visit(page, page_watch, url + "/login/?next=%00", f"400-{width}", expect_status=400)
    deletion = _data_deletion()
    _visit(page, page_watch, url + f"/facebook/data-deletion/{deletion}/", f"deletion-{width}")

    # Logged in without a restaurant.
    log_in(page, live_server, make_user("someone@elsewhere.example"))
    _visit(page, page_watch, url + "/", f"no-restaurant-{width}")

    # Logged in as the owner.
    log_in(page, live_server, owner)
    _visit(
        page,
        page_watch,
        url + "/social/facebook/callback/",
        f"connect-error-{width}",
        expect_status=400,
    )
    _visit(page, page_watch, url + _picker(page, tenant, owner), f"page-picker-{width}")
    client = Client()
    client.force_login(owner)
    pages = _pages(client, tenant)
    expected = {
        "tenants:dashboard",
        "tenants:profile",
        "tenants:members",
        "social:accounts",
        "assets:library",
        "assets:asset_detail",
    }
    assert expected <= set(pages), sorted(pages)
    for name, path in pages.items():
        slug = re.sub(r"\W+", "-", name)
        _visit(page, page_watch, url + path, f"{slug}-{width}")
    _visit(
        page,
        page_watch,
        url + "/t/walk/library/a/999999/",
        f"404-in-app-{width}",
        expect_status=404,
    )
    _visit(page, page_watch, url + "/signup/", f"add-restaurant-{width}")
    if width == "phone":
        page.goto(url + "/t/walk/")
        page.click(".menu-toggle")
        assert page.is_visible(".mainnav")
        page.screenshot(path=str(SHOTS / "menu-open-phone.png"))
    assert page_watch.static_404 == []
