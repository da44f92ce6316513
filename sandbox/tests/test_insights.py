"""Insights and counts (issue 13 item 1): Meta's response shape with current metric names,
documented errors, deterministic figures that grow with the sandbox clock, real comments
and reactions counted, a control call to set figures, `summary(true)` counts, multi-id
reads and batch requests."""

from __future__ import annotations

import json

import pytest

from sandbox.seed import MARIA_ID, TRATTORIA_ID, TRATTORIA_IG_ID
from sandbox.testing import INSIGHT_SCOPES
from sandbox.tests.conftest import Graph, jpeg_bytes


@pytest.fixture
def token(sandbox):
    return sandbox.mint_token(MARIA_ID, INSIGHT_SCOPES, page_id=TRATTORIA_ID)["token"]


@pytest.fixture
def post_id(graph, token):
    return graph.post(f"{TRATTORIA_ID}/feed", token, message="Truffle week").json()["id"]


def _publish_ig(sandbox, graph, token, receiver, name="i.jpg", **params):
    receiver.images[name] = jpeg_bytes(1080, 1080)
    container = graph.post(
        f"{TRATTORIA_IG_ID}/media", token, image_url=f"{receiver.url}/images/{name}", **params
    ).json()["id"]
    sandbox.control("POST", f"containers/{container}", json={"ready": True})
    return graph.post(f"{TRATTORIA_IG_ID}/media_publish", token, creation_id=container).json()["id"]


def _values(body):
    return {d["name"]: d["values"][0]["value"] for d in body["data"]}


# -- post insights ------------------------------------------------------------------------------
def test_post_insights_shape_and_growth(sandbox, graph, token, post_id):
    sandbox.advance_clock(3600)
    body = graph.get(
        f"{post_id}/insights", token, metric="post_media_view,post_total_media_view_unique"
    ).json()
    (first,) = [d for d in body["data"] if d["name"] == "post_media_view"]
    assert set(first) == {"name", "period", "values", "title", "description", "id"}
    assert (
        first["period"] == "lifetime"
        and first["id"] == f"{post_id}/insights/post_media_view/lifetime"
    )
    hour = _values(body)
    sandbox.advance_clock(3 * 86400)
    later = _values(
        graph.get(
            f"{post_id}/insights", token, metric="post_media_view,post_total_media_view_unique"
        ).json()
    )
    assert 0 < hour["post_media_view"] < later["post_media_view"]
    assert later["post_total_media_view_unique"] <= later["post_media_view"]
    again = _values(graph.get(f"{post_id}/insights", token, metric="post_media_view").json())
    assert again["post_media_view"] == later["post_media_view"]  # deterministic


def test_post_insights_single_metric_path_and_sdk_array(sandbox, graph, token, post_id):
    sandbox.advance_clock(86400)
    body = graph.get(f"{post_id}/insights/post_clicks", token).json()
    assert [d["name"] for d in body["data"]] == ["post_clicks"]
    as_array = graph.get(f"{post_id}/insights", token, metric=json.dumps(["post_clicks"])).json()
    assert as_array["data"][0]["values"] == body["data"][0]["values"]


def test_post_reactions_count_real_reactions(sandbox, graph, token, post_id):
    sandbox.advance_clock(86400)
    before = _values(
        graph.get(f"{post_id}/insights", token, metric="post_reactions_by_type_total").json()
    )
    sandbox.trigger_post_reaction(post_id, "love", author_name="Sara")
    after = _values(
        graph.get(f"{post_id}/insights", token, metric="post_reactions_by_type_total").json()
    )
    assert (
        after["post_reactions_by_type_total"]["love"]
        == before["post_reactions_by_type_total"].get("love", 0) + 1
    )
    body = graph.get(post_id, token, fields="reactions.limit(1).summary(true)").json()
    assert body["reactions"]["data"][0]["name"] == "Sara"
    assert body["reactions"]["summary"]["total_count"] == sum(
        after["post_reactions_by_type_total"].values()
    )


@pytest.mark.parametrize(
    ("metric", "code", "text"),
    [
        ("post_impressions", 100, "post_media_view"),
        ("post_engaged_users", 100, "deprecated"),
        ("post_everything", 100, "valid insights metric"),
    ],
)
def test_post_insights_invalid_and_deprecated_metrics(graph, token, post_id, metric, code, text):
    error = graph.get(f"{post_id}/insights", token, metric=metric).json()["error"]
    assert error["code"] == code and text in error["message"]
    assert error["message"].startswith("(#100) The value must be a valid insights metric")


