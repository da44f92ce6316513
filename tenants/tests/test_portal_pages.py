"""Pages around the portal (issue 9 item 13): error pages in the product's style, the favicon,
the login's words, a reused invitation link."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import path, reverse

from tenants.testing import make_invitation, make_member, make_tenant, make_user


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.django_db
def test_a_missing_page_is_a_product_page_with_a_way_back(owner_client, tenant):
    response = owner_client.get(f"/t/{tenant.slug}/library/a/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html
    assert 'class="topbar"' in html and "css/app.css" in html  # the product's layout
    assert (
        f'href="{reverse("tenants:dashboard", args=[tenant.slug])}">Back to {tenant.name}' in html
    )


@pytest.mark.django_db
def test_a_forbidden_action_says_who_can_do_it(staff_client, tenant):
    response = staff_client.post(reverse("social:connect", args=[tenant.slug]))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only an owner of Trattoria Alba can do this." in html
    assert 'class="topbar"' in html


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_is_a_product_page_that_needs_nothing_from_the_request():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "css/app.css" in html
    assert "<script" not in html  # no nonce exists for it: a script would be blocked


@pytest.mark.django_db
def test_every_page_names_the_favicon_and_favicon_ico_leads_to_it(client):
    html = client.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"


@pytest.mark.django_db
def test_the_admin_shows_the_favicon_too(admin_client):
    assert 'rel="icon" href="/static/favicon.svg"' in admin_client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_a_wrong_password_is_explained_with_email_not_username(client, owner):
    response = client.post(reverse("login"), {"username": owner.email, "password": "wrong-one"})
    html = response.content.decode()
    assert "This email and password do not match a Tablecast login." in html
    assert "username" not in re.sub(r"<[^>]+>", " ", html).lower()  # what the page shows
    assert '<label for="id_username">Email</label>' in html
    assert re.search(r'<input type="email" name="username"[^>]*>', html)  # one type, email


@pytest.mark.django_db
def test_a_reused_invitation_link_offers_the_logged_in_member_their_restaurant(client):
    tenant = make_tenant("Osteria Nuova", slug="nuova")
    make_member(tenant)  # its owner
    _invitation, token = make_invitation(tenant, email="luca@example.com")
    luca = make_user("luca@example.com")
    client.force_login(luca)
    link = reverse("invitation_accept", args=[token])
    client.post(client.get(link, follow=True).redirect_chain[-1][0])  # accept
    response = client.get(link, follow=True)
    html = response.content.decode()
    assert response.status_code == 404
    assert "If you accepted it already, you are in" in html
    assert f'href="{reverse("tenants:dashboard", args=["nuova"])}">Open Osteria Nuova</a>' in html
    assert f'href="{reverse("login")}">Log in' not in html.split("<main", 1)[1]


@pytest.mark.django_db
def test_a_reused_invitation_link_asks_a_visitor_to_log_in(client):
    tenant = make_tenant("Osteria Vecchia", slug="vecchia")
    invitation, token = make_invitation(tenant)
    invitation.delete()
    html = client.get(reverse("invitation_accept", args=[token]), follow=True).content.decode()
    assert "If you accepted it already, log in." in html
    assert 'href="/login/">Log in</a>' in html


@pytest.mark.django_db
def test_the_dashboard_reflects_the_restaurant(owner_client, tenant, owner):
    """Issue 9 item 8: with three accounts connected it does not ask to connect one; it counts
    photos, members and what still needs doing."""
    from assets.tests.factories import make_asset
    from social.testing import make_account

    url = reverse("tenants:dashboard", args=[tenant.slug])
    html = owner_client.get(url).content.decode()
    assert "No account is connected yet." in html
    assert (
        '<a class="btn btn-small btn-primary" href="/t/alba/accounts/">Connect accounts</a>' in html
    )

    page = make_account(tenant, "Trattoria Alba")
    make_account(tenant, "Alba Bar")
    make_account(tenant, "trattoriaalba", kind="instagram", linked_page=page, username="alba")
    make_account(tenant, "Alba Catering", status="needs_reconnect")
    for title in ("Carbonara", "Tiramisù"):
        make_asset(tenant, title=title)
    make_member(tenant, role="staff")
    html = owner_client.get(url).content.decode()
    assert (
        '<span class="stat-figure">4</span>\n      <span class="stat-label">connected accounts</span>'
        in html
    )
    assert "1 needs attention" in html
    assert (
        '<span class="stat-figure">2</span>\n      <span class="stat-label">photos in the library</span>'
        in html
    )
    assert '<span class="stat-label">members</span>' in html
    assert "Connect accounts</a>" not in html and "No account is connected yet." not in html
    assert "Needs reconnecting" in html and "@alba" in html


@pytest.mark.django_db
def test_the_main_navigation_links_to_this_restaurant_and_marks_the_current_page(
    client, tenant, other_tenant
):
    # The navigation is rendered once per restaurant and page kind (tenants/templatetags).
    user = make_user("both@example.com")
    make_member(tenant, user=user)
    make_member(other_tenant, user=user)
    client.force_login(user)
    pages = [
        ("tenants:dashboard", "Dashboard"),
        ("tenants:members", "Members"),
        ("assets:library", "Library"),
        ("tenants:profile", "Profile"),
    ]
    for restaurant in [tenant, other_tenant, tenant]:
        for name, label in pages:
            html = client.get(reverse(name, args=[restaurant.slug])).content.decode()
            nav = html[html.index('<nav class="mainnav"') : html.index("</nav>")]
            hrefs = re.findall(r'href="([^"]+)"', nav)
            assert len(hrefs) == 9 and all(h.startswith(f"/t/{restaurant.slug}/") for h in hrefs)
            assert re.findall(r'aria-current="page">([^<]+)</a>', nav) == [label], (name, nav)
