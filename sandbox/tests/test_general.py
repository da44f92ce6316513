"""Checklist "General behaviour" (graph-api.md §2, §6, §7)."""

from __future__ import annotations

import json

import pytest
import requests

from sandbox import graph as graph_module
from sandbox.seed import TRATTORIA_ID, TRATTORIA_IG_ID
from sandbox.tests.conftest import Graph, jpeg_bytes


@pytest.mark.parametrize("prefix", ["/v24.0", "/v19.0", "/v26.0", ""])
def test_any_version_prefix_and_unversioned_paths_are_served(sandbox, maria, prefix):
    token = maria.user_token
    response = requests.get(
        f"{sandbox.url}{prefix}/me",
        params={"access_token": token, "appsecret_proof": sandbox.proof(token)},
        timeout=5,
    )
    assert response.status_code == 200 and response.json()["name"] == "Maria Rossi"


def test_params_from_query_urlencoded_and_multipart_bodies(sandbox, maria):
    token = maria.page_tokens["Trattoria da Maria"]
    url = sandbox.graph_url(f"{TRATTORIA_ID}/feed")
    proof = sandbox.proof(token)
    by_query = requests.post(
        url, params={"access_token": token, "appsecret_proof": proof, "message": "one"}, timeout=5
    )
    by_form = requests.post(
        url, data={"access_token": token, "appsecret_proof": proof, "message": "two"}, timeout=5
    )
    by_multipart = requests.post(
        url,
        files={
            "access_token": (None, token),
            "appsecret_proof": (None, proof),
            "message": (None, "three"),
        },
        timeout=5,
    )
    for response in (by_query, by_form, by_multipart):
        assert response.status_code == 200, response.text
    messages = {
        p["message"] for p in sandbox.control("GET", "posts", params={"page_id": TRATTORIA_ID})
    }
    assert {"one", "two", "three"} <= messages


def test_access_token_accepted_from_bearer_and_oauth_headers(sandbox, maria):
    token = maria.user_token
    for scheme in ("Bearer", "OAuth"):
        response = requests.get(
            sandbox.graph_url("me"),
            params={"appsecret_proof": sandbox.proof(token)},
            headers={"Authorization": f"{scheme} {token}"},
            timeout=5,
        )
        assert response.json()["name"] == "Maria Rossi"


def test_json_object_params_arrive_as_json_strings(sandbox, maria):
    graph = Graph(sandbox)
    token = maria.page_tokens["Trattoria da Maria"]
    customer = sandbox.trigger_message(TRATTORIA_ID, "Hi")["sender_id"]
    response = graph.post(
        "me/messages",
        token,
        data={
            "recipient": json.dumps({"id": customer}),
            "message": json.dumps({"text": "Ciao!"}),
            "messaging_type": "RESPONSE",
        },
    )
    assert response.json()["recipient_id"] == customer
    bad = graph.post(
        "me/messages",
        token,
        data={"recipient": "{not json", "message": "{}", "messaging_type": "RESPONSE"},
    )
    assert bad.json()["error"]["code"] == 100


def test_appsecret_proof_missing_is_refused_with_code_100(sandbox, maria):
    response = Graph(sandbox).get("me", maria.user_token, proof=False)
    error = response.json()["error"]
    assert response.status_code == 400 and error["code"] == 100
    assert error["message"] == "API calls from the server require an appsecret_proof argument"


def test_appsecret_proof_wrong_is_refused_with_code_100(sandbox, maria):
    response = Graph(sandbox).get("me", maria.user_token, proof=False, appsecret_proof="00" * 32)
    assert (
        response.json()["error"]["message"]
        == "Invalid appsecret_proof provided in the API argument"
    )


def test_appsecret_proof_optional_when_the_app_does_not_require_it(graph_sandbox_factory):
    sb = graph_sandbox_factory(require_appsecret_proof=False)
    user = sb.user_by_name("Tom Baker")["id"]
    token = sb.mint_token(user, ["pages_show_list"])["token"]
    assert Graph(sb).get("me", token, proof=False).json()["name"] == "Tom Baker"
    assert Graph(sb).get("me", token, proof=False, appsecret_proof="bad").status_code == 400


