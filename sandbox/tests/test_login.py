"""Checklist "Login / tokens" (graph-api.md §1, §2, §4)."""

from __future__ import annotations

from urllib.parse import urlencode

import requests

from sandbox.seed import OSTERIA_ID, TABLECAST_CONFIG_ID, TRATTORIA_ID, TRATTORIA_IG_ID
from sandbox.testing import query_of
from sandbox.tests.conftest import REDIRECT_URI, Graph, login


def _dialog(sb, **params):
    query = {"client_id": sb.app_id, "redirect_uri": REDIRECT_URI, "state": "s1", **params}
    return f"{sb.url}/v24.0/dialog/oauth?{urlencode(query)}"


def _exchange(sb, code, redirect_uri=REDIRECT_URI):
    return Graph(sb).get(
        "oauth/access_token",
        client_id=sb.app_id,
        client_secret=sb.app_secret,
        redirect_uri=redirect_uri,
        code=code,
    )


def test_dialog_page_has_the_controls_a_browser_test_drives(sandbox):
    html = requests.get(_dialog(sandbox, scope="pages_show_list"), timeout=5).text
    assert "name='user_id'" in html and "name='page_ids'" in html and "name='scopes'" in html
    assert "id='approve'" in html and "id='cancel'" in html
    assert f"value='{TRATTORIA_ID}' checked> Trattoria da Maria" in html


def test_approving_the_dialog_redirects_with_code_state_and_fragment(sandbox):
    location = sandbox.approve_login(state="csrf-42")
    assert location.startswith(REDIRECT_URI + "?")
    assert location.endswith("#_=_")
    params = query_of(location)
    assert params["state"] == "csrf-42" and len(params["code"]) > 40


def test_cancelling_the_dialog_redirects_with_metas_error_params(sandbox):
    location = sandbox.approve_login(cancel=True, state="csrf-43")
    assert query_of(location) == {
        "error": "access_denied",
        "error_code": "200",
        "error_description": "Permissions error",
        "error_reason": "user_denied",
        "state": "csrf-43",
    }
    assert (
        "error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied&state=csrf-43"
        in location
    )


def test_dialog_refuses_an_unknown_client_id_without_redirecting(sandbox):
    response = requests.get(_dialog(sandbox, client_id="999"), allow_redirects=False, timeout=5)
    assert response.status_code == 400 and "Invalid App ID" in response.text


def test_dialog_refuses_an_unregistered_redirect_uri_without_redirecting(sandbox):
    for uri in ("http://evil.example/cb", REDIRECT_URI + "x", REDIRECT_URI.rstrip("/")):
        response = requests.get(
            _dialog(sandbox, redirect_uri=uri), allow_redirects=False, timeout=5
        )
        assert response.status_code == 400 and "URL blocked" in response.text


def test_dialog_config_id_grants_the_configured_scope_set(sandbox):
    code = query_of(
        sandbox.approve_login(
            _dialog(sandbox, config_id=TABLECAST_CONFIG_ID), decline=["pages_messaging"]
        )
    )["code"]
    token = _exchange(sandbox, code).json()["access_token"]
    scopes = [p["permission"] for p in Graph(sandbox).get("me/permissions", token).json()["data"]]
    # Login for Business: a configuration is granted as a whole (unticking is not possible).
    assert "pages_messaging" in scopes and "business_management" in scopes


def test_dialog_unknown_config_id_is_an_error_page(sandbox):
    response = requests.get(_dialog(sandbox, config_id="1"), timeout=5)
    assert response.status_code == 400


