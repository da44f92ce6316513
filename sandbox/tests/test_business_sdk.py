"""Meta's own Business SDK (facebook-business) against the sandbox, for every publishing
call the app makes: if the sandbox speaks the protocol as Meta does, the SDK's encodings
(JSON-array list params, booleans as true/false, `fields` on creates, file uploads under
`source0`, `summary=true` on edges) work unchanged."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest
from facebook_business.adobjects.application import Application
from facebook_business.adobjects.comment import Comment
from facebook_business.adobjects.igcomment import IGComment
from facebook_business.adobjects.igmedia import IGMedia
from facebook_business.adobjects.iguser import IGUser
from facebook_business.adobjects.page import Page
from facebook_business.adobjects.pagepost import PagePost
from facebook_business.adobjects.shadowigmediabuilder import ShadowIGMediaBuilder
from facebook_business.adobjects.unifiedthread import UnifiedThread
from facebook_business.api import FacebookAdsApi, FacebookRequest
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from sandbox.seed import MARIA_ID, TRATTORIA_ID, TRATTORIA_IG_ID
from sandbox.testing import INSIGHT_SCOPES, SandboxHandle
from sandbox.tests.conftest import jpeg_bytes


def sdk_api(sandbox: SandboxHandle, token: str) -> FacebookAdsApi:
    """An SDK client pointed at the sandbox (the SDK adds appsecret_proof itself)."""
    session = FacebookSession(sandbox.app_id, sandbox.app_secret, token)
    session.GRAPH = sandbox.url
    session.requests.trust_env = False  # straight to the sandbox, no proxy from the env
    return FacebookAdsApi(session, api_version="v24.0")


@pytest.fixture
def api(sandbox, maria):
    return sdk_api(sandbox, maria.page_tokens["Trattoria da Maria"])


def _ready(sandbox, container_id: str) -> None:
    sandbox.control("POST", f"containers/{container_id}", json={"ready": True})


def _image_url(receiver, name: str) -> str:
    receiver.images[name] = jpeg_bytes(1080, 1080)
    return f"{receiver.url}/images/{name}"


def test_sdk_page_feed_post_edit_and_delete(sandbox, api):
    page = Page(TRATTORIA_ID, api=api)
    post = page.create_feed(fields=["id", "permalink_url"], params={"message": "Tonight: ossobuco"})
    assert post["id"].startswith(TRATTORIA_ID + "_") and post["permalink_url"]
    PagePost(post["id"], api=api).api_update(params={"message": "Tonight: ossobuco!"})
    read = PagePost(post["id"], api=api).api_get(fields=["message", "is_published"])
    assert read["message"] == "Tonight: ossobuco!" and read["is_published"] is True
    listed = page.get_published_posts(fields=["message"], params={"since": "-1 hour"})
    assert [p["id"] for p in listed] == [post["id"]]
    PagePost(post["id"], api=api).api_delete()
    with pytest.raises(FacebookRequestError) as error:
        PagePost(post["id"], api=api).api_get(fields=["message"])
    assert error.value.api_error_code() == 100


def test_sdk_scheduled_post(sandbox, api):
    page = Page(TRATTORIA_ID, api=api)
    post = page.create_feed(
        params={
            "message": "Sunday brunch",
            "published": False,
            "scheduled_publish_time": "+2 hours",
        }
    )
    scheduled = page.get_scheduled_posts(fields=["message", "scheduled_publish_time"])
    assert [p["id"] for p in scheduled] == [post["id"]]


def test_sdk_page_photo_by_url_and_by_file(sandbox, api, receiver):
    page = Page(TRATTORIA_ID, api=api)
    by_url = page.create_photo(params={"url": _image_url(receiver, "p.jpg"), "caption": "Pasta"})
    assert by_url["post_id"].startswith(TRATTORIA_ID + "_")
    with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as handle:
        handle.write(jpeg_bytes(500, 400))
    try:
        request = page.create_photo(params={"caption": "From disk"}, pending=True)
        request.add_file(handle.name)
        by_file = request.execute()
    finally:
        os.unlink(handle.name)
    photos = {
        p["id"]: p for p in sandbox.control("GET", "photos", params={"page_id": TRATTORIA_ID})
    }
    assert photos[by_file["id"]]["width"] == 500 and photos[by_file["id"]]["caption"] == "From disk"


def test_sdk_album_post_from_unpublished_photos(sandbox, api, receiver):
    page = Page(TRATTORIA_ID, api=api)
    photo_ids = [
        page.create_photo(params={"url": _image_url(receiver, f"a{i}.jpg"), "published": False})[
            "id"
        ]
        for i in range(3)
    ]
    post = page.create_feed(
        params={
            "message": "Three dishes",
            "attached_media": [{"media_fbid": photo_id} for photo_id in photo_ids],
        }
    )
    read = PagePost(post["id"], api=api).api_get(fields=["attachments", "message"])
    (album,) = read["attachments"]["data"]
    assert album["type"] == "album"
    assert [a["target"]["id"] for a in album["subattachments"]["data"]] == photo_ids


def test_sdk_instagram_single_image(sandbox, api, receiver):
    ig = IGUser(TRATTORIA_IG_ID, api=api)
    limit = ig.get_content_publishing_limit(fields=["quota_usage", "config"])
    assert limit[0]["quota_usage"] == 0 and limit[0]["config"]["quota_total"] == 50
    container = ig.create_media(
        params={"image_url": _image_url(receiver, "ig.jpg"), "caption": "Fresh #pasta"}
    )
    status = ShadowIGMediaBuilder(container["id"], api=api).api_get(fields=["status_code"])
    assert status["status_code"] == "IN_PROGRESS"
    _ready(sandbox, container["id"])
    status = ShadowIGMediaBuilder(container["id"], api=api).api_get(
        fields=["status_code", "status"]
    )
    assert status["status_code"] == "FINISHED"
    media = ig.create_media_publish(
        fields=["id", "permalink", "shortcode"], params={"creation_id": container["id"]}
    )
    assert media["shortcode"] in media["permalink"]
    assert ig.get_content_publishing_limit(fields=["quota_usage"])[0]["quota_usage"] == 1
    listed = ig.get_media(fields=["caption", "media_type"])
    assert next((m["id"], m["caption"]) for m in listed) == (media["id"], "Fresh #pasta")


def test_sdk_instagram_carousel(sandbox, api, receiver):
    ig = IGUser(TRATTORIA_IG_ID, api=api)
    children = [
        ig.create_media(
            params={"image_url": _image_url(receiver, f"c{i}.jpg"), "is_carousel_item": True}
        )["id"]
        for i in range(3)
    ]
    for child in children:
        _ready(sandbox, child)
    parent = ig.create_media(
        params={"media_type": "CAROUSEL", "caption": "Three plates", "children": children}
    )
    _ready(sandbox, parent["id"])
    media = ig.create_media_publish(params={"creation_id": parent["id"]})
    read = FacebookRequest(media["id"], "GET", "/", api=api).add_fields(
        ["media_type", "children{id}"]
    )
    body = read.execute().json()
    assert body["media_type"] == "CAROUSEL_ALBUM" and len(body["children"]["data"]) == 3


def test_sdk_sees_meta_errors_with_codes(sandbox, api, receiver):
    ig = IGUser(TRATTORIA_IG_ID, api=api)
    container = ig.create_media(params={"image_url": _image_url(receiver, "x.jpg")})
    with pytest.raises(FacebookRequestError) as error:
        ig.create_media_publish(params={"creation_id": container["id"]})
    assert (error.value.api_error_code(), error.value.api_error_subcode()) == (9007, 2207027)


# -- messaging, comments, subscriptions (issue 12 item 6) ---------------------------------------
def test_sdk_app_and_page_subscriptions(sandbox, api, receiver):
    app_api = sdk_api(sandbox, sandbox.app_token)
    application = Application(sandbox.app_id, api=app_api)
    application.create_subscription(
        params={
            "object": "page",
            "callback_url": receiver.url + "/webhooks",
            "verify_token": "sandbox-verify-token",
            "fields": ["feed", "messages", "messaging_postbacks"],
        }
    )
    listed = {s["object"]: s for s in application.get_subscriptions()}
    assert {"feed", "messages", "messaging_postbacks"} <= {
        f["name"] for f in listed["page"]["fields"]
    }
    page = Page(TRATTORIA_ID, api=api)
    page.create_subscribed_app(params={"subscribed_fields": ["feed", "messages"]})
    (app,) = page.get_subscribed_apps()
    assert app["subscribed_fields"] == ["feed", "messages"]
    sandbox.trigger_message(TRATTORIA_ID, "Are you open on Sunday?")
    sandbox.flush_webhooks()
    assert len(receiver.webhooks()) == 1 and receiver.webhooks()[0]["valid"]


def test_sdk_send_api_and_conversations(sandbox, api):
    page = Page(TRATTORIA_ID, api=api)
    customer = sandbox.trigger_message(TRATTORIA_ID, "Table for two?")
    sent = page.create_message(
        params={
            "recipient": {"id": customer["sender_id"]},
            "messaging_type": "RESPONSE",
            "message": {"text": "Yes, at 20:00"},
        }
    )
    assert sent["recipient_id"] == customer["sender_id"]
    (thread,) = page.get_conversations(fields=["id", "message_count", "participants"])
    assert thread["id"] == customer["conversation_id"] and thread["message_count"] == 2
    messages = UnifiedThread(thread["id"], api=api).get_messages(fields=["message", "from"])
    assert [m["message"] for m in messages] == ["Yes, at 20:00", "Table for two?"]
    dm = sandbox.trigger_message(TRATTORIA_ID, "Hi on IG", platform="instagram")
    IGUser(TRATTORIA_IG_ID, api=api).create_message(
        params={"recipient": {"id": dm["sender_id"]}, "message": {"text": "Ciao!"}}
    )
    ig_threads = page.get_conversations(params={"platform": "instagram"})
    assert [t["id"] for t in ig_threads] == [dm["conversation_id"]]
    assert sandbox.page_replies(dm["sender_id"]) == ["Ciao!"]


def test_sdk_comment_reply_hide_and_instagram_reply(sandbox, api, receiver):
    post = Page(TRATTORIA_ID, api=api).create_feed(params={"message": "New menu"})
    comment_id = sandbox.trigger_comment(post["id"], "Gluten free?")["comment_id"]
    reply = Comment(comment_id, api=api).create_comment(params={"message": "Yes, ask us"})
    Comment(comment_id, api=api).api_update(params={"is_hidden": True})
    read = Comment(comment_id, api=api).api_get(fields=["is_hidden", "comment_count"])
    assert read["is_hidden"] is True and read["comment_count"] == 1
    assert [c["id"] for c in sandbox.comments(parent_id=comment_id)] == [reply["id"]]
    ig = IGUser(TRATTORIA_IG_ID, api=api)
    container = ig.create_media(params={"image_url": _image_url(receiver, "r.jpg")})
    _ready(sandbox, container["id"])
    media = ig.create_media_publish(params={"creation_id": container["id"]})
    ig_comment = sandbox.trigger_comment(media["id"], "Where?")["comment_id"]
    IGComment(ig_comment, api=api).create_reply(params={"message": "Via Roma 1"})
    IGComment(ig_comment, api=api).api_update(params={"hide": True})
    assert IGComment(ig_comment, api=api).api_get(fields=["hidden"])["hidden"] is True


# -- insights, counts and batches (issue 13 item 1) -----------------------------------------------


@pytest.fixture
def insights_api(sandbox):
    token = sandbox.mint_token(MARIA_ID, INSIGHT_SCOPES, page_id=TRATTORIA_ID)["token"]
    return sdk_api(sandbox, token)


def test_sdk_get_insights_on_page_post_ig_user_and_ig_media(sandbox, insights_api, receiver):
    api = insights_api
    page = Page(TRATTORIA_ID, api=api)
    post = page.create_feed(params={"message": "Pasta night"})
    ig = IGUser(TRATTORIA_IG_ID, api=api)
    container = ig.create_media(params={"image_url": _image_url(receiver, "in.jpg")})
    _ready(sandbox, container["id"])
    media = ig.create_media_publish(params={"creation_id": container["id"]})
    sandbox.advance_clock(2 * 86400)

    page_insights = page.get_insights(
        params={"metric": ["page_media_view", "page_follows"], "period": "day"}
    )
    assert {i["name"] for i in page_insights} == {"page_media_view", "page_follows"}
    post_insights = PagePost(post["id"], api=api).get_insights(
        params={"metric": ["post_media_view", "post_reactions_by_type_total"]}
    )
    views = next(i for i in post_insights if i["name"] == "post_media_view")
    assert views["values"][0]["value"] == sandbox.figures(post["id"])["views"]
    media_insights = IGMedia(media["id"], api=api).get_insights(
        params={"metric": ["views", "reach", "saved"]}
    )
    assert [i["name"] for i in media_insights] == ["views", "reach", "saved"]
    user_insights = ig.get_insights(
        params={"metric": ["views", "reach"], "period": "day", "metric_type": "total_value"}
    )
    assert all(i["total_value"]["value"] >= 0 for i in user_insights)
    with pytest.raises(FacebookRequestError) as error:
        IGMedia(media["id"], api=api).get_insights(params={"metric": ["impressions"]})
    assert error.value.api_error_code() == 100


def test_sdk_batch_and_summary_counts(sandbox, insights_api):
    api = insights_api
    posts = [
        Page(TRATTORIA_ID, api=api).create_feed(params={"message": f"Dish {i}"}) for i in range(3)
    ]
    sandbox.advance_clock(86400)
    results: dict[str, Any] = {}
    batch = api.new_batch()
    for post in posts:
        PagePost(post["id"], api=api).get_insights(
            params={"metric": ["post_media_view"]},
            batch=batch,
            success=lambda response, post_id=post["id"]: results.update({post_id: response.json()}),
        )
    assert batch.execute() is None  # nothing to retry
    assert set(results) == {p["id"] for p in posts}
    read = PagePost(posts[0]["id"], api=api).api_get(
        fields=["reactions.limit(0).summary(true)", "comments.summary(true)", "shares"]
    )
    assert (
        read["reactions"]["summary"]["total_count"] == sandbox.figures(posts[0]["id"])["reactions"]
    )
