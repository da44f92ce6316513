"""Webhook and inbox details the app's receiver and inbox depend on (issue 12 item 6):
Meta's exact body bytes, one messaging item per entry, every inbound event kind,
conversations, comment moderation, subscription field validation, JSON request bodies."""

from __future__ import annotations

import json

import pytest
import requests

from sandbox.seed import TRATTORIA_ID, TRATTORIA_IG_ID
from sandbox.tests.conftest import jpeg_bytes, payloads, subscribe_page

ALL_PAGE_FIELDS = "feed,messages,message_echoes,messaging_postbacks,message_reactions,message_reads"


@pytest.fixture
def trattoria(maria):
    return maria.page_tokens["Trattoria da Maria"]


@pytest.fixture
def subscribed(graph, trattoria):
    subscribe_page(graph, trattoria, ALL_PAGE_FIELDS)
    return trattoria


def _events(receiver):
    return [m for p in payloads(receiver) for e in p["entry"] for m in e.get("messaging", [])]


def _changes(receiver):
    return [c for p in payloads(receiver) for e in p["entry"] for c in e.get("changes", [])]


# -- bytes on the wire ------------------------------------------------------------------------
def test_webhook_body_is_serialised_as_meta_sends_it(sandbox, receiver, subscribed):
    sandbox.trigger_message(
        TRATTORIA_ID, "Caffè? https://x.example/a", attachments=[{"url": "https://c.example/p.jpg"}]
    )
    sandbox.flush_webhooks()
    (post,) = receiver.webhooks()
    body = post["body"]
    assert b'"object":"page"' in body and b", " not in body and b'": ' not in body
    assert b"https:\\/\\/x.example\\/a" in body and b"https://" not in body
    assert b"Caff\\u00e8" in body and "è".encode() not in body
    assert post["valid"]
    reserialised = json.dumps(json.loads(body)).encode()
    assert not receiver.verify(reserialised, post["headers"]["X-Hub-Signature-256"])


def test_each_messaging_item_gets_its_own_entry(sandbox, receiver, subscribed):
    for text in ("one", "two", "three"):
        sandbox.trigger_message(TRATTORIA_ID, text)
    sandbox.flush_webhooks()
    entries = [e for p in payloads(receiver) for e in p["entry"]]
    assert [len(e["messaging"]) for e in entries] == [1, 1, 1]


# -- inbound event kinds ----------------------------------------------------------------------------
def test_message_with_attachments_and_quick_reply(sandbox, receiver, subscribed):
    sandbox.trigger_message(
        TRATTORIA_ID,
        "Yes please",
        quick_reply="BOOK_TONIGHT",
        attachments=[{"type": "image", "url": "https://cdn.example/menu.jpg"}],
    )
    sandbox.flush_webhooks()
    (event,) = _events(receiver)
    assert event["message"]["quick_reply"] == {"payload": "BOOK_TONIGHT"}
    assert event["message"]["attachments"] == [
        {"type": "image", "payload": {"url": "https://cdn.example/menu.jpg"}}
    ]


def test_a_message_needs_text_or_attachments(sandbox):
    with pytest.raises(AssertionError, match="text or attachments"):
        sandbox.trigger_message(TRATTORIA_ID, "")


def test_postback_opens_the_window(sandbox, graph, receiver, subscribed):
    sent = sandbox.trigger_postback(TRATTORIA_ID, "GET_STARTED", title="Get Started")
    sandbox.flush_webhooks()
    (event,) = _events(receiver)
    assert event["postback"] == {
        "mid": sent["mid"],
        "title": "Get Started",
        "payload": "GET_STARTED",
    }
    reply = graph.post(
        f"{TRATTORIA_ID}/messages",
        subscribed,
        data={
            "recipient": json.dumps({"id": sent["sender_id"]}),
            "messaging_type": "RESPONSE",
            "message": json.dumps({"text": "Welcome!"}),
        },
    )
    assert reply.status_code == 200


def test_reactions_and_reads(sandbox, graph, receiver, subscribed):
    first = sandbox.trigger_message(TRATTORIA_ID, "Hi")
    sandbox.trigger_reaction(first["mid"], "love")
    sandbox.trigger_reaction(first["mid"], "love", action="unreact")
    sandbox.trigger_read(first["conversation_id"])
    sandbox.flush_webhooks()
    react, unreact, read = _events(receiver)[1:]
    assert react["reaction"] == {
        "mid": first["mid"],
        "action": "react",
        "reaction": "love",
        "emoji": "\u2764\ufe0f",
    }
    assert unreact["reaction"] == {"mid": first["mid"], "action": "unreact"}
    sent_ms = sandbox.conversations()[0]["messages"][0]["timestamp"]
    assert read["read"]["watermark"] >= sent_ms