def test_declined_permission_is_reported_and_not_reasked_without_rerequest(sandbox):
    graph = Graph(sandbox)
    session = login(sandbox, decline=["pages_messaging"])
    perms = {
        p["permission"]: p["status"]
        for p in graph.get("me/permissions", session.user_token).json()["data"]
    }
    assert perms["pages_messaging"] == "declined" and perms["pages_manage_posts"] == "granted"
    again = login(sandbox)  # ticks everything, but the declined permission is not re-asked
    perms = {
        p["permission"]: p["status"]
        for p in graph.get("me/permissions", again.user_token).json()["data"]
    }
    assert perms["pages_messaging"] == "declined"
    url = _dialog(sandbox, scope="pages_messaging,pages_show_list", auth_type="rerequest")
    code = query_of(sandbox.approve_login(url))["code"]
    token = _exchange(sandbox, code).json()["access_token"]
    perms = {
        p["permission"]: p["status"] for p in graph.get("me/permissions", token).json()["data"]
    }
    assert perms["pages_messaging"] == "granted"


def test_code_exchange_returns_a_short_lived_bearer_token(sandbox):
    code = query_of(sandbox.approve_login())["code"]
    body = _exchange(sandbox, code).json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("EAA")


def test_code_exchange_rejects_a_reused_code(sandbox):
    code = query_of(sandbox.approve_login())["code"]
    assert _exchange(sandbox, code).status_code == 200
    again = _exchange(sandbox, code)
    assert again.status_code == 400
    assert again.json()["error"]["code"] == 100 and again.json()["error"]["error_subcode"] == 36009


def test_code_exchange_rejects_a_different_redirect_uri(sandbox):
    code = query_of(sandbox.approve_login())["code"]
    response = _exchange(sandbox, code, redirect_uri="http://127.0.0.1:8000/other/")
    assert response.json()["error"]["error_subcode"] == 36008
    assert _exchange(sandbox, code).status_code == 200  # the failed attempt did not burn it


def test_code_exchange_rejects_a_wrong_client_secret(sandbox):
    code = query_of(sandbox.approve_login())["code"]
    response = Graph(sandbox).get(
        "oauth/access_token",
        client_id=sandbox.app_id,
        client_secret="nope",
        redirect_uri=REDIRECT_URI,
        code=code,
    )
    assert (
        response.status_code == 400
        and response.json()["error"]["message"] == "Error validating client secret."
    )


def test_code_expires_after_ten_minutes(sandbox):
    code = query_of(sandbox.approve_login())["code"]
    sandbox.advance_clock(601)
    assert _exchange(sandbox, code).json()["error"]["error_subcode"] == 36007


def test_fb_exchange_token_gives_a_sixty_day_token(sandbox):
    code = query_of(sandbox.approve_login())["code"]
    short = _exchange(sandbox, code).json()["access_token"]
    body = (
        Graph(sandbox)
        .get(
            "oauth/access_token",
            grant_type="fb_exchange_token",
            client_id=sandbox.app_id,
            client_secret=sandbox.app_secret,
            fb_exchange_token=short,
        )
        .json()
    )
    assert body["expires_in"] == 5184000 and body["access_token"] != short


def test_fb_exchange_token_rejects_an_expired_token_with_463(sandbox):
    code = query_of(sandbox.approve_login())["code"]
    short = _exchange(sandbox, code).json()["access_token"]
    sandbox.advance_clock(3601)
    response = Graph(sandbox).get(
        "oauth/access_token",
        grant_type="fb_exchange_token",
        client_id=sandbox.app_id,
        client_secret=sandbox.app_secret,
        fb_exchange_token=short,
    )
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 463)


def test_client_credentials_returns_the_app_token(sandbox):
    body = (
        Graph(sandbox)
        .get(
            "oauth/access_token",
            grant_type="client_credentials",
            client_id=sandbox.app_id,
            client_secret=sandbox.app_secret,
        )
        .json()
    )
    assert body == {
        "access_token": f"{sandbox.app_id}|{sandbox.app_secret}",
        "token_type": "bearer",
    }


