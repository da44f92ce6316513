"""Checklist "Messaging & comments" (graph-api.md §9)."""

from __future__ import annotations

import json

import pytest

from sandbox.seed import TRATTORIA_ID, TRATTORIA_IG_ID
from sandbox.tests.conftest import jpeg_bytes


@pytest.fixture
def trattoria(maria):
    return maria.page_tokens["Trattoria da Maria"]


def _send(graph, token, recipient, text="Ciao!", path="me/messages", **extra):
    data = {"recipient": json.dumps(recipient), "message": json.dumps({"text": text}), **extra}
    data.setdefault("messaging_type", "RESPONSE")
    return graph.post(path, token, data=data)


def test_send_api_answers_a_customer_within_24_hours(sandbox, graph, trattoria):
    psid = sandbox.trigger_message(TRATTORIA_ID, "Table for 4?")["sender_id"]
    body = _send(graph, trattoria, {"id": psid}, path=f"{TRATTORIA_ID}/messages").json()
    assert body["recipient_id"] == psid and body["message_id"].startswith("m_")
    conversation = sandbox.control("GET", "conversations")[0]
    assert [m["direction"] for m in conversation["messages"]] == ["in", "out"]


def test_send_api_requires_messaging_type(sandbox, graph, trattoria):
    psid = sandbox.trigger_message(TRATTORIA_ID, "Hi")["sender_id"]
    error = _send(graph, trattoria, {"id": psid}, messaging_type="").json()["error"]
    assert error["code"] == 100 and "messaging_type" in error["message"]


def test_send_api_outside_24_hours_is_10_2018278(sandbox, graph, trattoria):
    psid = sandbox.trigger_message(TRATTORIA_ID, "Hi")["sender_id"]
    sandbox.advance_clock(24 * 3600 + 1)
    error = _send(graph, trattoria, {"id": psid}).json()["error"]
    assert (error["code"], error["error_subcode"]) == (10, 2018278)


def test_human_agent_tag_extends_the_window_to_7_days(sandbox, graph, trattoria):
    psid = sandbox.trigger_message(TRATTORIA_ID, "Hi")["sender_id"]
    sandbox.advance_clock(3 * 86400)
    tagged = _send(graph, trattoria, {"id": psid}, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    assert tagged.status_code == 200
    other_tag = _send(
        graph, trattoria, {"id": psid}, messaging_type="MESSAGE_TAG", tag="ACCOUNT_UPDATE"
    )
    assert other_tag.json()["error"]["error_subcode"] == 2018278
    sandbox.advance_clock(4 * 86400 + 1)
    late = _send(graph, trattoria, {"id": psid}, messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    assert late.json()["error"]["error_subcode"] == 2018278


def test_send_api_to_an_instagram_scoped_id(sandbox, graph, trattoria):
    igsid = sandbox.trigger_message(TRATTORIA_ID, "Open Sunday?", platform="instagram")["sender_id"]
    body = _send(graph, trattoria, {"id": igsid}).json()
    assert body["recipient_id"] == igsid
    conversation = sandbox.control("GET", "conversations")[0]
    assert conversation["account_id"] == TRATTORIA_IG_ID and conversation["platform"] == "instagram"


def test_send_api_unknown_recipient_is_error_100(graph, trattoria):
    error = _send(graph, trattoria, {"id": "2999999999999999"}).json()["error"]
    assert (error["code"], error["error_subcode"]) == (100, 2018001)


def test_send_api_needs_pages_messaging(sandbox, graph):
    user = sandbox.user_by_name("Maria Rossi")["id"]
    token = sandbox.mint_token(user, ["pages_show_list"], page_id=TRATTORIA_ID)["token"]
    psid = sandbox.trigger_message(TRATTORIA_ID, "Hi")["sender_id"]
    assert _send(graph, token, {"id": psid}).json()["error"]["code"] == 230


def test_private_reply_to_a_comment_once_within_7_days(sandbox, graph, trattoria):
    post_id = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Giveaway!").json()["id"]
    comment = sandbox.trigger_comment(post_id, "Me please")
    first = _send(
        graph, trattoria, {"comment_id": comment["comment_id"]}, "Check your inbox"
    ).json()
    assert first["recipient_id"] == comment["author_id"]
    again = _send(graph, trattoria, {"comment_id": comment["comment_id"]}).json()["error"]
    assert again["code"] == 10900
    old = sandbox.trigger_comment(post_id, "Me too")
    sandbox.advance_clock(7 * 86400 + 1)
    late = _send(graph, trattoria, {"comment_id": old["comment_id"]}).json()["error"]
    assert late["code"] == 10903


def test_private_reply_to_an_instagram_comment(sandbox, graph, trattoria, receiver):
    media_id = _publish_ig(sandbox, graph, trattoria, receiver)
    comment = sandbox.trigger_comment(media_id, "Price?", author_name="foodie_anna")
    body = _send(graph, trattoria, {"comment_id": comment["comment_id"]}, "DM sent").json()
    assert body["recipient_id"] == comment["author_id"]


def _publish_ig(sandbox, graph, token, receiver):
    sandbox.control("POST", "limits", json={"container_processing_seconds": 0})
    receiver.images["m.jpg"] = jpeg_bytes()
    container = graph.post(
        f"{TRATTORIA_IG_ID}/media", token, image_url=f"{receiver.url}/images/m.jpg"
    ).json()["id"]
    return graph.post(f"{TRATTORIA_IG_ID}/media_publish", token, creation_id=container).json()["id"]


def test_ig_comment_replies_only_on_top_level_comments(sandbox, graph, trattoria, receiver):
    media_id = _publish_ig(sandbox, graph, trattoria, receiver)
    top = sandbox.trigger_comment(media_id, "Yum")["comment_id"]
    reply = graph.post(f"{top}/replies", trattoria, message="Grazie!").json()
    assert list(reply) == ["id"]
    listed = graph.get(f"{top}/replies", trattoria, fields="id,text,username").json()["data"]
    assert listed == [{"id": reply["id"], "text": "Grazie!", "username": "trattoriadamaria"}]
    nested = graph.post(f"{reply['id']}/replies", trattoria, message="again").json()["error"]
    assert nested["code"] == 100


def test_ig_media_comments_creates_a_top_level_comment(sandbox, graph, trattoria, receiver):
    media_id = _publish_ig(sandbox, graph, trattoria, receiver)
    comment = graph.post(f"{media_id}/comments", trattoria, message="New menu tomorrow").json()
    listed = graph.get(f"{media_id}/comments", trattoria).json()["data"]
    assert [c["id"] for c in listed] == [comment["id"]] and listed[0]["text"] == "New menu tomorrow"


def test_ig_comments_need_instagram_manage_comments(sandbox, graph, trattoria, receiver):
    media_id = _publish_ig(sandbox, graph, trattoria, receiver)
    user = sandbox.user_by_name("Maria Rossi")["id"]
    token = sandbox.mint_token(user, ["instagram_basic", "pages_show_list"], page_id=TRATTORIA_ID)[
        "token"
    ]
    assert graph.post(f"{media_id}/comments", token, message="x").json()["error"]["code"] == 10
