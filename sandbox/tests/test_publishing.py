"""Checklist "Publishing" (graph-api.md §5)."""

from __future__ import annotations

import json

import pytest
import requests

from sandbox.seed import TRATTORIA_ID, TRATTORIA_IG_ID
from sandbox.tests.conftest import Graph, jpeg_bytes, payloads, png_bytes, subscribe_page


@pytest.fixture
def trattoria(maria):
    return maria.page_tokens["Trattoria da Maria"]


# -- Facebook Page ------------------------------------------------------------------------------
def test_feed_post_returns_page_scoped_post_id(graph, trattoria):
    body = graph.post(
        f"{TRATTORIA_ID}/feed", trattoria, message="Tonight: truffle tagliatelle"
    ).json()
    assert body["id"].startswith(TRATTORIA_ID + "_")
    post = graph.get(body["id"], trattoria, fields="message,is_published,permalink_url").json()
    assert post["message"] == "Tonight: truffle tagliatelle" and post["is_published"] is True


def test_feed_post_needs_a_page_token(graph, maria):
    error = graph.post(f"{TRATTORIA_ID}/feed", maria.user_token, message="x").json()["error"]
    assert error["code"] == 200


def test_feed_post_needs_pages_manage_posts(sandbox, graph):
    user = sandbox.user_by_name("Maria Rossi")["id"]
    token = sandbox.mint_token(
        user, ["pages_show_list", "pages_read_engagement"], page_id=TRATTORIA_ID
    )["token"]
    assert graph.post(f"{TRATTORIA_ID}/feed", token, message="x").json()["error"]["code"] == 200


def test_feed_post_with_link_and_unpublished(graph, trattoria, sandbox):
    body = graph.post(
        f"{TRATTORIA_ID}/feed",
        trattoria,
        message="menu",
        link="https://trattoria.example/menu",
        published="false",
    ).json()
    post = graph.get(body["id"], trattoria, fields="link,is_published").json()
    assert post == {
        "link": "https://trattoria.example/menu",
        "is_published": False,
        "id": body["id"],
    }


@pytest.mark.parametrize("ahead", [0, 599, 30 * 86400 + 60])
def test_scheduled_publish_time_outside_10_minutes_to_30_days_is_invalid(
    graph, sandbox, trattoria, ahead
):
    now = sandbox.control("GET", "clock")["now"]
    error = graph.post(
        f"{TRATTORIA_ID}/feed",
        trattoria,
        message="later",
        published="false",
        scheduled_publish_time=int(now + ahead),
    ).json()["error"]
    assert (
        error["code"] == 100
        and error["message"] == "(#100) The specified scheduled publish time is invalid."
    )


def test_scheduled_publish_time_requires_published_false(graph, sandbox, trattoria):
    now = sandbox.control("GET", "clock")["now"]
    error = graph.post(
        f"{TRATTORIA_ID}/feed", trattoria, message="later", scheduled_publish_time=int(now + 3600)
    ).json()["error"]
    assert error["code"] == 100


def test_scheduled_post_goes_live_at_its_time_and_emits_a_feed_webhook(
    sandbox, graph, trattoria, receiver
):
    subscribe_page(graph, trattoria)
    now = sandbox.control("GET", "clock")["now"]
    post_id = graph.post(
        f"{TRATTORIA_ID}/feed",
        trattoria,
        message="Sunday brunch",
        published="false",
        scheduled_publish_time=int(now + 3600),
    ).json()["id"]
    scheduled = graph.get(f"{TRATTORIA_ID}/scheduled_posts", trattoria).json()["data"]
    assert [p["id"] for p in scheduled] == [post_id]
    assert sandbox.flush_webhooks() == []  # nothing published yet
    sandbox.advance_clock(3601)
    assert graph.get(post_id, trattoria, fields="is_published").json()["is_published"] is True
    sandbox.flush_webhooks()
    change = payloads(receiver)[0]["entry"][0]["changes"][0]
    assert change["field"] == "feed"
    assert {k: change["value"][k] for k in ("item", "verb", "published", "post_id")} == {
        "item": "status",
        "verb": "add",
        "published": 1,
        "post_id": post_id,
    }


def test_duplicate_consecutive_message_is_error_506(graph, trattoria):
    assert graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Same words").status_code == 200
    error = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Same words").json()["error"]
    assert error["code"] == 506 and error["message"] == "(#506) Duplicate status message"
    assert graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Other words").status_code == 200
    assert graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Same words").status_code == 200