def test_insights_without_a_metric_is_3001(graph, token, post_id):
    error = graph.get(f"{post_id}/insights", token).json()["error"]
    assert (error["code"], error["error_subcode"]) == (3001, 1504028)
    assert error["error_user_title"] == "No Metric Specified"


def test_page_and_post_insights_need_read_insights_and_a_page_token(sandbox, graph, post_id, maria):
    no_insights = sandbox.mint_token(
        MARIA_ID, ["pages_show_list", "pages_read_engagement"], page_id=TRATTORIA_ID
    )["token"]
    error = graph.get(f"{post_id}/insights", no_insights, metric="post_clicks").json()["error"]
    assert error["code"] == 10 and "read_insights" in error["message"]
    error = graph.get(f"{TRATTORIA_ID}/insights", maria.user_token, metric="page_follows").json()
    assert error["error"]["code"] == 190


# -- Page insights -----------------------------------------------------------------------------------
def test_page_insights_daily_values_with_end_times(sandbox, graph, token, post_id):
    sandbox.advance_clock(5 * 86400)
    now = sandbox.control("GET", "clock")["now"]
    body = graph.get(
        f"{TRATTORIA_ID}/insights",
        token,
        metric="page_media_view,page_follows,page_post_engagements",
        period="day",
        since=int(now - 7 * 86400),
        until=int(now),
    ).json()
    views = next(d for d in body["data"] if d["name"] == "page_media_view")
    assert views["period"] == "day" and len(views["values"]) == 7
    assert all(
        v["end_time"].endswith(("T07:00:00+0000", "T08:00:00+0000")) for v in views["values"]
    )
    assert all(v["value"] > 0 for v in views["values"])
    follows = next(d for d in body["data"] if d["name"] == "page_follows")
    assert follows["values"][-1]["value"] <= 2841


def test_page_insights_deprecated_range_and_period_errors(sandbox, graph, token):
    for metric in ("page_impressions", "page_fans", "page_engaged_users"):
        error = graph.get(f"{TRATTORIA_ID}/insights", token, metric=metric).json()["error"]
        assert error["code"] == 100 and "deprecated" in error["message"]
    now = sandbox.control("GET", "clock")["now"]
    error = graph.get(
        f"{TRATTORIA_ID}/insights",
        token,
        metric="page_media_view",
        since=int(now - 100 * 86400),
        until=int(now),
    ).json()["error"]
    assert error["code"] == 100 and "90 days" in error["message"]
    error = graph.get(
        f"{TRATTORIA_ID}/insights", token, metric="page_follows", period="lifetime"
    ).json()["error"]
    assert error["code"] == 100


# -- Instagram ---------------------------------------------------------------------------------------
def test_ig_media_insights_not_enough_viewers_then_figures(sandbox, graph, token, receiver):
    media = _publish_ig(sandbox, graph, token, receiver)
    assert graph.get(f"{media}/insights", token, metric="views").json() == {"data": []}
    sandbox.advance_clock(61)  # figures exist, but under ten accounts reached
    error = graph.get(f"{media}/insights", token, metric="views,reach").json()["error"]
    assert error["code"] == 10 and "Not enough viewers" in error["message"]
    sandbox.advance_clock(2 * 86400)
    body = graph.get(
        f"{media}/insights", token, metric="views,reach,saved,total_interactions"
    ).json()
    values = _values(body)
    assert values["views"] >= values["reach"] > 0
    assert body["data"][0]["id"] == f"{media}/insights/views/lifetime"


def test_ig_media_retired_and_unknown_metrics(sandbox, graph, token, receiver):
    media = _publish_ig(sandbox, graph, token, receiver)
    sandbox.advance_clock(86400)
    error = graph.get(f"{media}/insights", token, metric="impressions").json()["error"]
    assert error["code"] == 100 and "views" in error["message"] and "no longer" in error["message"]
    error = graph.get(f"{media}/insights", token, metric="reach,vibes").json()["error"]
    assert error["message"].startswith("(#100) metric[1] must be one of the following values")
    error = graph.get(f"{media}/insights", token, metric="ig_reels_avg_watch_time").json()["error"]
    assert error["code"] == 100 and "FEED" in error["message"]


