"""Checklist "Error injection" (graph-api.md §6, §7): every listed error, matched per
route / token / Page / next N calls, plus timeouts, resets, malformed JSON, slow replies."""

from __future__ import annotations

import json
import time

import pytest
import requests

from sandbox.seed import PIZZERIA_ID, TRATTORIA_ID

ERRORS = [
    (190, 458, 400),
    (190, 460, 400),
    (190, 463, 400),
    (190, 467, 400),
    (190, 492, 400),
    (10, None, 400),
    (200, None, 400),
    (100, None, 400),
    (368, None, 400),
    (506, None, 400),
    (1, None, 500),
    (2, None, 500),
    (4, None, 400),
    (17, None, 400),
    (32, None, 400),
    (613, None, 400),
    (80001, None, 400),
    (80002, None, 400),
    (-1, 2207001, 400),
    (-2, 2207003, 400),
    (24, 2207008, 400),
    (36003, 2207009, 400),
    (9, 2207042, 400),
]


@pytest.mark.parametrize(
    ("code", "subcode", "status"), ERRORS, ids=[f"{c}/{s}" for c, s, _ in ERRORS]
)
def test_every_checklist_error_can_be_injected(sandbox, graph, maria, code, subcode, status):
    sandbox.add_fault(route="/me", code=code, subcode=subcode, count=1)
    response = graph.get("me", maria.user_token)
    error = response.json()["error"]
    assert (
        response.status_code == status
        and error["code"] == code
        and error.get("error_subcode") == subcode
    )
    assert error["fbtrace_id"] and error["message"]
    if code in (-1, -2, 24, 36003, 9, 80002):  # Instagram errors
        assert "is_transient" in error
    if subcode == 2207008:
        assert error["is_transient"] is True
    assert graph.get("me", maria.user_token).status_code == 200  # count=1 is used up


def test_throttling_errors_carry_usage_headers(sandbox, graph, maria):
    token = maria.page_tokens["Trattoria da Maria"]
    sandbox.add_fault(route=f"/{TRATTORIA_ID}", code=80001, count=1)
    response = graph.get(TRATTORIA_ID, token)
    entry = json.loads(response.headers["X-Business-Use-Case-Usage"])[TRATTORIA_ID][0]
    assert (
        entry["type"] == "pages"
        and entry["call_count"] >= 100
        and "estimated_time_to_regain_access" in entry
    )
    sandbox.add_fault(route="/me", code=4, count=1)
    assert json.loads(graph.get("me", maria.user_token).headers["X-App-Usage"])["call_count"] >= 100


def test_faults_match_by_token(sandbox, graph, maria):
    tokens = sandbox.control("GET", "tokens")
    token_id = next(t["id"] for t in tokens if t["token"] == maria.user_token)
    sandbox.add_fault(token=token_id, code=190, subcode=463)
    assert graph.get("me", maria.user_token).json()["error"]["error_subcode"] == 463
    page_token = maria.page_tokens["Trattoria da Maria"]
    assert graph.get("me", page_token).status_code == 200


def test_faults_match_by_page_id(sandbox, graph, maria):
    sandbox.add_fault(page_id=PIZZERIA_ID, code=368)
    pizzeria = maria.page_tokens["Pizzeria Bella Napoli"]
    trattoria = maria.page_tokens["Trattoria da Maria"]
    assert graph.post(f"{PIZZERIA_ID}/feed", pizzeria, message="x").json()["error"]["code"] == 368
    assert graph.get("me", pizzeria).json()["error"]["code"] == 368  # the Page token's Page
    assert graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="x").status_code == 200


def test_faults_match_by_route_glob_and_method_for_next_n_calls(sandbox, graph, maria):
    token = maria.page_tokens["Trattoria da Maria"]
    sandbox.add_fault(route="/*/feed", method="POST", code=2, count=2)
    results = [
        graph.post(f"{TRATTORIA_ID}/feed", token, message=f"try {i}").status_code for i in range(3)
    ]
    assert results == [500, 500, 200]
    assert graph.get(f"{TRATTORIA_ID}/feed", token).status_code == 200
    [fault] = sandbox.control("GET", "faults")
    assert fault["hits"] == 2 and fault["remaining"] == 0


def test_next_n_calls_fault_without_filters(sandbox, graph, maria):
    sandbox.add_fault(code=1, count=2)
    assert [graph.get("me", maria.user_token).status_code for _ in range(3)] == [500, 500, 200]