def test_photo_by_multipart_source_returns_id_and_post_id(sandbox, graph, trattoria):
    data = jpeg_bytes(640, 480)
    body = graph.post(
        f"{TRATTORIA_ID}/photos",
        trattoria,
        data={"caption": "Our terrace"},
        files={"source": ("terrace.jpg", data, "image/jpeg")},
    ).json()
    assert set(body) == {"id", "post_id"} and body["post_id"].startswith(TRATTORIA_ID + "_")
    photo = next(p for p in sandbox.control("GET", "photos") if p["id"] == body["id"])
    assert photo["bytes"] == len(data) and (photo["width"], photo["height"]) == (640, 480)
    post = graph.get(body["post_id"], trattoria, fields="message,full_picture").json()
    assert (
        post["message"] == "Our terrace"
        and requests.get(post["full_picture"], timeout=5).content == data
    )


def test_photo_by_url_is_fetched_over_http(graph, trattoria, receiver, sandbox):
    receiver.images["dish.png"] = png_bytes(300, 300)
    body = graph.post(
        f"{TRATTORIA_ID}/photos", trattoria, url=f"{receiver.url}/images/dish.png", caption="dish"
    ).json()
    assert "post_id" in body
    assert (
        requests.get(f"{sandbox.url}/_sandbox/photos/{body['id']}.jpg", timeout=5).content
        == receiver.images["dish.png"]
    )


def test_a_photo_url_larger_than_the_limit_is_refused_not_truncated(graph, trattoria, receiver):
    # A valid JPEG head followed by padding: truncated at any point it still decodes.
    receiver.images["huge.jpg"] = jpeg_bytes(400, 400) + b"\x00" * (10 * 1024 * 1024)
    error = graph.post(
        f"{TRATTORIA_ID}/photos", trattoria, url=f"{receiver.url}/images/huge.jpg"
    ).json()["error"]
    assert error["code"] == 324
    assert "larger than" in error["message"]


def test_photo_bytes_that_are_not_an_image_are_refused(graph, trattoria):
    error = graph.post(
        f"{TRATTORIA_ID}/photos",
        trattoria,
        files={"source": ("x.jpg", b"\xff\xd8\xffnot really", "image/jpeg")},
    ).json()["error"]
    assert error["code"] == 324
    assert graph.post(f"{TRATTORIA_ID}/photos", trattoria).json()["error"]["code"] == 324


def test_photo_emits_a_feed_webhook_with_item_photo(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria)
    body = graph.post(
        f"{TRATTORIA_ID}/photos", trattoria, files={"source": ("a.jpg", jpeg_bytes(), "image/jpeg")}
    ).json()
    sandbox.flush_webhooks()
    value = payloads(receiver)[0]["entry"][0]["changes"][0]["value"]
    assert value["item"] == "photo" and value["verb"] == "add" and value["photo_id"] == body["id"]
    assert value["post_id"] == body["post_id"]


def test_unpublished_photos_attach_to_a_feed_post(graph, trattoria):
    ids = [
        graph.post(
            f"{TRATTORIA_ID}/photos",
            trattoria,
            data={"published": "false"},
            files={"source": ("a.jpg", jpeg_bytes(), "image/jpeg")},
        ).json()
        for _ in range(2)
    ]
    assert all(set(i) == {"id"} for i in ids)
    post = graph.post(
        f"{TRATTORIA_ID}/feed",
        trattoria,
        message="Two dishes",
        attached_media=json.dumps([{"media_fbid": i["id"]} for i in ids]),
    ).json()
    attachments = graph.get(post["id"], trattoria, fields="attachments").json()["attachments"][
        "data"
    ]
    assert [a["type"] for a in attachments] == ["album"]
    photos = attachments[0]["subattachments"]["data"]
    assert [a["target"]["id"] for a in photos] == [i["id"] for i in ids]
    again = graph.post(
        f"{TRATTORIA_ID}/feed",
        trattoria,
        message="Again",
        attached_media=json.dumps([{"media_fbid": ids[0]["id"]}]),
    )
    assert again.json()["error"]["code"] == 100