def test_instagram_story_reply_mention_and_seen(sandbox, receiver, subscribed):
    reply = sandbox.trigger_message(
        TRATTORIA_ID,
        "Looks great!",
        platform="instagram",
        story={"id": "17900000000000001", "url": "https://cdn.example/story.jpg"},
    )
    mention = sandbox.trigger_message(
        TRATTORIA_ID,
        None,
        platform="instagram",
        attachments=[{"type": "story_mention", "url": "https://cdn.example/theirs.jpg"}],
    )
    sandbox.trigger_mention(TRATTORIA_IG_ID, comment_id="17800000000000009", media_id="1800001")
    sandbox.trigger_read(reply["conversation_id"])
    sandbox.flush_webhooks()
    instagram = [p for p in payloads(receiver) if p["object"] == "instagram"]
    events = [m for p in instagram for e in p["entry"] for m in e.get("messaging", [])]
    assert events[0]["message"]["reply_to"] == {
        "story": {"id": "17900000000000001", "url": "https://cdn.example/story.jpg"}
    }
    assert events[1]["message"]["attachments"][0]["type"] == "story_mention"
    assert events[2]["read"] == {"mid": mention["mid"]}  # the last message of the thread
    changes = [c for p in instagram for e in p["entry"] for c in e.get("changes", [])]
    assert changes == [
        {"field": "mentions", "value": {"media_id": "1800001", "comment_id": "17800000000000009"}}
    ]


# -- comments -------------------------------------------------------------------------------------
def test_comment_moderation_events_and_fields(sandbox, graph, receiver, subscribed):
    post = graph.post(f"{TRATTORIA_ID}/feed", subscribed, message="Menu").json()["id"]
    comment = sandbox.trigger_comment(post, "Too salty")["comment_id"]
    reply = graph.post(f"{comment}/comments", subscribed, message="Sorry!").json()["id"]
    assert graph.post(comment, subscribed, is_hidden="true").json() == {"success": True}
    body = graph.get(
        comment, subscribed, fields="is_hidden,comment_count,like_count,permalink_url,can_hide"
    ).json()
    assert body["is_hidden"] is True and body["comment_count"] == 1 and body["like_count"] == 0
    assert body["permalink_url"].startswith("https://www.facebook.com/") and body["can_hide"]
    assert graph.post(reply, subscribed, message="Sorry, fixed!").json() == {"success": True}
    sandbox.change_comment(comment, "edit", "A bit salty")
    assert graph.call("DELETE", reply, subscribed).json() == {"success": True}
    sandbox.change_comment(comment, "remove")
    sandbox.flush_webhooks()
    verbs = [
        (c["value"]["verb"], c["value"].get("comment_id"))
        for c in _changes(receiver)
        if c["value"]["item"] == "comment"
    ]
    assert verbs == [
        ("add", comment),
        ("add", reply),
        ("hide", comment),
        ("edited", reply),
        ("edited", comment),
        ("remove", reply),
        ("remove", comment),
    ]


def test_comment_edit_and_hide_rules(sandbox, graph, subscribed, maria):
    post = graph.post(f"{TRATTORIA_ID}/feed", subscribed, message="x").json()["id"]
    comment = sandbox.trigger_comment(post, "hi")["comment_id"]
    assert graph.post(comment, subscribed, message="not mine").json()["error"]["code"] == 200
    assert graph.post(comment, maria.user_token, is_hidden="true").json()["error"]["code"] == 200
    assert graph.post(comment, subscribed).json()["error"]["code"] == 100


def test_instagram_comment_hide(sandbox, graph, subscribed, receiver):
    media = _ig_media(sandbox, graph, subscribed, receiver)
    comment = sandbox.trigger_comment(media, "Where is this?")["comment_id"]
    assert graph.post(comment, subscribed, hide="true").json() == {"success": True}
    assert graph.get(comment, subscribed, fields="hidden").json()["hidden"] is True


def _ig_media(sandbox, graph, token, receiver):
    receiver.images["m.jpg"] = jpeg_bytes(1080, 1080)
    container = graph.post(
        f"{TRATTORIA_IG_ID}/media", token, image_url=f"{receiver.url}/images/m.jpg"
    ).json()["id"]
    sandbox.control("POST", f"containers/{container}", json={"ready": True})
    return graph.post(f"{TRATTORIA_IG_ID}/media_publish", token, creation_id=container).json()["id"]


