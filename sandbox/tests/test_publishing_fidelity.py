"""Publishing details found by driving the sandbox like Meta's own clients do (issue 10
item 11): list parameters in every encoding, expiry of unpublished photos, since/until,
carousel misuse, post edits, relative schedule times, Meta-shaped attachments,
read-after-write `fields=`, IG media fields."""

from __future__ import annotations

import json

import pytest
import requests

from sandbox.seed import TRATTORIA_ID, TRATTORIA_IG_ID
from sandbox.tests.conftest import Graph, jpeg_bytes, payloads, subscribe_page


@pytest.fixture
def trattoria(maria):
    return maria.page_tokens["Trattoria da Maria"]


def _unpublished_photo(graph, token) -> str:
    return graph.post(
        f"{TRATTORIA_ID}/photos",
        token,
        data={"published": "false"},
        files={"source": ("a.jpg", jpeg_bytes(), "image/jpeg")},
    ).json()["id"]


def _album_photo_ids(graph, token, post_id):
    body = graph.get(post_id, token, fields="attachments").json()
    return [a["target"]["id"] for a in body["attachments"]["data"][0]["subattachments"]["data"]]


# -- attached_media in every encoding ---------------------------------------------------------
def test_attached_media_form_encoded_with_indexed_json_objects(graph, trattoria):
    photos = [_unpublished_photo(graph, trattoria) for _ in range(2)]
    data = {f"attached_media[{i}]": json.dumps({"media_fbid": p}) for i, p in enumerate(photos)}
    post = graph.post(f"{TRATTORIA_ID}/feed", trattoria, data={"message": "Two", **data}).json()
    assert _album_photo_ids(graph, trattoria, post["id"]) == photos


def test_attached_media_form_encoded_with_indexed_keys(graph, trattoria):
    photos = [_unpublished_photo(graph, trattoria) for _ in range(2)]
    data = {f"attached_media[{i}][media_fbid]": p for i, p in enumerate(photos)}
    post = graph.post(f"{TRATTORIA_ID}/feed", trattoria, data={"message": "Two", **data}).json()
    assert _album_photo_ids(graph, trattoria, post["id"]) == photos


def test_attached_media_in_a_json_request_body(sandbox, trattoria):
    photos = [_unpublished_photo(Graph(sandbox), trattoria) for _ in range(2)]
    response = requests.post(
        sandbox.graph_url(f"{TRATTORIA_ID}/feed"),
        params={"access_token": trattoria, "appsecret_proof": sandbox.proof(trattoria)},
        json={"message": "JSON body", "attached_media": [{"media_fbid": p} for p in photos]},
        timeout=10,
    )
    assert _album_photo_ids(Graph(sandbox), trattoria, response.json()["id"]) == photos


def test_attached_media_naming_an_unknown_photo_is_refused_not_posted_as_text(
    sandbox, graph, trattoria
):
    before = len(sandbox.control("GET", "posts", params={"page_id": TRATTORIA_ID}))
    error = graph.post(
        f"{TRATTORIA_ID}/feed",
        trattoria,
        data={"message": "x", "attached_media[0]": json.dumps({"media_fbid": "999"})},
    ).json()["error"]
    assert error["code"] == 100 and "999" in error["message"]
    assert len(sandbox.control("GET", "posts", params={"page_id": TRATTORIA_ID})) == before


def test_unpublished_photos_expire_after_24_hours(sandbox, graph, trattoria):
    photo = _unpublished_photo(graph, trattoria)
    sandbox.advance_clock(86400 + 60)
    error = graph.post(
        f"{TRATTORIA_ID}/feed",
        trattoria,
        message="late",
        attached_media=json.dumps([{"media_fbid": photo}]),
    ).json()["error"]
    assert error["code"] == 100 and "expired" in error["message"]
    assert graph.get(photo, trattoria).json()["error"]["code"] == 100


def test_attached_photos_do_not_expire(sandbox, graph, trattoria):
    photo = _unpublished_photo(graph, trattoria)
    post = graph.post(
        f"{TRATTORIA_ID}/feed",
        trattoria,
        message="on time",
        attached_media=json.dumps([{"media_fbid": photo}]),
    ).json()
    sandbox.advance_clock(3 * 86400)
    assert graph.get(photo, trattoria).json()["id"] == photo
    attachment = graph.get(post["id"], trattoria, fields="attachments").json()["attachments"]
    assert attachment["data"][0]["target"]["id"] == photo