def test_get_and_delete_a_post(sandbox, graph, trattoria, receiver):
    subscribe_page(graph, trattoria)
    post_id = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Temporary").json()["id"]
    assert graph.get(post_id, trattoria).json()["message"] == "Temporary"
    assert graph.call("DELETE", post_id, trattoria).json() == {"success": True}
    assert graph.get(post_id, trattoria).json()["error"]["code"] == 100
    sandbox.flush_webhooks()
    verbs = [
        c["value"]["verb"] for p in payloads(receiver) for e in p["entry"] for c in e["changes"]
    ]
    assert verbs == ["add", "remove"]


def test_published_posts_lists_newest_first_without_unpublished(graph, trattoria):
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="hidden", published="false")
    graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="visible")
    messages = [
        p.get("message")
        for p in graph.get(f"{TRATTORIA_ID}/published_posts", trattoria).json()["data"]
    ]
    assert messages[0] == "visible" and "hidden" not in messages


def test_page_replies_to_a_comment(sandbox, graph, trattoria):
    post_id = graph.post(f"{TRATTORIA_ID}/feed", trattoria, message="Ask us").json()["id"]
    comment_id = sandbox.trigger_comment(post_id, "Gluten free?")["comment_id"]
    reply = graph.post(f"{comment_id}/comments", trattoria, message="Yes, on request!").json()
    replies = graph.get(f"{comment_id}/comments", trattoria).json()["data"]
    assert [r["id"] for r in replies] == [reply["id"]] and replies[0]["from"]["id"] == TRATTORIA_ID


# -- Instagram ---------------------------------------------------------------------------------
def _container(graph, token, receiver, name="a.jpg", data=None, **params):
    receiver.images[name] = data if data is not None else jpeg_bytes(1080, 1080)
    return graph.post(
        f"{TRATTORIA_IG_ID}/media", token, image_url=f"{receiver.url}/images/{name}", **params
    )


def test_ig_media_fetches_image_url_and_returns_a_container(graph, trattoria, receiver):
    body = _container(graph, trattoria, receiver, caption="Pasta #fresh").json()
    assert list(body) == ["id"]
    status = graph.get(body["id"], trattoria, fields="status_code,status").json()
    assert status["status_code"] == "IN_PROGRESS"


@pytest.mark.parametrize(
    ("data", "code", "subcode"),
    [
        (png_bytes(1000, 1000), 36001, 2207005),
        (b"GIF89a not an image", 36001, 2207005),
        (jpeg_bytes(1000, 400), 36003, 2207009),
        (jpeg_bytes(700, 1000), 36003, 2207009),
    ],
    ids=["png", "garbage", "too-wide", "too-tall"],
)
def test_ig_media_rejects_non_jpeg_and_bad_ratios(graph, trattoria, receiver, data, code, subcode):
    error = _container(graph, trattoria, receiver, data=data).json()["error"]
    assert (error["code"], error["error_subcode"]) == (code, subcode)


def test_ig_media_accepts_ratio_limits(graph, trattoria, receiver):
    assert _container(graph, trattoria, receiver, "p.jpg", jpeg_bytes(800, 1000)).status_code == 200
    assert (
        _container(graph, trattoria, receiver, "l.jpg", jpeg_bytes(1910, 1000)).status_code == 200
    )


def test_ig_media_rejects_images_over_8_mib(graph, trattoria, receiver):
    big = jpeg_bytes(3000, 3000, quality=100, noise=True)
    big = big + b"\x00" * max(0, 8 * 1024 * 1024 + 1 - len(big))
    error = _container(graph, trattoria, receiver, data=big).json()["error"]
    assert (error["code"], error["error_subcode"]) == (36000, 2207004)


@pytest.mark.parametrize(
    ("caption", "code", "subcode"),
    [
        ("x" * 2201, 36004, 2207010),
        (" ".join(f"#t{i}" for i in range(31)), 36004, 2207010),
        (" ".join(f"@u{i}" for i in range(21)), 100, 2207040),
    ],
    ids=["too-long", "31-hashtags", "21-mentions"],
)
def test_ig_media_caption_limits(graph, trattoria, receiver, caption, code, subcode):
    error = _container(graph, trattoria, receiver, caption=caption).json()["error"]
    assert (error["code"], error["error_subcode"]) == (code, subcode)