# -- conversations ----------------------------------------------------------------------------------
def test_conversations_and_their_messages(sandbox, graph, subscribed):
    giulia = sandbox.trigger_message(TRATTORIA_ID, "Open Sunday?", sender_name="Giulia")
    sandbox.advance_clock(5)
    marco = sandbox.trigger_message(TRATTORIA_ID, "Vegan options?", sender_name="Marco")
    insta = sandbox.trigger_message(TRATTORIA_ID, "Hi from IG", platform="instagram")
    graph.post(
        "me/messages",
        subscribed,
        data={
            "recipient": json.dumps({"id": giulia["sender_id"]}),
            "messaging_type": "RESPONSE",
            "message": json.dumps({"text": "Yes, 12-15"}),
        },
    )
    listed = graph.get(f"{TRATTORIA_ID}/conversations", subscribed).json()["data"]
    assert [c["id"] for c in listed] == [giulia["conversation_id"], marco["conversation_id"]]
    only = graph.get(
        f"{TRATTORIA_ID}/conversations",
        subscribed,
        user_id=giulia["sender_id"],
        fields="participants,message_count,messages{message,from,to}",
    ).json()["data"]
    (thread,) = only
    assert thread["message_count"] == 2
    assert [m["message"] for m in thread["messages"]["data"]] == ["Yes, 12-15", "Open Sunday?"]
    assert thread["messages"]["data"][1]["from"]["name"] == "Giulia"
    ig = graph.get(f"{TRATTORIA_ID}/conversations", subscribed, platform="instagram").json()
    assert [c["id"] for c in ig["data"]] == [insta["conversation_id"]]
    messages = graph.get(f"{giulia['conversation_id']}/messages", subscribed).json()["data"]
    one = graph.get(messages[-1]["id"], subscribed, fields="message,created_time").json()
    assert one["message"] == "Open Sunday?"
    assert sandbox.page_replies(giulia["sender_id"]) == ["Yes, 12-15"]


def test_conversations_need_a_page_token_with_messaging(sandbox, graph, maria):
    user = sandbox.user_by_name("Maria Rossi")["id"]
    no_messaging = sandbox.mint_token(
        user, ["pages_show_list", "pages_read_engagement"], page_id=TRATTORIA_ID
    )["token"]
    error = graph.get(f"{TRATTORIA_ID}/conversations", no_messaging).json()["error"]
    assert error["code"] == 230
    error = graph.get(f"{TRATTORIA_ID}/conversations", maria.user_token).json()["error"]
    assert error["code"] == 190
    error = graph.get(
        f"{TRATTORIA_ID}/conversations",
        maria.page_tokens["Trattoria da Maria"],
        platform="whatsapp",
    ).json()["error"]
    assert error["code"] == 100


# -- subscriptions and request bodies ---------------------------------------------------------------
def test_subscribed_fields_as_a_json_array_are_stored_and_delivered(
    sandbox, graph, trattoria, receiver
):
    response = graph.post(
        "me/subscribed_apps", trattoria, subscribed_fields=json.dumps(["feed", "messages"])
    )
    assert response.json() == {"success": True}
    apps = graph.get(f"{TRATTORIA_ID}/subscribed_apps", trattoria).json()["data"]
    assert apps[0]["subscribed_fields"] == ["feed", "messages"]
    sandbox.trigger_message(TRATTORIA_ID, "still delivered")
    sandbox.flush_webhooks()
    assert len(_events(receiver)) == 1


@pytest.mark.parametrize("fields", ['["feed", "bogus"]', "feed,Messages", '["feed,messages"]'])
def test_unknown_subscribed_fields_are_refused(graph, trattoria, fields):
    error = graph.post("me/subscribed_apps", trattoria, subscribed_fields=fields).json()["error"]
    assert error["code"] == 100 and "subscribed_fields" in error["message"]


def test_app_subscription_fields_are_validated(sandbox, graph):
    error = graph.post(
        f"{sandbox.app_id}/subscriptions",
        sandbox.app_token,
        object="page",
        callback_url="http://127.0.0.1:1/x",
        verify_token="t",
        fields=json.dumps(["feed", "nope"]),
    ).json()["error"]
    assert error["code"] == 100 and "nope" in error["message"]


def test_send_api_with_a_json_body(sandbox, trattoria):
    psid = sandbox.trigger_message(TRATTORIA_ID, "JSON?")["sender_id"]
    response = requests.post(
        sandbox.graph_url(f"{TRATTORIA_ID}/messages"),
        params={"access_token": trattoria, "appsecret_proof": sandbox.proof(trattoria)},
        json={
            "recipient": {"id": psid},
            "messaging_type": "RESPONSE",
            "message": {"text": "Yes, JSON works"},
        },
        timeout=10,
    )
    assert response.json()["recipient_id"] == psid
    assert sandbox.page_replies(psid) == ["Yes, JSON works"]