# -- since / until ------------------------------------------------------------------------------
def test_since_and_until_filter_feed_and_published_posts(sandbox, graph, trattoria):
    first = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="one").json()["id"]
    sandbox.advance_clock(3600)
    middle = sandbox.control("GET", "clock")["now"]
    second = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="two").json()["id"]
    for edge in ("feed", "published_posts", "posts"):
        newer = graph.get(f"{TRATTORIA_ID}/{edge}", trattoria, since=int(middle - 1)).json()
        assert [p["id"] for p in newer["data"]] == [second], edge
        older = graph.get(f"{TRATTORIA_ID}/{edge}", trattoria, until=int(middle - 60)).json()
        assert first in [p["id"] for p in older["data"]] and second not in str(older), edge
    relative = graph.get(f"{TRATTORIA_ID}/feed", trattoria, since="30 minutes ago").json()
    assert [p["id"] for p in relative["data"]] == [second]


def test_since_that_is_not_a_time_is_an_error(graph, trattoria):
    error = graph.get(f"{TRATTORIA_ID}/feed", trattoria, since="next blue moon").json()["error"]
    assert error["code"] == 100 and "since" in error["message"]


def test_since_filters_instagram_media(sandbox, graph, trattoria, receiver):
    first = _publish_image(sandbox, graph, trattoria, receiver, "one.jpg")
    sandbox.advance_clock(7200)
    second = _publish_image(sandbox, graph, trattoria, receiver, "two.jpg")
    now = sandbox.control("GET", "clock")["now"]
    media = graph.get(f"{TRATTORIA_IG_ID}/media", trattoria, since=int(now - 3600)).json()
    assert [m["id"] for m in media["data"]] == [second]
    media = graph.get(f"{TRATTORIA_IG_ID}/media", trattoria, until=int(now - 3600)).json()
    assert [m["id"] for m in media["data"]] == [first]


# -- Instagram ----------------------------------------------------------------------------------
def _container(graph, token, receiver, name, **params):
    receiver.images[name] = jpeg_bytes(1080, 1080)
    return graph.post(
        f"{TRATTORIA_IG_ID}/media",
        token,
        image_url=f"{receiver.url}/images/{name}",
        **params,
    ).json()["id"]


def _publish_image(sandbox, graph, token, receiver, name) -> str:
    container = _container(graph, token, receiver, name, caption=name)
    sandbox.control("POST", f"containers/{container}", json={"ready": True})
    return graph.post(f"{TRATTORIA_IG_ID}/media_publish", token, creation_id=container).json()["id"]


def _items(sandbox, graph, token, receiver, count=2, prefix="c"):
    ids = [
        _container(graph, token, receiver, f"{prefix}{i}.jpg", is_carousel_item="true")
        for i in range(count)
    ]
    for item in ids:
        sandbox.control("POST", f"containers/{item}", json={"ready": True})
    return ids


@pytest.mark.parametrize("encode", [json.dumps, ",".join], ids=["json-array", "comma-separated"])
def test_carousel_children_as_json_array_or_comma_separated(
    sandbox, graph, trattoria, receiver, encode
):
    items = _items(sandbox, graph, trattoria, receiver)
    parent = graph.post(
        f"{TRATTORIA_IG_ID}/media",
        trattoria,
        media_type="CAROUSEL",
        caption="Both",
        children=encode(items),
    ).json()
    assert "id" in parent, parent


def test_carousel_with_a_failed_child_is_refused(sandbox, graph, trattoria, receiver):
    items = _items(sandbox, graph, trattoria, receiver)
    sandbox.control("POST", f"containers/{items[0]}", json={"status": "ERROR"})
    error = graph.post(
        f"{TRATTORIA_IG_ID}/media",
        trattoria,
        media_type="CAROUSEL",
        children=json.dumps(items),
    ).json()["error"]
    assert (error["code"], error["error_subcode"]) == (100, 2207028)
    assert "ERROR" in error["message"]


def test_a_carousel_whose_child_fails_later_is_in_error(sandbox, graph, trattoria, receiver):
    items = _items(sandbox, graph, trattoria, receiver)
    parent = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, media_type="CAROUSEL", children=",".join(items)
    ).json()["id"]
    sandbox.control("POST", f"containers/{items[1]}", json={"status": "ERROR"})
    assert graph.get(parent, trattoria, fields="status_code").json()["status_code"] == "ERROR"
    error = graph.post(f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=parent).json()
    assert error["error"]["error_subcode"] == 2207032