def test_ig_media_caption_at_the_limits_is_fine(graph, trattoria, receiver):
    caption = " ".join(f"#t{i}" for i in range(30)) + " " + " ".join(f"@u{i}" for i in range(20))
    assert _container(graph, trattoria, receiver, caption=caption).status_code == 200


def test_ig_media_refuses_loopback_and_private_urls_unless_allowed(graph_sandbox_factory, receiver):
    sb = graph_sandbox_factory(fetch_allow_hosts=[])
    graph = Graph(sb)
    user = sb.user_by_name("Maria Rossi")["id"]
    token = sb.mint_token(
        user,
        ["instagram_basic", "instagram_content_publish", "pages_show_list"],
        page_id=TRATTORIA_ID,
    )["token"]
    receiver.images["a.jpg"] = jpeg_bytes()
    for url in (
        f"{receiver.url}/images/a.jpg",
        "http://localhost/a.jpg",
        "http://192.168.1.10/a.jpg",
        "http://169.254.169.254/",
    ):
        error = graph.post(f"{TRATTORIA_IG_ID}/media", token, image_url=url).json()["error"]
        assert (error["code"], error["error_subcode"]) == (9004, 2207052), url


def test_ig_media_fetch_failure_is_9004(graph, trattoria, receiver):
    error = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, image_url=f"{receiver.url}/images/missing.jpg"
    ).json()["error"]
    assert (error["code"], error["error_subcode"]) == (9004, 2207052)


def test_ig_media_fetch_timeout_is_2207003(graph, trattoria, receiver):
    receiver.images["s.jpg"] = jpeg_bytes()
    receiver.slow_seconds = 2.5  # the test sandbox's fetch timeout is 2 s
    error = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, image_url=f"{receiver.url}/images/slow/s.jpg"
    ).json()["error"]
    assert (error["code"], error["error_subcode"], error["is_transient"]) == (-2, 2207003, True)


def test_ig_carousel_needs_2_to_10_carousel_items(graph, trattoria, receiver):
    items = [
        _container(graph, trattoria, receiver, f"c{i}.jpg", is_carousel_item="true").json()["id"]
        for i in range(3)
    ]
    ok = graph.post(
        f"{TRATTORIA_IG_ID}/media",
        trattoria,
        media_type="CAROUSEL",
        children=",".join(items),
        caption="Three",
    )
    assert ok.status_code == 200
    one = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, media_type="CAROUSEL", children=items[0]
    ).json()["error"]
    assert (one["code"], one["error_subcode"]) == (100, 2207028)
    eleven = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, media_type="CAROUSEL", children=",".join(items * 4)
    ).json()["error"]
    assert eleven["error_subcode"] == 2207028
    plain = _container(graph, trattoria, receiver, "plain.jpg").json()["id"]
    mixed = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, media_type="CAROUSEL", children=f"{items[0]},{plain}"
    ).json()["error"]
    assert mixed["error_subcode"] == 2207028


def test_ig_container_limit_400_per_24_hours(sandbox, graph, trattoria, receiver):
    sandbox.control("POST", "limits", json={"container_limit": 2})
    assert _container(graph, trattoria, receiver).status_code == 200
    assert _container(graph, trattoria, receiver).status_code == 200
    assert _container(graph, trattoria, receiver).status_code == 400
    sandbox.advance_clock(86401)
    assert _container(graph, trattoria, receiver).status_code == 200
    assert sandbox.control("GET", "limits")["container_limit"] == 2


def test_ig_container_state_machine(sandbox, graph, trattoria, receiver):
    container = _container(graph, trattoria, receiver).json()["id"]
    status = lambda: graph.get(container, trattoria, fields="status_code").json()["status_code"]  # noqa: E731
    assert status() == "IN_PROGRESS"
    sandbox.advance_clock(3)
    assert status() == "FINISHED"
    graph.post(f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=container)
    assert status() == "PUBLISHED"
    stale = _container(graph, trattoria, receiver, "b.jpg").json()["id"]
    sandbox.advance_clock(86400)
    assert graph.get(stale, trattoria, fields="status_code").json()["status_code"] == "EXPIRED"


def test_ig_container_error_status_carries_the_subcode(sandbox, graph, trattoria, receiver):
    container = _container(graph, trattoria, receiver).json()["id"]
    sandbox.control("POST", f"containers/{container}", json={"status": "ERROR", "subcode": 2207026})
    body = graph.get(container, trattoria, fields="status_code,status").json()
    assert body["status_code"] == "ERROR" and "2207026" in body["status"]


