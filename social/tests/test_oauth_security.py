"""RELIABILITY §1, O1–O8: the OAuth client's state, replay, tenant binding, PKCE, redirect_uri,
next and appsecret_proof bars."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from social.graph import connect
from social.models import OAuthState, PendingConnection, SocialAccount
from social.services import oauth
from social.tests.conftest import SITE, Flow
from tenants.scoping import scopes_disabled
from tenants.testing import make_member, make_tenant


def state_of(dialog_url: str) -> str:
    return parse_qs(urlsplit(dialog_url).query)["state"][0]


def stored_nothing() -> bool:
    with scopes_disabled():
        return not SocialAccount.objects.count() and not PendingConnection.objects.count()


def test_o1_ten_thousand_states_are_unique_and_at_least_128_bits(owner, tenant, rf, settings):
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    states = [
        state_of(oauth.oauth_start(tenant=tenant, user=owner, session=session))
        for _ in range(10_000)
    ]
    assert len(set(states)) == 10_000
    # token_urlsafe(32): 43 base64url characters = 256 bits of entropy
    assert all(len(s) == 43 for s in states)
    with scopes_disabled():
        assert OAuthState.objects.count() == 10_000
        assert not OAuthState.objects.filter(state_hash__in=states).count()  # only hashes stored


@pytest.mark.parametrize(
    "case", ["missing", "unknown", "other_session", "used", "expired", "tampered"]
)
def test_o2_bad_states_are_refused_without_any_token_call(case, flow, sb, tenant, owner):
    other = Client()
    other.force_login(owner)  # same user, another browser session
    for _ in range(20):
        dialog = flow.start()
        location = flow.approve(dialog, pages=["Pizzeria Bella Napoli"])
        query = parse_qs(urlsplit(location).query)
        state, code = query["state"][0], query["code"][0]
        client = flow.client
        if case == "missing":
            url = f"/social/facebook/callback/?code={code}"
        elif case == "unknown":
            url = f"/social/facebook/callback/?code={code}&state={secrets.token_urlsafe(32)}"
        elif case == "other_session":
            url, client = f"/social/facebook/callback/?code={code}&state={state}", other
        elif case == "used":
            flow.client.get(f"/social/facebook/callback/?error=access_denied&state={state}")
            url = f"/social/facebook/callback/?code={code}&state={state}"
        elif case == "expired":
            with scopes_disabled():
                OAuthState.objects.filter(used_at__isnull=True).update(
                    created_at=timezone.now() - timedelta(minutes=11)
                )
            url = f"/social/facebook/callback/?code={code}&state={state}"
        else:
            flipped = state[:-1] + ("A" if state[-1] != "A" else "B")
            url = f"/social/facebook/callback/?code={code}&state={flipped}"
        response = client.get(url)
        assert response.status_code == 400, case
        assert b"Nothing" in response.content
    assert not sb.requests_log(path="/oauth/access_token")
    assert stored_nothing()


def test_o3_a_replayed_successful_callback_is_refused_and_the_code_is_exchanged_once(flow, sb):
    location = flow.approve(flow.start(), pages=["Pizzeria Bella Napoli"])
    first = flow.callback(location)
    assert "/pick/" in first["Location"]
    second = flow.callback(location)
    assert second.status_code == 400 and b"already used" in second.content
    exchanges = [r for r in sb.requests_log(path="/oauth/access_token") if "code" in r["params"]]
    assert len(exchanges) == 1


def test_o4_a_flow_started_in_tenant_a_links_to_a_even_after_switching_to_b(
    owner_client, sb, tenant, owner
):
    tenant_b = make_tenant("Second Place", slug="second")
    make_member(tenant_b, user=owner)
    flow_a = Flow(owner_client, sb, tenant)
    location = flow_a.approve(flow_a.start(), pages=["Pizzeria Bella Napoli"])
    # another tab: the owner opens tenant B's accounts page in between
    assert owner_client.get(reverse("social:accounts", args=[tenant_b.slug])).status_code == 200
    response = flow_a.callback(location)
    assert response["Location"].startswith(f"/t/{tenant.slug}/")
    picker = owner_client.get(response["Location"])
    ids = [p["id"] for p in picker.context["pending"].pages]
    owner_client.post(response["Location"], {"page_ids": ids})
    with scopes_disabled():
        assert SocialAccount.objects.filter(tenant=tenant).count() == 1
        assert SocialAccount.objects.filter(tenant=tenant_b).count() == 0
    # B's picker URL with A's pending id is a 404
    assert (
        owner_client.get(response["Location"].replace(tenant.slug, tenant_b.slug, 1)).status_code
        == 404
    )


def test_o4_the_owner_role_is_rechecked_at_the_callback(flow, tenant, owner):
    from tenants.models import Membership

    location = flow.approve(flow.start(), pages=["Pizzeria Bella Napoli"])
    with scopes_disabled():
        Membership.objects.filter(user=owner, tenant=tenant).update(role="staff")
    assert flow.callback(location).status_code == 400
    assert stored_nothing()


def test_o5_pkce_sends_an_s256_challenge_and_keeps_the_verifier_server_side(
    flow, sb, settings, caplog
):
    caplog.set_level(logging.DEBUG)
    settings.FACEBOOK_USE_PKCE = True
    dialog = flow.start()
    query = parse_qs(urlsplit(dialog).query)
    with scopes_disabled():
        verifier = OAuthState.objects.get().code_verifier
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [connect.pkce_challenge(verifier)]
    assert verifier not in dialog
    location = flow.approve(dialog, pages=["Pizzeria Bella Napoli"])
    assert verifier not in location
    flow.callback(location)
    exchange = [
        r
        for r in sb.requests_log(path="/oauth/access_token", method="POST")
        if "code" in r["params"]
    ]
    assert exchange and exchange[0]["params"]["code_verifier"] == verifier  # sent in the POST body
    assert all(verifier not in r["path"] for r in sb.requests_log())
    assert all(verifier not in record.getMessage() for record in caplog.records)


def test_o5_pkce_is_off_by_default(flow, settings):
    assert settings.FACEBOOK_USE_PKCE is False
    assert "code_challenge" not in flow.start()


def test_o6_the_redirect_uri_ignores_a_spoofed_host(flow, sb, tenant):
    response = flow.client.post(
        reverse("social:connect", args=[tenant.slug]), HTTP_HOST="evil.example"
    )
    dialog = response["Location"]
    expected = f"{SITE}/social/facebook/callback/"
    assert parse_qs(urlsplit(dialog).query)["redirect_uri"] == [expected]
    location = flow.approve(dialog, pages=["Pizzeria Bella Napoli"])
    parts = urlsplit(location)
    flow.client.get(parts.path + "?" + parts.query, HTTP_HOST="evil.example")
    exchange = [r for r in sb.requests_log(path="/oauth/access_token") if "code" in r["params"]]
    assert exchange[0]["params"]["redirect_uri"] == expected


HOSTILE_NEXT = [
    "//evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "https://evil.com",
    "http://evil.com/t/alba/",
    "//evil.com/t/alba/",
    "/t/alba/@evil.com",
    "\\/evil.com",
    "/%2F%2Fevil.com",
    "http:evil.com",
    "https:/evil.com",
    "data:text/html,hi",
    " //evil.com",
    "\t//evil.com",
    "/t/bruno/",
    "/admin/",
    "ftp://evil.com",
    "//evil.com%2F@t/alba/",
    "\x00//evil.com",
    "/t/alba/../../..//evil.example",
    "/t/alba/../bruno/",
    "/t/alba/%2e%2e/bruno/",
    "/t/alba/\\evil.example",
    "/t/alba/\r\nLocation: https://evil.example",
    "/t/alba/\tprofile/",
]


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_o7_hostile_next_values_never_redirect_off_site(value, tenant, other_tenant):
    assert oauth.safe_next_path(tenant, value) == ""


def test_o7_a_hostile_next_through_the_whole_flow_lands_on_the_accounts_page(flow, tenant):
    dialog = flow.start(data={"next": "//evil.com/t/alba/"})
    location = flow.approve(dialog, pages=["Pizzeria Bella Napoli"])
    response = flow.callback(location)
    picker = flow.client.get(response["Location"])
    done = flow.client.post(
        response["Location"], {"page_ids": [p["id"] for p in picker.context["pending"].pages]}
    )
    assert done["Location"] == reverse("social:accounts", args=[tenant.slug])


def test_o7_a_safe_next_inside_the_tenant_is_kept(flow, tenant):
    dialog = flow.start(data={"next": f"/t/{tenant.slug}/library/"})
    location = flow.approve(dialog, pages=["Pizzeria Bella Napoli"])
    response = flow.callback(location)
    picker = flow.client.get(response["Location"])
    done = flow.client.post(
        response["Location"], {"page_ids": [p["id"] for p in picker.context["pending"].pages]}
    )
    assert done["Location"] == f"/t/{tenant.slug}/library/"


def test_o7_a_next_into_another_restaurant_is_not_kept_through_the_flow(flow, tenant):
    flow.start(data={"next": f"/t/{tenant.slug}/../bruno/"})
    with scopes_disabled():
        assert OAuthState.objects.get().next_path == ""


def test_o8_every_call_of_a_full_connect_check_disconnect_carries_a_valid_proof(flow, sb, tenant):
    """The `sb` fixture checks this after every social test; here it is explicit."""
    from social.tests.conftest import assert_every_graph_call_had_a_valid_proof

    flow.connect(pages=["Trattoria da Maria"])
    with scopes_disabled():
        page = SocialAccount.objects.get(kind="facebook_page")
    flow.client.post(reverse("social:check", args=[tenant.slug, page.pk]))
    flow.client.post(reverse("social:disconnect", args=[tenant.slug, page.pk]))
    token_calls = [r for r in sb.requests_log() if r.get("has_access_token")]
    assert len(token_calls) >= 8
    assert_every_graph_call_had_a_valid_proof(sb)