def test_token_registry_lifetimes_per_kind(sandbox, maria):
    tokens = {t["token"]: t for t in sandbox.world()["tokens"]}
    user = tokens[maria.user_token]
    page = tokens[maria.page_tokens["Trattoria da Maria"]]
    assert (
        user["kind"] == "user"
        and user["long_lived"]
        and user["expires_at"] - user["issued_at"] == 5184000
    )
    assert page["kind"] == "page" and page["expires_at"] == 0 and page["page_id"] == TRATTORIA_ID
    assert page["data_access_expires_at"] == user["data_access_expires_at"] > user["issued_at"]
    short = next(t for t in tokens.values() if t["kind"] == "user" and not t["long_lived"])
    assert short["expires_at"] - short["issued_at"] == 3600


def test_page_token_from_a_short_lived_user_token_expires_with_it(sandbox):
    code = query_of(sandbox.approve_login())["code"]
    short = _exchange(sandbox, code).json()["access_token"]
    graph = Graph(sandbox)
    page_token = graph.get("me/accounts", short).json()["data"][0]["access_token"]
    sandbox.advance_clock(3700)
    assert graph.get("me", page_token).json()["error"]["error_subcode"] == 463


def test_debug_token_full_shape_with_granular_scopes(sandbox, maria):
    app_token = f"{sandbox.app_id}|{sandbox.app_secret}"
    data = Graph(sandbox).get("debug_token", app_token, input_token=maria.user_token).json()["data"]
    assert data["app_id"] == sandbox.app_id and data["type"] == "USER" and data["is_valid"] is True
    assert (
        data["application"] == "Tablecast (sandbox)"
        and data["user_id"] == sandbox.user_by_name("Maria Rossi")["id"]
    )
    for key in ("expires_at", "issued_at", "data_access_expires_at", "scopes"):
        assert key in data
    granular = {g["scope"]: g.get("target_ids") for g in data["granular_scopes"]}
    assert sorted(granular["pages_manage_posts"]) == sorted(maria.page_ids.values())
    assert granular["instagram_basic"] == [TRATTORIA_IG_ID]
    assert "target_ids" not in next(
        g for g in data["granular_scopes"] if g["scope"] == "public_profile"
    )


def test_debug_token_of_a_page_token_has_zero_expiry_and_profile_id(sandbox, maria):
    app_token = f"{sandbox.app_id}|{sandbox.app_secret}"
    data = (
        Graph(sandbox)
        .get("debug_token", app_token, input_token=maria.page_tokens["Trattoria da Maria"])
        .json()["data"]
    )
    assert data["type"] == "PAGE" and data["expires_at"] == 0 and data["profile_id"] == TRATTORIA_ID


def test_debug_token_of_an_invalid_token_says_why(sandbox, maria):
    app_token = f"{sandbox.app_id}|{sandbox.app_secret}"
    sandbox.revoke_token(maria.user_token, subcode=460)
    data = Graph(sandbox).get("debug_token", app_token, input_token=maria.user_token).json()["data"]
    assert (
        data["is_valid"] is False
        and data["error"]["code"] == 190
        and data["error"]["subcode"] == 460
    )
    garbage = Graph(sandbox).get("debug_token", app_token, input_token="EAAgarbage").json()["data"]
    assert garbage["is_valid"] is False and garbage["error"]["code"] == 190


def test_me_returns_the_user(sandbox, maria):
    body = Graph(sandbox).get("me", maria.user_token, fields="id,name,picture").json()
    assert body["name"] == "Maria Rossi"
    assert body["picture"]["data"]["url"].endswith(f"/_sandbox/pictures/{body['id']}.png")
    assert requests.get(body["picture"]["data"]["url"], timeout=5).content[:4] == b"\x89PNG"


def test_me_accounts_lists_granted_pages_with_tasks_and_tokens(sandbox, maria):
    data = Graph(sandbox).get("me/accounts", maria.user_token).json()["data"]
    assert {d["name"] for d in data} == {
        "Trattoria da Maria",
        "Pizzeria Bella Napoli",
        "Osteria del Porto",
    }
    for item in data:
        assert set(item) == {"access_token", "category", "category_list", "name", "id", "tasks"}
        assert "CREATE_CONTENT" in item["tasks"] and item["access_token"].startswith("EAA")