def test_ig_insights_need_instagram_manage_insights(sandbox, graph, receiver, token):
    media = _publish_ig(sandbox, graph, token, receiver)
    plain = sandbox.mint_token(
        MARIA_ID,
        ["pages_show_list", "pages_read_engagement", "instagram_basic"],
        page_id=TRATTORIA_ID,
    )["token"]
    error = graph.get(f"{media}/insights", plain, metric="views").json()["error"]
    assert error["code"] == 10 and "instagram_manage_insights" in error["message"]


def test_control_sets_figures_and_counts_follow(sandbox, graph, token, receiver):
    media = _publish_ig(sandbox, graph, token, receiver)
    sandbox.advance_clock(120)
    sandbox.set_figures(media, views=5000, reach=4200, likes=321, saves=12)
    values = _values(graph.get(f"{media}/insights", token, metric="views,reach,likes,saved").json())
    assert values == {"views": 5000, "reach": 4200, "likes": 321, "saved": 12}
    body = graph.get(media, token, fields="like_count,comments_count").json()
    assert body["like_count"] == 321 and body["comments_count"] == 0
    sandbox.trigger_comment(media, "Wow")
    assert graph.get(media, token, fields="comments_count").json()["comments_count"] == 1
    sandbox.set_figures(media, not_enough_viewers=True)
    assert graph.get(f"{media}/insights", token, metric="views").json()["error"]["code"] == 10
    sandbox.control("DELETE", f"insights/{media}")
    assert sandbox.figures(media)["views"] != 5000


def test_control_refuses_unknown_figures(sandbox, post_id):
    with pytest.raises(AssertionError, match="unknown figures"):
        sandbox.set_figures(post_id, impressions=5)


def test_ig_user_insights_total_value_and_time_series(sandbox, graph, token, receiver):
    _publish_ig(sandbox, graph, token, receiver)
    sandbox.advance_clock(3 * 86400)
    totals = graph.get(
        f"{TRATTORIA_IG_ID}/insights",
        token,
        metric="views,reach,accounts_engaged,total_interactions",
        period="day",
        metric_type="total_value",
    ).json()
    assert all("total_value" in d and "values" not in d for d in totals["data"])
    series = graph.get(
        f"{TRATTORIA_IG_ID}/insights", token, metric="reach,follower_count", period="day"
    ).json()
    assert all(len(d["values"]) == 2 for d in series["data"])
    error = graph.get(f"{TRATTORIA_IG_ID}/insights", token, metric="views", period="day").json()
    assert "metric_type=total_value" in error["error"]["message"]
    error = graph.get(f"{TRATTORIA_IG_ID}/insights", token, metric="impressions").json()
    assert error["error"]["code"] == 100 and "views" in error["error"]["message"]


# -- counts, multi-id, batch ------------------------------------------------------------------------
def test_post_count_fields_with_summary(sandbox, graph, token, post_id):
    sandbox.advance_clock(2 * 86400)
    sandbox.set_figures(post_id, shares=3)  # generated figures can be 0 shares (then left out)
    sandbox.trigger_comment(post_id, "Buonissimo")
    body = graph.get(
        post_id,
        token,
        fields="reactions.limit(0).summary(true),comments.summary(true),likes.summary(1),shares",
    ).json()
    figures = sandbox.figures(post_id)
    assert body["reactions"] == {
        "data": [],
        "summary": {"viewer_reaction": "NONE", "total_count": figures["reactions"]},
    }
    assert body["comments"]["summary"]["total_count"] == 1
    assert body["likes"]["summary"]["total_count"] == figures["reactions_by_type"]["like"]
    assert body["shares"] == {"count": figures["shares"]} == {"count": 3}


def test_shares_are_left_out_until_someone_shares(sandbox, graph, token, post_id):
    sandbox.advance_clock(2 * 86400)
    sandbox.set_figures(post_id, shares=0)
    assert "shares" not in graph.get(post_id, token, fields="shares,message").json()


def test_accounts_summary_total_count(graph, maria):
    body = graph.get("me/accounts", maria.user_token, summary="true", limit=1).json()
    assert body["summary"]["total_count"] == len(maria.page_ids) and len(body["data"]) == 1