def test_request_log_records_proof_validity_and_redacts_tokens(sandbox, maria):
    graph = Graph(sandbox)
    graph.get("me", maria.user_token)
    graph.get("me", maria.user_token, proof=False)
    log = sandbox.requests_log(path="/me")
    assert [r["proof"] for r in log] == ["valid", "missing"]
    assert all(r["params"]["access_token"] == "[redacted]" for r in log)
    assert len(sandbox.requests_log(path="/oauth/access_token")) == 2  # code + fb_exchange_token
    assert all(r["proof"] == "valid" for r in sandbox.requests_log(path="/me/accounts"))


def test_errors_use_metas_envelope_with_a_random_fbtrace_id(sandbox, maria):
    graph = Graph(sandbox)
    first = graph.get("123456789", maria.user_token).json()["error"]
    second = graph.get("123456789", maria.user_token).json()["error"]
    assert set(first) >= {"message", "type", "code", "error_subcode", "fbtrace_id"}
    assert first["type"] == "GraphMethodException" and first["fbtrace_id"] != second["fbtrace_id"]


def test_codes_1_and_2_are_http_500_others_400(sandbox, maria):
    graph = Graph(sandbox)
    for code, status in ((1, 500), (2, 500), (100, 400), (190, 400)):
        sandbox.add_fault(route="/me", code=code, count=1)
        response = graph.get("me", maria.user_token)
        assert response.status_code == status and response.json()["error"]["code"] == code


def test_instagram_errors_carry_is_transient(sandbox, maria):
    token = maria.page_tokens["Trattoria da Maria"]
    response = Graph(sandbox).post(
        f"{TRATTORIA_IG_ID}/media", token, image_url="http://10.0.0.1/x.jpg"
    )
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"], error["is_transient"]) == (9004, 2207052, False)
    sandbox.add_fault(route="/*/media", code=-1, subcode=2207001, count=1)
    error = (
        Graph(sandbox).post(f"{TRATTORIA_IG_ID}/media", token, image_url="http://x").json()["error"]
    )
    assert error["is_transient"] is True


def test_fields_projection_with_nested_expansion(sandbox, maria):
    body = (
        Graph(sandbox)
        .get(
            "me",
            maria.user_token,
            fields="name,accounts.limit(1){name,instagram_business_account{username}}",
        )
        .json()
    )
    assert set(body) == {"name", "accounts", "id"}
    assert body["accounts"]["data"] == [
        {
            "name": "Trattoria da Maria",
            "instagram_business_account": {"username": "trattoriadamaria", "id": TRATTORIA_IG_ID},
            "id": TRATTORIA_ID,
        }
    ]
    assert "after" in body["accounts"]["paging"]["cursors"]


def test_unknown_field_is_error_100(sandbox, maria):
    error = Graph(sandbox).get("me", maria.user_token, fields="name,shoe_size").json()["error"]
    assert error["code"] == 100 and "shoe_size" in error["message"]


def test_edge_lists_page_with_after_and_before(sandbox, maria):
    graph = Graph(sandbox)
    token = maria.page_tokens["Trattoria da Maria"]
    for index in range(5):
        graph.post(f"{TRATTORIA_ID}/feed", token, message=f"post {index}")
    first = graph.get(f"{TRATTORIA_ID}/published_posts", token, limit=4, fields="message").json()
    assert [p["message"] for p in first["data"]] == ["post 4", "post 3", "post 2", "post 1"]
    second = graph.get(
        f"{TRATTORIA_ID}/published_posts",
        token,
        limit=4,
        fields="message",
        after=first["paging"]["cursors"]["after"],
    ).json()
    assert next(p["message"] for p in second["data"]) == "post 0" and "next" not in second["paging"]


def test_usage_headers_rise_with_call_volume(sandbox, maria):
    graph = Graph(sandbox)
    sandbox.set_usage_budgets(app=50, buc=50)
    values = [
        json.loads(graph.get("me", maria.user_token).headers["X-App-Usage"])["call_count"]
        for _ in range(5)
    ]
    assert values == sorted(values) and values[-1] == 10
    page_token = maria.page_tokens["Trattoria da Maria"]
    header = json.loads(graph.get(TRATTORIA_ID, page_token).headers["X-Business-Use-Case-Usage"])
    assert header[TRATTORIA_ID][0]["type"] == "pages" and header[TRATTORIA_ID][0]["call_count"] == 2
    assert "X-App-Usage" not in graph.get(TRATTORIA_ID, page_token).headers
    ig = json.loads(graph.get(TRATTORIA_IG_ID, page_token).headers["X-Business-Use-Case-Usage"])
    assert ig[TRATTORIA_IG_ID][0]["type"] == "instagram"