def test_a_child_cannot_be_reused_in_a_second_carousel(sandbox, graph, trattoria, receiver):
    items = _items(sandbox, graph, trattoria, receiver, count=3)
    first = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, media_type="CAROUSEL", children=",".join(items[:2])
    )
    assert first.status_code == 200
    error = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, media_type="CAROUSEL", children=",".join(items[1:])
    ).json()["error"]
    assert error["code"] == 100 and "another carousel" in error["message"]


def test_a_carousel_item_cannot_be_published_on_its_own(sandbox, graph, trattoria, receiver):
    (item,) = _items(sandbox, graph, trattoria, receiver, count=1)
    error = graph.post(f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=item).json()
    assert error["error"]["code"] == 100 and "carousel item" in error["error"]["message"]
    assert sandbox.control("GET", "ig-media") == []


def test_ig_media_fields_shortcode_and_no_children_unless_carousel(
    sandbox, graph, trattoria, receiver
):
    single = _publish_image(sandbox, graph, trattoria, receiver, "s.jpg")
    body = graph.get(
        single, trattoria, fields="shortcode,permalink,media_type,thumbnail_url,children"
    ).json()
    assert len(body["shortcode"]) == 11 and body["shortcode"] in body["permalink"]
    assert body["media_type"] == "IMAGE"
    assert "children" not in body and "thumbnail_url" not in body  # thumbnails: videos only
    assert graph.get(f"{single}/children", trattoria).json() == {"data": []}
    items = _items(sandbox, graph, trattoria, receiver, prefix="k")
    parent = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, media_type="CAROUSEL", children=",".join(items)
    ).json()["id"]
    sandbox.control("POST", f"containers/{parent}", json={"ready": True})
    album = graph.post(f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=parent).json()
    body = graph.get(album["id"], trattoria, fields="media_type,children{media_type}").json()
    assert body["media_type"] == "CAROUSEL_ALBUM" and len(body["children"]["data"]) == 2


def test_reels_have_a_thumbnail_and_are_video_media(sandbox, graph, trattoria):
    container = graph.post(
        f"{TRATTORIA_IG_ID}/media",
        trattoria,
        media_type="REELS",
        video_url="https://cdn.example/v.mp4",
    ).json()["id"]
    sandbox.control("POST", f"containers/{container}", json={"ready": True})
    media = graph.post(
        f"{TRATTORIA_IG_ID}/media_publish",
        trattoria,
        creation_id=container,
        fields="media_type,media_product_type,thumbnail_url",
    ).json()
    assert media["media_type"] == "VIDEO" and media["media_product_type"] == "REELS"
    assert media["thumbnail_url"].startswith(sandbox.url)


def test_fields_on_create_calls_return_those_fields(sandbox, graph, trattoria, receiver):
    post = graph.post(
        f"{TRATTORIA_ID}/feed", trattoria, message="RAW", fields="id,permalink_url,message"
    ).json()
    assert post["message"] == "RAW" and post["permalink_url"].startswith("https://www.facebook")
    photo = graph.post(
        f"{TRATTORIA_ID}/photos",
        trattoria,
        fields="id,images",
        files={"source": ("a.jpg", jpeg_bytes(), "image/jpeg")},
    ).json()
    assert set(photo) == {"id", "post_id", "images"}
    container = graph.post(
        f"{TRATTORIA_IG_ID}/media",
        trattoria,
        image_url=_image_url(receiver, "f.jpg"),
        fields="id,status_code",
    ).json()
    assert container["status_code"] == "IN_PROGRESS"
    sandbox.control("POST", f"containers/{container['id']}", json={"ready": True})
    media = graph.post(
        f"{TRATTORIA_IG_ID}/media_publish",
        trattoria,
        creation_id=container["id"],
        fields="id,permalink,shortcode",
    ).json()
    assert media["permalink"].endswith(f"/p/{media['shortcode']}/")


def _image_url(receiver, name):
    receiver.images[name] = jpeg_bytes(1080, 1080)
    return f"{receiver.url}/images/{name}"


# -- Facebook posts: edit, delete, schedule, attachments ---------------------------------------
def test_edit_a_post_message_emits_edited(sandbox, graph, trattoria, receiver, maria):
    subscribe_page(graph, trattoria)
    post = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Typo").json()["id"]
    assert graph.post(post, trattoria, message="Fixed").json() == {"success": True}
    assert graph.get(post, trattoria, fields="message").json()["message"] == "Fixed"
    sandbox.flush_webhooks()
    verbs = [
        c["value"]["verb"] for p in payloads(receiver) for e in p["entry"] for c in e["changes"]
    ]
    assert verbs == ["add", "edited"]