def test_multi_id_reads(sandbox, graph, token, post_id):
    second = graph.post(f"{TRATTORIA_ID}/feed", token, message="Second").json()["id"]
    body = graph.get("", token, ids=f"{post_id},{second}", fields="message").json()
    assert body == {
        post_id: {"message": "Truffle week", "id": post_id},
        second: {"message": "Second", "id": second},
    }
    sandbox.advance_clock(86400)
    insights = graph.get("insights", token, ids=f"{post_id},{second}", metric="post_clicks").json()
    assert (
        set(insights) == {post_id, second} and insights[second]["data"][0]["name"] == "post_clicks"
    )
    error = graph.get("", token, ids=f"{post_id},999", fields="message").json()["error"]
    assert error["code"] == 100
    error = graph.get("", token, ids=",".join(str(i) for i in range(51))).json()["error"]
    assert "50" in error["message"]


def test_batch_requests(sandbox, graph, token, post_id):
    sandbox.advance_clock(86400)
    before = len(sandbox.requests_log())
    batch = [
        {"method": "GET", "relative_url": f"{post_id}?fields=message"},
        {"method": "GET", "relative_url": f"v24.0/{post_id}/insights?metric=post_media_view"},
        {"method": "POST", "relative_url": f"{TRATTORIA_ID}/feed", "body": "message=From+a+batch"},
        {"method": "GET", "relative_url": f"{TRATTORIA_ID}/insights?metric=page_fans"},
    ]
    answers = graph.post("", token, batch=json.dumps(batch)).json()
    assert [a["code"] for a in answers] == [200, 200, 200, 400]
    assert json.loads(answers[0]["body"])["message"] == "Truffle week"
    assert json.loads(answers[2]["body"])["id"].startswith(TRATTORIA_ID)
    assert json.loads(answers[3]["body"])["error"]["code"] == 100
    assert {"name": "Content-Type", "value": "application/json"} in answers[0]["headers"]
    assert len(sandbox.requests_log()) == before + 5  # the batch and each of its requests


def test_batch_limits(graph, token):
    too_many = [{"method": "GET", "relative_url": "me"}] * 51
    error = graph.post("", token, batch=json.dumps(too_many)).json()["error"]
    assert error["code"] == 100 and "50" in error["message"]
    assert graph.post("", token, batch="[]").json()["error"]["code"] == 100


def test_batch_requests_without_a_token_use_the_outer_one_only(sandbox, post_id, token):
    graph = Graph(sandbox)
    answers = graph.post(
        "",
        token,
        batch=json.dumps([{"method": "GET", "relative_url": f"{post_id}?access_token=bad"}]),
    ).json()
    assert json.loads(answers[0]["body"])["error"]["code"] == 190


def test_insights_as_a_field_of_listed_posts_and_media(sandbox, graph, token, receiver, post_id):
    second = graph.post(f"{TRATTORIA_ID}/feed", token, message="Second").json()["id"]
    media = _publish_ig(sandbox, graph, token, receiver)
    sandbox.advance_clock(86400)
    body = graph.get(
        f"{TRATTORIA_ID}/published_posts",
        token,
        fields="id,insights.metric(post_media_view,post_clicks){name,values}",
        since="-2 days",
    ).json()
    by_id = {p["id"]: p["insights"]["data"] for p in body["data"]}
    assert set(by_id) == {post_id, second}
    assert [d["name"] for d in by_id[second]] == ["post_media_view", "post_clicks"]
    assert set(by_id[second][0]) == {"name", "values"}
    assert by_id[second][0]["values"][0]["value"] == sandbox.figures(second)["views"]
    listed = graph.get(
        f"{TRATTORIA_IG_ID}/media", token, fields="insights.metric(views,reach)"
    ).json()["data"]
    assert listed[0]["id"] == media and listed[0]["insights"]["data"][1]["name"] == "reach"
    error = graph.get(post_id, token, fields="insights.metric(post_impressions)").json()["error"]
    assert error["code"] == 100


def test_fresh_or_unavailable_figures_are_an_empty_list_never_zero(sandbox, graph, token, post_id):
    assert graph.get(f"{post_id}/insights", token, metric="post_media_view").json() == {"data": []}
    sandbox.advance_clock(3600)
    assert graph.get(f"{post_id}/insights", token, metric="post_media_view").json()["data"]
    sandbox.set_figures(post_id, unavailable=True)
    assert graph.get(f"{post_id}/insights", token, metric="post_media_view").json() == {"data": []}
