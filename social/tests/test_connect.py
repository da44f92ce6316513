"""The connect flow against the Graph sandbox over HTTP (issue 4 Deliver 3, Bad input)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from social.models import OAuthState, PendingConnection, SocialAccount, TokenCheck
from social.tests.conftest import SITE
from tenants.scoping import scopes_disabled

MARIA_PAGES = ["Trattoria da Maria", "Pizzeria Bella Napoli", "Osteria del Porto"]


def accounts_of(tenant):
    with scopes_disabled():
        return list(SocialAccount.objects.filter(tenant=tenant).order_by("kind", "name"))


def nothing_stored(tenant):
    with scopes_disabled():
        return (
            not SocialAccount.objects.filter(tenant=tenant).count()
            and not PendingConnection.objects.filter(tenant=tenant).count()
        )


def test_an_owner_connects_two_of_three_pages_and_the_linked_instagram_account(flow, sb, tenant):
    response = flow.connect(pages=MARIA_PAGES, pick=["Trattoria da Maria", "Pizzeria Bella Napoli"])
    assert response.status_code == 302 and response["Location"] == reverse(
        "social:accounts", args=[tenant.slug]
    )
    rows = accounts_of(tenant)
    assert [(a.kind, a.name, a.status) for a in rows] == [
        ("facebook_page", "Pizzeria Bella Napoli", "active"),
        ("facebook_page", "Trattoria da Maria", "active"),
        ("instagram", "Trattoria da Maria", "active"),
    ]
    trattoria = rows[1]
    ig = rows[2]
    assert ig.username == "trattoriadamaria" and ig.linked_page_id == trattoria.pk
    assert ig.graph_token == trattoria.page_token and trattoria.page_token
    assert trattoria.webhooks_subscribed and trattoria.facebook_user_id
    assert set(trattoria.granted_scopes) >= {"pages_show_list", "pages_manage_posts"}
    # verified as page tokens, subscribed with feed and messages
    assert len(sb.requests_log(path="/debug_token")) == 2
    subs = sb.requests_log(path="/*/subscribed_apps", method="POST")
    assert {s["params"]["subscribed_fields"] for s in subs} == {
        "feed,messages,message_echoes,messaging_postbacks"
    }
    # the user token is the long-lived one
    tokens = {t["token"]: t for t in sb.control("GET", "tokens")}
    assert tokens[trattoria.user_token]["long_lived"]
    with scopes_disabled():
        assert TokenCheck.objects.filter(account=trattoria, result="connected").count() == 1
        assert not PendingConnection.objects.count()
    page = flow.client.get(reverse("social:accounts", args=[tenant.slug]))
    assert b"Pizzeria Bella Napoli" in page.content and b"@trattoriadamaria" in page.content


def test_business_portfolio_pages_are_offered_in_the_picker(flow, tenant):
    location = flow.approve(flow.start(), pages=MARIA_PAGES)
    response = flow.callback(location)
    picker = flow.client.get(response["Location"])
    # Which pages are offered is what matters here (the order is Facebook's).
    assert {p["name"] for p in picker.context["pending"].pages} == set(MARIA_PAGES)
    assert b"Osteria del Porto" in picker.content
    assert b"No Instagram account linked to this page" in picker.content


def test_a_page_without_instagram_connects_alone(flow, tenant):
    flow.connect(pages=["Pizzeria Bella Napoli"])
    assert [(a.kind, a.name) for a in accounts_of(tenant)] == [
        ("facebook_page", "Pizzeria Bella Napoli")
    ]


def test_a_user_who_manages_no_pages_gets_a_clear_message_and_nothing_is_stored(flow, tenant):
    response = flow.connect(user="Ana Lima")
    assert response.status_code == 302
    page = flow.client.get(response["Location"])
    assert b"does not manage any Facebook Page" in page.content
    assert nothing_stored(tenant)


def test_cancelling_on_facebook_shows_a_friendly_message_and_stores_nothing(flow, sb, tenant):
    location = flow.approve(flow.start(), cancel=True)
    assert "error=access_denied" in location
    response = flow.callback(location)
    page = flow.client.get(response["Location"])
    assert b"You cancelled on Facebook" in page.content
    assert nothing_stored(tenant)
    assert not sb.requests_log(path="/oauth/access_token")


def test_a_connect_that_ends_without_a_connection_is_logged_with_its_reason(flow, tenant, caplog):
    caplog.set_level("INFO", logger="social.views")
    flow.callback(flow.approve(flow.start(), cancel=True))
    assert "facebook connect ended without a connection: cancelled" in caplog.text


def test_facebook_erroring_on_the_code_exchange_stores_nothing(flow, sb, tenant, caplog):
    sb.add_fault(
        route="/oauth/access_token",
        code=100,
        subcode=36007,
        message="This authorization code has expired.",
        count=1,
    )
    response = flow.connect(pages=MARIA_PAGES)
    page = flow.client.get(response["Location"])
    assert (
        b"Facebook refused the connection" in page.content and b"Nothing was saved" in page.content
    )
    assert nothing_stored(tenant)
    # Operators read which step Facebook refused.
    assert "connect: Graph error during callback: " in caplog.text


def test_a_page_held_by_another_tenant_is_refused_with_an_explanation(
    flow, sb, tenant, other_tenant
):
    with scopes_disabled():
        SocialAccount.objects.create(
            tenant=other_tenant,
            kind="facebook_page",
            external_id=sb.page_by_name("Pizzeria Bella Napoli")["id"],
            name="Pizzeria Bella Napoli",
        )
    response = flow.connect(pages=MARIA_PAGES, pick=["Pizzeria Bella Napoli", "Trattoria da Maria"])
    assert response.status_code == 200
    assert "already connected to another restaurant" in response.content.decode()
    assert nothing_stored(tenant) is False  # the picker is kept to choose again
    assert accounts_of(tenant) == []
    assert not sb.requests_log(path="/*/subscribed_apps")


def test_a_race_for_the_same_page_is_refused_by_the_database(
    flow, sb, tenant, other_tenant, monkeypatch
):
    from social import selectors

    # Both pre-checks (the form's and the service's) miss it, as when the other tenant
    # commits a moment later.
    monkeypatch.setattr(selectors, "pages_held_elsewhere", lambda **kw: {})
    with scopes_disabled():
        SocialAccount.objects.create(
            tenant=other_tenant,
            kind="facebook_page",
            external_id=sb.page_by_name("Pizzeria Bella Napoli")["id"],
            name="x",
        )
    response = flow.connect(pages=["Pizzeria Bella Napoli"])
    page = flow.client.get(response["Location"])
    assert "already connected to another restaurant" in page.content.decode()
    assert accounts_of(tenant) == []


def test_declined_permissions_warn_and_offer_to_grant_them(flow, tenant):
    response = flow.connect(
        pages=["Trattoria da Maria"], decline=["instagram_content_publish", "pages_messaging"]
    )
    page = flow.client.get(response["Location"])
    text = page.content.decode()
    assert "Some permissions were not granted" in text and "instagram_content_publish" in text
    assert "Grant missing permissions" in text
    account = accounts_of(tenant)[0]
    assert "pages_messaging" in account.missing_scopes
    dialog = flow.start("social:rerequest")
    assert "auth_type=rerequest" in dialog


def test_a_graph_timeout_during_connect_gives_a_retry_message_and_stores_nothing(
    flow, sb, tenant, settings
):
    settings.GRAPH_READ_TIMEOUT = 0.5
    sb.add_fault(route="/me/accounts", kind="timeout", seconds=1.5, count=1)
    response = flow.connect(pages=MARIA_PAGES)
    page = flow.client.get(response["Location"])
    assert b"took too long" in page.content and b"try connecting again" in page.content
    assert nothing_stored(tenant)


def test_a_rate_limit_while_connecting_pages_keeps_the_picker_and_stores_nothing(flow, sb, tenant):
    sb.add_fault(route="/*/subscribed_apps", code=4, count=1)
    response = flow.connect(pages=MARIA_PAGES, pick=["Trattoria da Maria"])
    assert "/pick/" in response["Location"]
    page = flow.client.get(response["Location"])
    assert b"Facebook is busy right now" in page.content
    assert accounts_of(tenant) == []
    # trying again from the kept picker works
    ids = [p["id"] for p in page.context["pending"].pages if p["name"] == "Trattoria da Maria"]
    flow.client.post(response["Location"], {"page_ids": ids})
    assert [a.kind for a in accounts_of(tenant)] == ["facebook_page", "instagram"]


def test_a_page_token_that_is_not_a_page_token_is_refused(flow, sb, tenant, monkeypatch):
    from social.graph import connect

    real = connect.debug_token

    def as_user_token(client, *, input_token):
        info = real(client, input_token=input_token)
        return connect.TokenInfo(**{**info.__dict__, "type": "USER"})

    monkeypatch.setattr(connect, "debug_token", as_user_token)
    response = flow.connect(pages=["Pizzeria Bella Napoli"])
    page = flow.client.get(response["Location"])
    assert b"did not give us a working page token" in page.content
    assert accounts_of(tenant) == []


def test_staff_cannot_start_a_connection(staff_client, tenant, sb):
    response = staff_client.post(reverse("social:connect", args=[tenant.slug]))
    assert response.status_code == 403


def test_an_outsider_gets_404_on_every_account_url(outsider_client, tenant):
    with scopes_disabled():
        account = SocialAccount.objects.create(
            tenant=tenant, kind="facebook_page", external_id="1", name="P"
        )
    for name in ("check", "reconnect", "disconnect"):
        assert (
            outsider_client.post(
                reverse(f"social:{name}", args=[tenant.slug, account.pk])
            ).status_code
            == 404
        )


def test_another_tenants_account_id_is_404_for_an_owner(owner_client, tenant, other_tenant):
    with scopes_disabled():
        theirs = SocialAccount.objects.create(
            tenant=other_tenant, kind="facebook_page", external_id="2", name="Theirs"
        )
    for name in ("check", "reconnect", "disconnect"):
        assert (
            owner_client.post(reverse(f"social:{name}", args=[tenant.slug, theirs.pk])).status_code
            == 404
        )


def test_the_callback_needs_a_logged_in_user(client, sb):
    response = client.get("/social/facebook/callback/?code=x&state=" + "a" * 43)
    assert response.status_code == 400 and b"logged out" in response.content
    assert not sb.requests_log(path="/oauth/access_token")


def test_oauth_states_are_single_use_and_bound_to_the_tenant(flow, tenant):
    flow.connect(pages=["Pizzeria Bella Napoli"])
    with scopes_disabled():
        state = OAuthState.objects.get()
    assert state.used_at is not None and state.tenant_id == tenant.pk
    assert len(state.state_hash) == 64


def test_the_redirect_uri_is_the_site_constant(flow):
    dialog = flow.start()
    assert (
        f"redirect_uri={SITE.replace(':', '%3A').replace('/', '%2F')}%2Fsocial%2Ffacebook%2Fcallback%2F"
        in dialog
    )


@pytest.mark.parametrize("user", ["Tom Baker"])
def test_pages_with_limited_tasks_still_connect(flow, tenant, user):
    flow.connect(user=user, pages=["The Golden Spoon"])
    assert {a.kind for a in accounts_of(tenant)} == {"facebook_page", "instagram"}
