"""Checklist "Webhooks" and "Callbacks" (graph-api.md §8, §10)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from sandbox.seed import GOLDEN_SPOON_ID, PIZZERIA_ID, TRATTORIA_ID, TRATTORIA_IG_ID
from sandbox.tests.conftest import Graph, jpeg_bytes, login, payloads, subscribe_page


@pytest.fixture
def trattoria(maria):
    return maria.page_tokens["Trattoria da Maria"]


def _app_token(sb):
    return f"{sb.app_id}|{sb.app_secret}"


def _decode_signed_request(signed: str, secret: str) -> dict:
    signature, payload = signed.split(".", 1)
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)), expected
    )
    assert "=" not in signed  # unpadded base64url
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_handshake_requires_200_and_the_echoed_challenge(sandbox, receiver):
    result = sandbox.control("POST", "webhooks/verify")
    assert result["ok"] is True and result["body"] == result["challenge"]
    wrong = sandbox.control("POST", "webhooks/verify", json={"verify_token": "other"})
    assert wrong["ok"] is False and wrong["status"] == 403


def test_control_api_sets_callback_url_verify_token_and_secret(sandbox, receiver, graph, trattoria):
    receiver.verify_token = "fresh-token"
    config = sandbox.configure_webhooks(
        callback_url=receiver.url + "/webhooks", verify_token="fresh-token", app_secret="new-secret"
    )
    assert config["verify_token"] == "fresh-token"
    assert sandbox.control("POST", "webhooks/verify")["ok"] is True
    receiver.secret = "new-secret"
    sandbox.app_secret == "new-secret"  # noqa: B015 - the handle reads the live secret
    graph = Graph(sandbox)
    token = login(sandbox).page_tokens["Trattoria da Maria"]
    subscribe_page(graph, token)
    graph.post(f"{TRATTORIA_ID}/feed", token, message="signed with the new secret")
    sandbox.flush_webhooks()
    assert receiver.webhooks()[0]["valid"] is True


def test_app_subscriptions_edge_runs_the_handshake(sandbox, graph, receiver):
    ok = graph.post(
        f"{sandbox.app_id}/subscriptions",
        _app_token(sandbox),
        object="page",
        callback_url=receiver.url + "/webhooks",
        fields="feed,messages",
        verify_token=receiver.verify_token,
    )
    assert ok.json() == {"success": True}
    listed = graph.get(f"{sandbox.app_id}/subscriptions", _app_token(sandbox)).json()["data"]
    page = next(s for s in listed if s["object"] == "page")
    assert (
        page["callback_url"] == receiver.url + "/webhooks"
        and {"name": "feed", "version": "v24.0"} in page["fields"]
    )
    failed = graph.post(
        f"{sandbox.app_id}/subscriptions",
        _app_token(sandbox),
        object="page",
        callback_url=receiver.url + "/webhooks",
        fields="feed",
        verify_token="wrong",
    )
    assert failed.json()["error"]["code"] == 2200


def test_page_subscribed_apps_get_post_delete(graph, trattoria, sandbox):
    assert graph.get(f"{TRATTORIA_ID}/subscribed_apps", trattoria).json() == {"data": []}
    subscribe_page(graph, trattoria, "feed,messages")
    data = graph.get(f"{TRATTORIA_ID}/subscribed_apps", trattoria).json()["data"]
    assert data[0]["id"] == sandbox.app_id and data[0]["subscribed_fields"] == ["feed", "messages"]
    assert graph.call("DELETE", f"{TRATTORIA_ID}/subscribed_apps", trattoria).json() == {
        "success": True
    }
    assert graph.get(f"{TRATTORIA_ID}/subscribed_apps", trattoria).json() == {"data": []}


def test_subscribed_apps_needs_pages_manage_metadata(sandbox, graph):
    user = sandbox.user_by_name("Maria Rossi")["id"]
    token = sandbox.mint_token(user, ["pages_show_list"], page_id=TRATTORIA_ID)["token"]
    assert (
        graph.post("me/subscribed_apps", token, subscribed_fields="feed").json()["error"]["code"]
        == 200
    )


def test_only_fields_subscribed_at_app_and_page_level_are_delivered(
    sandbox, graph, trattoria, receiver
):
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="before any page subscription")
    assert sandbox.flush_webhooks() == []
    subscribe_page(graph, trattoria, "messages")  # page level: no feed
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="page did not subscribe feed")
    sandbox.trigger_message(TRATTORIA_ID, "hello")
    sandbox.flush_webhooks()
    assert [list(e) for p in payloads(receiver) for e in p["entry"]] == [
        ["id", "time", "messaging"]
    ]
    subscribe_page(graph, trattoria, "feed")
    graph.call(
        "DELETE", f"{sandbox.app_id}/subscriptions", _app_token(sandbox), object="page"
    )  # app level: none
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="app unsubscribed")
    assert sandbox.flush_webhooks() == []


def test_page_feed_and_messaging_payloads_are_signed_ascii_json(
    sandbox, graph, trattoria, receiver
):
    subscribe_page(graph, trattoria)
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Caffè e cornetto ☕")
    sent = sandbox.trigger_message(TRATTORIA_ID, "Prenoto per le 8 😊")
    sandbox.flush_webhooks()
    [post] = receiver.webhooks()
    body = post["body"]
    assert body.isascii() and b"\\u2615" in body and b"\\ud83d\\ude0a" in body
    assert post["valid"] is True and post["headers"]["Content-Type"] == "application/json"
    assert (
        post["headers"]["X-Hub-Signature"]
        == "sha1=" + hmac.new(sandbox.app_secret.encode(), body, hashlib.sha1).hexdigest()
    )
    payload = json.loads(body)
    assert payload["object"] == "page"
    changes_entry, messaging_entry = payload["entry"]
    assert changes_entry["changes"][0]["value"]["message"] == "Caffè e cornetto ☕"
    event = messaging_entry["messaging"][0]
    assert event["sender"] == {"id": sent["sender_id"]} and event["recipient"] == {
        "id": TRATTORIA_ID
    }
    assert event["message"] == {"mid": sent["mid"], "text": "Prenoto per le 8 😊"}
    assert messaging_entry["time"] > 10**12  # milliseconds for messaging


def test_messenger_echo_is_delivered_on_message_echoes(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria, "messages,message_echoes")
    psid = sandbox.trigger_message(TRATTORIA_ID, "hi")["sender_id"]
    graph.post(
        "me/messages",
        trattoria,
        data={
            "recipient": json.dumps({"id": psid}),
            "message": json.dumps({"text": "hello"}),
            "messaging_type": "RESPONSE",
        },
    )
    sandbox.flush_webhooks()
    events = [m for p in payloads(receiver) for e in p["entry"] for m in e.get("messaging", [])]
    echo = events[-1]["message"]
    assert (
        echo["is_echo"] is True
        and echo["app_id"] == int(sandbox.app_id)
        and echo["text"] == "hello"
    )


def test_instagram_comment_and_dm_payloads(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria, "feed")  # IG events need the linked Page subscribed
    sandbox.control("POST", "limits", json={"container_processing_seconds": 0})
    receiver.images["a.jpg"] = jpeg_bytes()
    container = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, image_url=f"{receiver.url}/images/a.jpg"
    ).json()["id"]
    media = graph.post(f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=container).json()[
        "id"
    ]
    comment = sandbox.trigger_comment(media, "Che buono!", author_name="foodie_anna")
    dm = sandbox.trigger_message(TRATTORIA_ID, "Aperti domenica?", platform="instagram")
    sandbox.flush_webhooks()
    [payload] = [p for p in payloads(receiver) if p["object"] == "instagram"]
    changes, messaging = payload["entry"]
    assert changes["id"] == TRATTORIA_IG_ID and changes["changes"][0] == {
        "field": "comments",
        "value": {
            "from": {"id": comment["author_id"], "username": "foodie_anna"},
            "media": {"id": media, "media_product_type": "FEED"},
            "id": comment["comment_id"],
            "text": "Che buono!",
        },
    }
    assert messaging["messaging"][0]["recipient"] == {"id": TRATTORIA_IG_ID}
    assert messaging["messaging"][0]["sender"] == {"id": dm["sender_id"]}


def test_facebook_comment_trigger_emits_feed_comment(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria)
    post_id = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Comment please").json()["id"]
    comment = sandbox.trigger_comment(post_id, "Lovely", author_name="Luca Verdi")
    sandbox.flush_webhooks()
    value = [c["value"] for p in payloads(receiver) for e in p["entry"] for c in e["changes"]][-1]
    assert (
        value["item"] == "comment"
        and value["verb"] == "add"
        and value["comment_id"] == comment["comment_id"]
    )
    assert (
        value["post_id"] == post_id
        and value["parent_id"] == post_id
        and value["from"]["name"] == "Luca Verdi"
    )


def test_several_pages_are_batched_into_one_post(sandbox, graph, trattoria, maria, receiver):
    pizzeria = maria.page_tokens["Pizzeria Bella Napoli"]
    subscribe_page(graph, trattoria)
    subscribe_page(graph, pizzeria)
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="a")
    graph.post(f"{PIZZERIA_ID}/feed", pizzeria, message="b")
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="c")
    sandbox.flush_webhooks()
    [payload] = payloads(receiver)
    assert [(e["id"], len(e["changes"])) for e in payload["entry"]] == [
        (TRATTORIA_ID, 2),
        (PIZZERIA_ID, 1),
    ]


def test_batches_hold_at_most_max_batch_updates(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria)
    sandbox.configure_webhooks(max_batch=2)
    for index in range(5):
        graph.post(f"{TRATTORIA_ID}/feed", trattoria, message=f"m{index}")
    results = sandbox.flush_webhooks()
    assert [r["updates"] for r in results] == [2, 2, 1]
    assert sum(len(e["changes"]) for p in payloads(receiver) for e in p["entry"]) == 5


def test_failed_deliveries_are_retried_with_backoff_then_succeed(
    sandbox, graph, trattoria, receiver
):
    subscribe_page(graph, trattoria)
    receiver.statuses = [500, 503]  # first attempt and the immediate retry fail
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="retry me")
    [delivery] = sandbox.flush_webhooks()
    assert delivery["status"] == "pending" and [a["status"] for a in delivery["attempts"]] == [
        500,
        503,
    ]
    assert sandbox.flush_webhooks() == []  # next retry is 60 s (nominal) later
    sandbox.advance_clock(61)
    [delivery] = sandbox.flush_webhooks()
    assert delivery["status"] == "delivered" and len(delivery["attempts"]) == 3
    bodies = {p["body"] for p in receiver.webhooks()}
    assert len(bodies) == 1  # the same bytes every time


def test_timeouts_count_as_failures(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria)
    sandbox.configure_webhooks(timeout=0.2)
    receiver.webhook_delay = 0.5
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="slow app")
    [delivery] = sandbox.flush_webhooks()
    assert delivery["status"] == "pending" and delivery["attempts"][0]["status"] is None
    assert "Timeout" in delivery["attempts"][0]["error"]


def test_deliveries_are_dropped_after_36_hours(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria)
    receiver.statuses = [500] * 100
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="doomed")
    sandbox.flush_webhooks()
    for hours in (1, 3, 6, 12, 24, 35):
        sandbox.advance_clock(3600 * hours)
        sandbox.flush_webhooks()
        if sandbox.deliveries()[0]["status"] != "pending":
            break
    sandbox.advance_clock(3600 * 3)
    sandbox.flush_webhooks()
    [delivery] = sandbox.deliveries()
    assert delivery["status"] == "dropped"
    assert 3 <= len(delivery["attempts"]) <= 11
    spent = delivery["attempts"][-1]["at"] - delivery["attempts"][0]["at"]
    assert spent <= 36 * 3600


def test_duplicate_deliveries_on_demand(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria)
    sandbox.configure_webhooks(duplicate_next=1)
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="twice")
    results = sandbox.flush_webhooks()
    assert len(results) == 2 and results[1]["duplicate_of"] == results[0]["id"]
    first, second = receiver.webhooks()
    assert first["body"] == second["body"]
    again = sandbox.control("POST", f"webhooks/deliveries/{results[0]['id']}/redeliver")
    sandbox.flush_webhooks()
    assert again["duplicate_of"] == results[0]["id"] and len(receiver.webhooks()) == 3


def test_bad_signature_delivery_on_demand(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria)
    sandbox.configure_webhooks(bad_signature_next=1)
    receiver.statuses = [403]
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="forged")
    [result] = sandbox.flush_webhooks()
    assert receiver.webhooks()[0]["valid"] is False and result["status"] == "rejected"
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="genuine")
    sandbox.flush_webhooks()
    assert receiver.webhooks()[1]["valid"] is True


def test_background_worker_delivers_without_flush(graph_sandbox_factory, receiver):
    sb = graph_sandbox_factory(webhook_url=receiver.url + "/webhooks", auto_deliver=True)
    graph = Graph(sb)
    token = login(sb).page_tokens["Trattoria da Maria"]
    subscribe_page(graph, token)
    graph.post(f"{TRATTORIA_ID}/feed", token, message="worker")
    assert len(receiver.wait_for(1)) == 1 and receiver.webhooks()[0]["valid"]


def test_deauthorize_trigger_posts_a_signed_request_and_revokes_tokens(
    sandbox, graph, maria, receiver
):
    user_id = sandbox.user_by_name("Maria Rossi")["id"]
    result = sandbox.trigger_deauthorize(user_id)
    assert result["ok"] is True and result["revoked_tokens"] >= 3
    [post] = [p for p in receiver.posts if p["path"] == "/deauthorize"]
    signed = post["body"].decode().split("=", 1)[1]
    from urllib.parse import unquote

    payload = _decode_signed_request(unquote(signed), sandbox.app_secret)
    assert (
        payload["user_id"] == user_id
        and payload["algorithm"] == "HMAC-SHA256"
        and "issued_at" in payload
    )
    for token in (maria.user_token, maria.page_tokens["Osteria del Porto"]):
        error = graph.get("me", token).json()["error"]
        assert (error["code"], error["error_subcode"]) == (190, 458)


def test_data_deletion_trigger_records_url_and_confirmation_code(sandbox, receiver):
    user_id = sandbox.user_by_name("Tom Baker")["id"]
    result = sandbox.trigger_data_deletion(user_id)
    assert result["ok"] is True and result["confirmation_code"] == "abc123"
    assert result["status_url"] == "http://127.0.0.1:8000/deletion/abc"
    receiver.deletion_answer = {"url": "http://x"}  # no confirmation_code
    bad = sandbox.trigger_data_deletion(user_id)
    assert bad["ok"] is False and "confirmation_code" in bad["error"]
    callbacks = sandbox.control("GET", "webhooks")["callbacks"]
    assert [c["ok"] for c in callbacks] == [True, False]


def test_other_users_pages_stay_unaffected_by_deauthorize(sandbox, graph, maria):
    tom = login(sandbox, user="Tom Baker")
    sandbox.trigger_deauthorize(sandbox.user_by_name("Maria Rossi")["id"])
    assert graph.get(GOLDEN_SPOON_ID, tom.page_tokens["The Golden Spoon"]).status_code == 200


def test_delivery_log_is_visible_in_the_control_api_and_html(sandbox, graph, trattoria, receiver):
    import requests

    subscribe_page(graph, trattoria)
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="logged")
    sandbox.flush_webhooks()
    [delivery] = sandbox.deliveries()
    assert delivery["status"] == "delivered" and json.loads(delivery["body"])["object"] == "page"
    html = requests.get(f"{sandbox.url}/_sandbox/", timeout=5).text
    assert delivery["id"] in html


def test_wait_helper_times_out_quietly(receiver):
    started = time.monotonic()
    assert receiver.wait_for(1, timeout=0.1) == []
    assert time.monotonic() - started < 1