def test_over_budget_user_token_calls_are_throttled_with_code_4(sandbox, maria):
    graph = Graph(sandbox)
    sandbox.set_usage_budgets(app=3)
    codes = [graph.get("me", maria.user_token).status_code for _ in range(4)]
    response = graph.get("me", maria.user_token)
    assert codes == [200, 200, 200, 400] and response.json()["error"]["code"] == 4
    assert json.loads(response.headers["X-App-Usage"])["call_count"] > 100


def test_over_budget_user_calls_give_17_and_page_calls_with_user_token_give_32(sandbox, maria):
    graph = Graph(sandbox)
    sandbox.set_usage_budgets(user=2)
    graph.get("me", maria.user_token), graph.get("me", maria.user_token)
    assert graph.get("me", maria.user_token).json()["error"]["code"] == 17
    sandbox.set_usage_budgets(user=1000, page=1)
    graph.get(TRATTORIA_ID, maria.user_token)
    assert graph.get(TRATTORIA_ID, maria.user_token).json()["error"]["code"] == 32


def test_over_budget_page_token_calls_give_80001_and_instagram_80002(sandbox, maria):
    graph = Graph(sandbox)
    token = maria.page_tokens["Trattoria da Maria"]
    sandbox.set_usage_budgets(buc=1)
    graph.get(TRATTORIA_ID, token)
    throttled = graph.get(TRATTORIA_ID, token)
    assert throttled.json()["error"]["code"] == 80001
    entry = json.loads(throttled.headers["X-Business-Use-Case-Usage"])[TRATTORIA_ID][0]
    assert entry["call_count"] > 100 and entry["estimated_time_to_regain_access"] >= 1
    graph.get(TRATTORIA_IG_ID, token)
    assert graph.get(TRATTORIA_IG_ID, token).json()["error"]["code"] == 80002
    sandbox.advance_clock(3601)  # the rolling hour passes
    assert graph.get(TRATTORIA_ID, token).status_code == 200


def test_photo_bytes_and_pictures_are_served_by_the_sandbox(sandbox, maria):
    token = maria.page_tokens["Trattoria da Maria"]
    data = jpeg_bytes(400, 300)
    photo = (
        Graph(sandbox)
        .post(f"{TRATTORIA_ID}/photos", token, files={"source": ("a.jpg", data, "image/jpeg")})
        .json()
    )
    assert (
        requests.get(f"{sandbox.url}/_sandbox/photos/{photo['id']}.jpg", timeout=5).content == data
    )
    overview = requests.get(f"{sandbox.url}/_sandbox/", timeout=5).text
    assert f"/_sandbox/photos/{photo['id']}.jpg" in overview and "Maria Rossi" in overview
    assert maria.user_token not in overview and maria.user_token[:12] in overview


def test_an_unforeseen_failure_still_answers_in_metas_envelope(graph, maria, monkeypatch):
    """A sandbox bug or unforeseen input must not become an HTML 500 page: Meta's code 1."""

    def broken(ctx, obj):
        raise KeyError("surprise")

    monkeypatch.setitem(graph_module.EDGES, ("Page", "feed", "GET"), broken)
    response = graph.get(f"{TRATTORIA_ID}/feed", maria.page_tokens["Trattoria da Maria"])
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == 1 and error["message"] == "An unknown error occurred"


def test_overview_shows_conversations_and_figures(sandbox, graph, maria):
    trattoria = maria.page_tokens["Trattoria da Maria"]
    post = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Figures please").json()["id"]
    sandbox.set_figures(post, views=4321)
    sandbox.trigger_message(TRATTORIA_ID, "Do you have <b>vegan</b> pasta?", sender_name="Eva")
    overview = requests.get(f"{sandbox.url}/_sandbox/", timeout=5).text
    assert "4321 views" in overview
    assert (
        "Eva" in overview and "&lt;b&gt;vegan&lt;/b&gt;" in overview and "<b>vegan" not in overview
    )