def test_send_api_on_the_instagram_account_node(sandbox, graph, trattoria):
    igsid = sandbox.trigger_message(TRATTORIA_ID, "DM", platform="instagram")["sender_id"]
    body = graph.post(
        f"{TRATTORIA_IG_ID}/messages",
        trattoria,
        data={
            "recipient": json.dumps({"id": igsid}),
            "message": json.dumps({"text": "Ciao"}),
            "messaging_type": "RESPONSE",
        },
    ).json()
    assert body["recipient_id"] == igsid


def test_send_api_refuses_text_over_2000_characters(sandbox, graph, trattoria):
    psid = sandbox.trigger_message(TRATTORIA_ID, "long?")["sender_id"]
    error = graph.post(
        "me/messages",
        trattoria,
        data={
            "recipient": json.dumps({"id": psid}),
            "message": json.dumps({"text": "x" * 2001}),
            "messaging_type": "RESPONSE",
        },
    ).json()["error"]
    assert error["code"] == 100 and "2000" in error["message"]
    assert sandbox.page_replies(psid) == []


# -- customer profiles, sender actions, mentions ----------------------------------------------------
def test_customer_profiles_for_people_who_wrote(sandbox, graph, trattoria, maria):
    psid = sandbox.trigger_message(TRATTORIA_ID, "Hi", sender_name="Giulia Bianchi")["sender_id"]
    body = graph.get(psid, trattoria).json()
    assert body["first_name"] == "Giulia" and body["last_name"] == "Bianchi"
    assert body["profile_pic"].startswith(sandbox.url)
    igsid = sandbox.trigger_message(
        TRATTORIA_ID, "Hi", platform="instagram", sender_name="luca.eats"
    )["sender_id"]
    ig = graph.get(igsid, trattoria, fields="name,username,is_user_follow_business").json()
    assert ig["username"] == "luca.eats" and ig["is_user_follow_business"] is True
    assert graph.get(psid, maria.user_token).json()["error"]["code"] == 190
    other = maria.page_tokens["Pizzeria Bella Napoli"]
    assert graph.get(psid, other).json()["error"]["code"] == 100


def test_sender_actions(sandbox, graph, trattoria):
    psid = sandbox.trigger_message(TRATTORIA_ID, "Hi")["sender_id"]
    for action in ("mark_seen", "typing_on", "typing_off"):
        body = graph.post(
            "me/messages",
            trattoria,
            data={"recipient": json.dumps({"id": psid}), "sender_action": action},
        ).json()
        assert body == {"recipient_id": psid}
    error = graph.post(
        "me/messages",
        trattoria,
        data={"recipient": json.dumps({"id": psid}), "sender_action": "dance"},
    ).json()["error"]
    assert error["code"] == 100 and "sender_action" in error["message"]
    assert sandbox.page_replies(psid) == []


def test_mentions_can_be_read_back(sandbox, graph, trattoria, receiver, subscribed):
    caption = sandbox.trigger_mention(TRATTORIA_IG_ID, text="Best carbonara at @trattoriadamaria")
    comment = sandbox.trigger_mention(
        TRATTORIA_IG_ID, comment_id="", text="@trattoriadamaria open?"
    )
    media_fields = f"mentioned_media.media_id({caption['media_id']}){{caption,username}}"
    body = graph.get(TRATTORIA_IG_ID, trattoria, fields=media_fields).json()
    assert body["mentioned_media"]["caption"] == "Best carbonara at @trattoriadamaria"
    assert body["mentioned_media"]["username"] == "foodie.milano"
    comment_fields = f"mentioned_comment.comment_id({comment['comment_id']}){{text,media{{id}}}}"
    body = graph.get(TRATTORIA_IG_ID, trattoria, fields=comment_fields).json()
    assert body["mentioned_comment"]["text"] == "@trattoriadamaria open?"
    assert body["mentioned_comment"]["media"]["id"] == comment["media_id"]
    error = graph.get(
        TRATTORIA_IG_ID, trattoria, fields="mentioned_media.media_id(123){caption}"
    ).json()["error"]
    assert error["code"] == 100


def test_since_filters_conversation_messages_by_their_time(sandbox, graph, trattoria):
    first = sandbox.trigger_message(TRATTORIA_ID, "Earlier")
    sandbox.advance_clock(7200)
    sandbox.trigger_message(TRATTORIA_ID, "Later")
    recent = graph.get(
        f"{first['conversation_id']}/messages", trattoria, since="1 hour ago", fields="message"
    ).json()["data"]
    assert [m["message"] for m in recent] == ["Later"]
    listed = graph.get(f"{TRATTORIA_ID}/conversations", trattoria, since="1 hour ago").json()
    assert [c["id"] for c in listed["data"]] == [first["conversation_id"]]