def test_media_publish_errors_and_success(sandbox, graph, trattoria, receiver):
    container = _container(graph, trattoria, receiver).json()["id"]
    publish = lambda cid: graph.post(f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=cid)  # noqa: E731
    not_ready = publish(container).json()["error"]
    assert (not_ready["code"], not_ready["error_subcode"]) == (9007, 2207027)
    unknown = publish("17900000000000000").json()["error"]
    assert (unknown["code"], unknown["error_subcode"]) == (24, 2207006)
    sandbox.advance_clock(5)
    media = publish(container).json()
    assert list(media) == ["id"] and media["id"] != container
    twice = publish(container).json()["error"]
    assert twice["code"] == 24
    listed = graph.get(
        f"{TRATTORIA_IG_ID}/media", trattoria, fields="id,media_type,media_url"
    ).json()["data"]
    assert (
        listed[0]["id"] == media["id"]
        and requests.get(listed[0]["media_url"], timeout=5).content[:3] == b"\xff\xd8\xff"
    )
    expired = _container(graph, trattoria, receiver, "e.jpg").json()["id"]
    sandbox.advance_clock(86400)
    error = publish(expired).json()["error"]
    assert (error["code"], error["error_subcode"]) == (-2, 2207020)


def test_media_publish_enforces_the_publishing_limit(sandbox, graph, trattoria, receiver):
    sandbox.control("POST", "limits", json={"publish_limit": 2, "container_processing_seconds": 0})
    containers = [_container(graph, trattoria, receiver, f"{i}.jpg").json()["id"] for i in range(3)]
    for cid in containers[:2]:
        assert (
            graph.post(f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=cid).status_code
            == 200
        )
    error = graph.post(
        f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=containers[2]
    ).json()["error"]
    assert (error["code"], error["error_subcode"]) == (9, 2207042)


def test_carousel_publishes_as_one_post(sandbox, graph, trattoria, receiver):
    sandbox.control("POST", "limits", json={"container_processing_seconds": 0})
    items = [
        _container(graph, trattoria, receiver, f"c{i}.jpg", is_carousel_item="true").json()["id"]
        for i in range(2)
    ]
    parent = graph.post(
        f"{TRATTORIA_IG_ID}/media", trattoria, media_type="CAROUSEL", children=",".join(items)
    ).json()["id"]
    media = graph.post(f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=parent).json()[
        "id"
    ]
    body = graph.get(media, trattoria, fields="media_type,children").json()
    assert body["media_type"] == "CAROUSEL_ALBUM" and len(body["children"]["data"]) == 2
    usage = graph.get(f"{TRATTORIA_IG_ID}/content_publishing_limit", trattoria).json()
    assert usage == {"data": [{"quota_usage": 1}]}


def test_content_publishing_limit_reports_usage_config_and_since(
    sandbox, graph, trattoria, receiver
):
    sandbox.control("POST", "limits", json={"container_processing_seconds": 0})
    container = _container(graph, trattoria, receiver).json()["id"]
    graph.post(f"{TRATTORIA_IG_ID}/media_publish", trattoria, creation_id=container)
    now = sandbox.control("GET", "clock")["now"]
    body = graph.get(
        f"{TRATTORIA_IG_ID}/content_publishing_limit",
        trattoria,
        fields="quota_usage,config",
        since=int(now - 3600),
    ).json()
    assert body == {
        "data": [{"quota_usage": 1, "config": {"quota_total": 50, "quota_duration": 86400}}]
    }
    later = graph.get(
        f"{TRATTORIA_IG_ID}/content_publishing_limit", trattoria, since=int(now + 10)
    ).json()
    assert later["data"][0]["quota_usage"] == 0
    sandbox.advance_clock(86401)
    assert (
        graph.get(f"{TRATTORIA_IG_ID}/content_publishing_limit", trattoria).json()["data"][0][
            "quota_usage"
        ]
        == 0
    )


def test_instagram_publishing_needs_instagram_content_publish(sandbox, graph, receiver):
    user = sandbox.user_by_name("Maria Rossi")["id"]
    token = sandbox.mint_token(user, ["instagram_basic", "pages_show_list"], page_id=TRATTORIA_ID)[
        "token"
    ]
    error = _container(graph, token, receiver).json()["error"]
    assert error["code"] == 10