def test_edit_refuses_changing_the_link_and_empty_edits(graph, trattoria):
    post = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="x").json()["id"]
    assert graph.post(post, trattoria, link="https://x.example").json()["error"]["code"] == 100
    assert graph.post(post, trattoria).json()["error"]["code"] == 100


def test_edit_needs_a_page_token(graph, maria, trattoria):
    post = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="x").json()["id"]
    assert graph.post(post, maria.user_token, message="y").json()["error"]["code"] == 200


def test_edit_publishes_or_reschedules_an_unpublished_post(sandbox, graph, trattoria):
    post = _schedule(graph, trattoria, "+2 hours").json()["id"]
    moved = graph.post(post, trattoria, scheduled_publish_time="+3 hours").json()
    assert moved == {"success": True}
    now = sandbox.control("GET", "clock")["now"]
    when = graph.get(post, trattoria, fields="scheduled_publish_time").json()
    assert abs(when["scheduled_publish_time"] - (now + 3 * 3600)) < 5
    assert graph.post(post, trattoria, is_published="true").json() == {"success": True}
    assert graph.get(post, trattoria, fields="is_published").json()["is_published"] is True
    error = graph.post(post, trattoria, scheduled_publish_time="+4 hours").json()["error"]
    assert error["code"] == 100


def _schedule(graph, token, when):
    return graph.post(
        f"{TRATTORIA_ID}/feed",
        token,
        message=f"at {when}",
        published="false",
        scheduled_publish_time=when,
    )


def test_delete_a_post_then_it_is_gone(graph, trattoria):
    post = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="bye").json()["id"]
    assert graph.call("DELETE", post, trattoria).json() == {"success": True}
    assert graph.get(post, trattoria).json()["error"]["code"] == 100


@pytest.mark.parametrize(
    ("when", "ahead"),
    [("+2 hours", 7200), ("+1 day", 86400), ("+1 week", 7 * 86400)],
)
def test_relative_scheduled_publish_time(sandbox, graph, trattoria, when, ahead):
    post = _schedule(graph, trattoria, when).json()["id"]
    now = sandbox.control("GET", "clock")["now"]
    scheduled = graph.get(post, trattoria, fields="scheduled_publish_time").json()
    assert abs(scheduled["scheduled_publish_time"] - (now + ahead)) < 5


@pytest.mark.parametrize("when", ["+5 minutes", "+40 days", "whenever"])
def test_relative_scheduled_publish_time_outside_the_window_is_invalid(graph, trattoria, when):
    error = _schedule(graph, trattoria, when).json()["error"]
    assert error["message"] == "(#100) The specified scheduled publish time is invalid."


def test_attachments_of_a_one_photo_post_and_a_link_post(graph, trattoria):
    photo = graph.post(
        f"{TRATTORIA_ID}/photos",
        trattoria,
        data={"caption": "Tiramisu"},
        files={"source": ("a.jpg", jpeg_bytes(640, 480), "image/jpeg")},
    ).json()
    body = graph.get(photo["post_id"], trattoria, fields="attachments").json()
    (attachment,) = body["attachments"]["data"]
    assert attachment["type"] == attachment["media_type"] == "photo"
    assert attachment["target"]["id"] == photo["id"]
    assert attachment["media"]["image"]["width"] == 640
    assert requests.get(attachment["media"]["image"]["src"], timeout=5).status_code == 200
    assert "subattachments" not in attachment and "paging" not in body["attachments"]
    link = graph.post(
        f"{TRATTORIA_ID}/feed", trattoria, message="menu", link="https://t.example/menu"
    ).json()["id"]
    (share,) = graph.get(link, trattoria, fields="attachments{type,url}").json()["attachments"][
        "data"
    ]
    assert share == {"type": "share", "url": "https://t.example/menu"}


def test_photo_upload_accepts_any_file_field_name(graph, trattoria):
    body = graph.post(
        f"{TRATTORIA_ID}/photos",
        trattoria,
        files={"source0": ("a.jpg", jpeg_bytes(), "image/jpeg")},
    ).json()
    assert "post_id" in body


def test_a_json_body_that_is_not_json_is_a_graph_error(sandbox, trattoria):
    response = requests.post(
        sandbox.graph_url(f"{TRATTORIA_ID}/feed"),
        params={"access_token": trattoria, "appsecret_proof": sandbox.proof(trattoria)},
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    error = response.json()["error"]
    assert response.status_code == 400 and error["code"] == 100 and error["fbtrace_id"]