def test_clearing_faults(sandbox, graph, maria):
    sandbox.add_fault(route="/me", code=100)
    assert graph.get("me", maria.user_token).status_code == 400
    sandbox.clear_faults()
    assert graph.get("me", maria.user_token).status_code == 200


def test_slow_responses(sandbox, graph, maria):
    sandbox.add_fault(route="/me", kind="delay", delay=0.4, count=1)
    started = time.monotonic()
    response = graph.get("me", maria.user_token)
    assert response.status_code == 200 and time.monotonic() - started >= 0.4


def test_timeouts_sleep_past_the_client_timeout(sandbox, maria):
    sandbox.add_fault(route="/me", kind="timeout", seconds=1.0, count=1)
    token = maria.user_token
    with pytest.raises(requests.Timeout):
        requests.get(
            sandbox.graph_url("me"),
            params={"access_token": token, "appsecret_proof": sandbox.proof(token)},
            timeout=0.3,
        )


def test_timed_out_publish_still_takes_effect(sandbox, maria):
    token = maria.page_tokens["Trattoria da Maria"]
    sandbox.add_fault(route="/*/feed", kind="timeout", seconds=0.6, count=1)
    with pytest.raises(requests.Timeout):
        requests.post(
            sandbox.graph_url(f"{TRATTORIA_ID}/feed"),
            params={
                "access_token": token,
                "appsecret_proof": sandbox.proof(token),
                "message": "did it post?",
            },
            timeout=0.2,
        )
    time.sleep(0.7)
    assert any(
        p["message"] == "did it post?"
        for p in sandbox.control("GET", "posts", params={"page_id": TRATTORIA_ID})
    )


def test_connection_resets(sandbox, maria):
    sandbox.add_fault(route="/me", kind="reset", count=1)
    token = maria.user_token
    with pytest.raises(requests.ConnectionError):
        requests.get(
            sandbox.graph_url("me"),
            params={"access_token": token, "appsecret_proof": sandbox.proof(token)},
            timeout=5,
        )
    assert requests.get(
        sandbox.graph_url("me"),
        params={"access_token": token, "appsecret_proof": sandbox.proof(token)},
        timeout=5,
    ).ok
    assert sandbox.requests_log(path="/me")[-2]["status"] == "reset"


def test_malformed_json(sandbox, graph, maria):
    sandbox.add_fault(route="/me", kind="malformed_json", count=1)
    response = graph.get("me", maria.user_token)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_revoke_token_convenience_endpoint(sandbox, graph, maria):
    sandbox.revoke_token(maria.page_tokens["Trattoria da Maria"], subcode=492)
    error = graph.get("me", maria.page_tokens["Trattoria da Maria"]).json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 492)


def test_losing_the_page_role_kills_page_tokens_with_492(sandbox, graph, maria):
    user_id = sandbox.user_by_name("Maria Rossi")["id"]
    sandbox.control("DELETE", f"users/{user_id}/pages/{PIZZERIA_ID}")
    assert (
        graph.get("me", maria.page_tokens["Pizzeria Bella Napoli"]).json()["error"]["error_subcode"]
        == 492
    )
    assert graph.get("me", maria.page_tokens["Trattoria da Maria"]).status_code == 200


def test_password_change_kills_tokens_with_460(sandbox, graph, maria):
    user_id = sandbox.user_by_name("Maria Rossi")["id"]
    sandbox.control("POST", f"users/{user_id}/change-password")
    assert graph.get("me", maria.user_token).json()["error"]["error_subcode"] == 460


def test_invalid_fault_specs_are_refused(sandbox):
    response = requests.post(f"{sandbox.url}/_sandbox/faults", json={"kind": "explode"}, timeout=5)
    assert response.status_code == 400
    response = requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"code": 1, "count": 0}, timeout=5
    )
    assert response.status_code == 400


def test_reset_restores_the_default_world(sandbox, graph, maria):
    graph.post(
        f"{TRATTORIA_ID}/feed", maria.page_tokens["Trattoria da Maria"], message="gone after reset"
    )
    sandbox.add_fault(code=1)
    sandbox.reset()
    world = sandbox.world()
    assert len(world["users"]) == 3 and len(world["pages"]) == 5 and world["tokens"] == []
    assert not any(p["message"] == "gone after reset" for p in world["posts"])
    assert sandbox.control("GET", "faults") == []
    sandbox.reset(empty=True)
    assert sandbox.world()["users"] == [] and len(sandbox.world()["apps"]) == 1