def test_me_accounts_only_lists_pages_ticked_in_the_dialog(sandbox):
    session = login(sandbox, pages=["Pizzeria Bella Napoli"])
    assert list(session.page_tokens) == ["Pizzeria Bella Napoli"]


def test_me_accounts_includes_business_pages_only_with_business_management(sandbox):
    session = login(sandbox, decline=["business_management"])
    assert "Osteria del Porto" not in session.page_tokens
    assert OSTERIA_ID not in session.page_ids.values()


def test_me_accounts_pages_with_cursors_and_omits_next_on_the_last_page(sandbox, maria):
    graph = Graph(sandbox)
    first = graph.get("me/accounts", maria.user_token, limit=2).json()
    assert len(first["data"]) == 2 and "next" in first["paging"]
    assert "previous" not in first["paging"]
    second = requests.get(first["paging"]["next"], timeout=5).json()
    assert (
        len(second["data"]) == 1
        and "next" not in second["paging"]
        and "previous" in second["paging"]
    )
    back = graph.get(
        "me/accounts", maria.user_token, limit=2, before=second["paging"]["cursors"]["before"]
    ).json()
    assert [d["id"] for d in back["data"]] == [d["id"] for d in first["data"]]


def test_me_permissions_lists_granted_and_declined(sandbox):
    session = login(sandbox, decline=["instagram_manage_messages"])
    data = Graph(sandbox).get("me/permissions", session.user_token).json()["data"]
    assert {"permission": "instagram_manage_messages", "status": "declined"} in data
    assert {"permission": "public_profile", "status": "granted"} in data


def test_delete_me_permissions_revokes_tokens_and_fires_deauthorize(sandbox, maria, receiver):
    graph = Graph(sandbox)
    assert graph.call("DELETE", "me/permissions", maria.user_token).json() == {"success": True}
    error = graph.get("me", maria.page_tokens["Trattoria da Maria"]).json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 458)
    results = sandbox.flush_webhooks()
    assert results[0]["kind"] == "deauthorize" and results[0]["ok"] is True
    posted = [p for p in receiver.posts if p["path"] == "/deauthorize"]
    assert len(posted) == 1 and posted[0]["body"].startswith(b"signed_request=")


def test_page_node_reports_its_instagram_business_account(sandbox, maria):
    graph = Graph(sandbox)
    with_ig = graph.get(
        TRATTORIA_ID, maria.user_token, fields="instagram_business_account,name"
    ).json()
    assert with_ig == {
        "instagram_business_account": {"id": TRATTORIA_IG_ID},
        "name": "Trattoria da Maria",
        "id": TRATTORIA_ID,
    }
    pizzeria = maria.page_ids["Pizzeria Bella Napoli"]
    without = graph.get(pizzeria, maria.user_token, fields="instagram_business_account,name").json()
    assert without == {"name": "Pizzeria Bella Napoli", "id": pizzeria}


def test_instagram_user_fields(sandbox, maria):
    fields = "id,username,name,profile_picture_url,followers_count,follows_count,media_count,biography,website"
    body = (
        Graph(sandbox)
        .get(TRATTORIA_IG_ID, maria.page_tokens["Trattoria da Maria"], fields=fields)
        .json()
    )
    assert body["username"] == "trattoriadamaria" and body["media_count"] == 0
    assert set(body) == set(fields.split(","))
    assert requests.get(body["profile_picture_url"], timeout=5).status_code == 200


def test_other_users_pages_do_not_exist_for_this_token(sandbox, maria):
    golden_spoon = sandbox.page_by_name("The Golden Spoon")["id"]
    error = Graph(sandbox).get(golden_spoon, maria.user_token).json()["error"]
    assert error["code"] == 100 and error["error_subcode"] == 33
