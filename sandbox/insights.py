"""Insights: `GET /{post-id}/insights`, `/{page-id}/insights`, `/{ig-media-id}/insights`,
`/{ig-user-id}/insights` (also `/{id}/insights/{metric}`), with Meta's response shape and
the metric names current in 2026 (README "Insights" lists them with [D]/[C]/[U] marks;
METRICS below is the one table to edit when Meta renames or retires a metric).

Numbers are deterministic: each object has a potential drawn from a hash of its id, reached
along a curve that grows with the object's age on the sandbox clock over 28 days, plus the
real comments and reactions made in the sandbox. `POST /_sandbox/insights/<id>` sets an
object's figures (absolute values) or marks it "not enough viewers".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.context import Ctx
from sandbox.errors import GraphError, invalid_param
from sandbox.fields import FieldSpec, WithSpec
from sandbox.figures import figures, not_enough_viewers, object_figures, seeded, unavailable
from sandbox.nodes import IG_MEDIA, IG_USER, PAGE, POST, iso
from sandbox.reads import EdgeHandler
from sandbox.state import IGAccount, IGMedia, Page, Post, World

MAX_RANGE = 90 * 86400  # "Only 90 days of insights can be viewed at one time" [D]
PACIFIC = ZoneInfo("America/Los_Angeles")  # Page insights' days end at Pacific midnight [C]


# -- the metric table ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    title: str
    description: str
    value: Callable[[dict[str, Any]], Any]  # from a figures dict (a delta for daily metrics)
    periods: tuple[str, ...] = ("lifetime",)
    total_value_only: bool = False  # IG user: needs metric_type=total_value [D]
    product_types: tuple[str, ...] = ()  # IG media: only for these media_product_types


def _f(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda figs: figs[key]


PAGE_DAY = ("day", "week", "days_28")
METRICS: dict[str, dict[str, Metric]] = {
    "post": {
        "post_media_view": Metric("Media views", "Times the post was on screen", _f("views")),
        "post_total_media_view_unique": Metric(
            "Media viewers", "People who saw the post at least once", _f("reach")
        ),
        "post_clicks": Metric("Post clicks", "Clicks anywhere in the post", _f("clicks")),
        "post_reactions_by_type_total": Metric(
            "Reactions by type", "Reactions on the post by type", _f("reactions_by_type")
        ),
        "post_reactions_like_total": Metric(
            "Like reactions",
            "Like reactions on the post",
            lambda figs: figs["reactions_by_type"].get("like", 0),
        ),
    },
    "page": {
        "page_media_view": Metric(
            "Media views", "Times the Page's content was on screen", _f("views"), PAGE_DAY
        ),
        "page_total_media_view_unique": Metric(
            "Media viewers", "People who saw the Page's content", _f("reach"), PAGE_DAY
        ),
        "page_post_engagements": Metric(
            "Post engagements",
            "Reactions, comments, shares and clicks on the Page's posts",
            lambda figs: figs["reactions"] + figs["comments"] + figs["shares"] + figs["clicks"],
            PAGE_DAY,
        ),
        "page_daily_follows_unique": Metric(
            "Daily follows", "People who followed the Page", _f("follows"), ("day",)
        ),
        "page_follows": Metric(
            "Followers", "People who follow the Page", _f("followers"), ("day",)
        ),
        "page_views_total": Metric(
            "Page views", "Times the Page's profile was viewed", _f("profile_visits"), PAGE_DAY
        ),
    },
    "ig_media": {
        "views": Metric("Views", "Times the media was played or displayed", _f("views")),
        "reach": Metric("Accounts reached", "Unique accounts that saw the media", _f("reach")),
        "likes": Metric("Likes", "Likes on the media", _f("likes")),
        "comments": Metric("Comments", "Comments on the media", _f("comments")),
        "shares": Metric("Shares", "Shares of the media", _f("shares")),
        "saved": Metric("Saves", "Saves of the media", _f("saves")),
        "total_interactions": Metric(
            "Interactions", "Likes, saves, comments and shares", _f("total_interactions")
        ),
        "profile_visits": Metric(
            "Profile visits",
            "Profile visits from the media",
            _f("profile_visits"),
            product_types=("FEED",),
        ),
        "follows": Metric(
            "Follows",
            "Accounts that followed from the media",
            _f("follows"),
            product_types=("FEED",),
        ),
        "ig_reels_avg_watch_time": Metric(
            "Average watch time",
            "Average time spent playing the reel (ms)",
            lambda figs: 4200 + figs["views"] % 3000,
            product_types=("REELS",),
        ),
    },
    "ig_user": {
        "views": Metric(
            "Views", "Times content was played or displayed", _f("views"), ("day",), True
        ),
        "reach": Metric(
            "Accounts reached", "Unique accounts that saw content", _f("reach"), ("day",)
        ),
        "follower_count": Metric(
            "Follower count", "New followers per day", _f("follows"), ("day",)
        ),
        "accounts_engaged": Metric(
            "Accounts engaged",
            "Accounts that interacted with content",
            lambda figs: int(figs["reach"] * 0.08),
            ("day",),
            True,
        ),
        "total_interactions": Metric(
            "Content interactions",
            "Likes, saves, comments, shares and replies",
            _f("total_interactions"),
            ("day",),
            True,
        ),
        "likes": Metric("Likes", "Likes on content", _f("likes"), ("day",), True),
        "comments": Metric("Comments", "Comments on content", _f("comments"), ("day",), True),
        "shares": Metric("Shares", "Shares of content", _f("shares"), ("day",), True),
        "saves": Metric("Saves", "Saves of content", _f("saves"), ("day",), True),
        "profile_links_taps": Metric(
            "Profile link taps",
            "Taps on the profile's contact links",
            _f("profile_links_taps"),
            ("day",),
            True,
        ),
    },
}

# Retired metrics: asking for one is an error naming the replacement [D] (dates in README).
DEPRECATED: dict[str, dict[str, str | None]] = {
    "post": {
        "post_impressions": "post_media_view",
        "post_impressions_unique": "post_total_media_view_unique",
        "post_impressions_organic_unique": None,
        "post_impressions_paid_unique": None,
        "post_engaged_users": None,
    },
    "page": {
        "page_impressions": "page_media_view",
        "page_impressions_unique": "page_total_media_view_unique",
        "page_fans": "page_follows",
        "page_fan_adds": "page_daily_follows_unique",
        "page_engaged_users": "page_post_engagements",
        "page_posts_impressions": None,
    },
    "ig_media": {
        "impressions": "views",
        "plays": "views",
        "video_views": "views",
        "clips_replays_count": None,
        "ig_reels_aggregated_all_plays_count": "views",
        "engagement": "total_interactions",
    },
    "ig_user": {
        "impressions": "views",
        "profile_views": None,
        "website_clicks": "profile_links_taps",
        "email_contacts": "profile_links_taps",
        "phone_call_clicks": "profile_links_taps",
        "get_directions_clicks": "profile_links_taps",
    },
}
PERMISSION = {
    "post": "read_insights",
    "page": "read_insights",
    "ig_media": "instagram_manage_insights",
    "ig_user": "instagram_manage_insights",
}


# -- request handling -------------------------------------------------------------------------------
def _metric_names(ctx: Ctx, metric_in_path: str | None) -> list[str]:
    names = metric_in_path.split(",") if metric_in_path else ctx.list_param("metric")
    names = [str(n).strip() for n in names if str(n).strip()]
    if not names:
        raise GraphError(
            3001,
            "Invalid query",
            subcode=1504028,
            user_title="No Metric Specified",
            user_msg="No metric was specified to be fetched. Please specify one or more "
            "metrics to be fetched and try again.",
        )
    return names


def _check_metrics(kind: str, names: list[str]) -> None:
    """Unknown and retired metrics → code 100 (Page/post: "invalid insights metric" [D];
    Instagram: "metric[i] must be one of …" [C], retired ones name their replacement)."""
    known = METRICS[kind]
    for index, name in enumerate(names):
        if name in known:
            continue
        retired = DEPRECATED[kind].get(name, "")
        if kind in ("page", "post"):
            message = "(#100) The value must be a valid insights metric"
            if retired != "":
                message += f" ({name} is deprecated" + (f"; use {retired})" if retired else ")")
            raise invalid_param(message)
        if retired != "":
            instead = f" Please use the {retired} metric instead." if retired else ""
            raise GraphError(
                100, f"(#100) The {name} metric is no longer supported.{instead}", instagram=True
            )
        raise GraphError(
            100,
            f"(#100) metric[{index}] must be one of the following values: {', '.join(known)}",
            instagram=True,
        )


def _check_access(ctx: Ctx, kind: str, page: Page) -> None:
    """Page/post insights: a Page token of someone with the ANALYZE task, `read_insights`
    and `pages_read_engagement` [D]; Instagram: `instagram_basic` +
    `instagram_manage_insights` + `pages_read_engagement` [D]. Missing → code 10 [U]."""
    token = ctx.authenticate()
    ctx.page_for(page.id)
    if kind in ("page", "post"):
        if token.kind != "page":
            raise GraphError(190, "(#190) This method must be called with a Page Access Token")
        user = ctx.world.users.get(token.user_id or "")
        if user is not None and "ANALYZE" not in ctx.world.tasks_of(user, page.id):
            raise GraphError(200, "(#200) The user does not have the ANALYZE task on this Page")
        needed = [PERMISSION[kind], "pages_read_engagement"]
    else:
        needed = ["instagram_basic", PERMISSION[kind], "pages_read_engagement"]
    missing = [s for s in needed if s not in token.scopes]
    if missing:
        raise GraphError(10, f"(#10) Requires {missing[0]} permission to access insights")


def _entry(
    object_id: str, name: str, metric: Metric, period: str, **payload: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "period": period,
        **payload,
        "title": metric.title,
        "description": metric.description,
        "id": f"{object_id}/insights/{name}/{period}",
    }


def _lifetime(ctx: Ctx, kind: str, obj: Post | IGMedia, names: list[str]) -> dict[str, Any]:
    if unavailable(ctx.world, obj):
        return {"data": []}
    figs = object_figures(ctx.world, obj)
    data = []
    for name in names:
        metric = METRICS[kind][name]
        period = ctx.param("period") or "lifetime"
        if period not in metric.periods:
            raise invalid_param(f"(#100) Period {period} is not supported for the metric {name}")
        data.append(_entry(obj.id, name, metric, period, values=[{"value": metric.value(figs)}]))
    return {"data": data}


def post_insights(ctx: Ctx, post: Post, metric: str | None = None) -> dict[str, Any]:
    _check_access(ctx, "post", ctx.world.pages[post.page_id])
    names = _metric_names(ctx, metric)
    _check_metrics("post", names)
    return _lifetime(ctx, "post", post, names)


def ig_media_insights(ctx: Ctx, media: IGMedia, metric: str | None = None) -> dict[str, Any]:
    world = ctx.world
    ig = world.ig_accounts[media.ig_id]
    _check_access(ctx, "ig_media", world.pages[ig.page_id])
    names = _metric_names(ctx, metric)
    _check_metrics("ig_media", names)
    if any(media.id in m.children for m in world.ig_media.values()):
        raise GraphError(
            100, "(#100) Insights are not available for media inside an album", instagram=True
        )
    product = {"REELS": "REELS", "STORIES": "STORY"}.get(media.media_type, "FEED")
    for name in names:
        allowed = METRICS["ig_media"][name].product_types
        if allowed and product not in allowed:
            raise GraphError(
                100,
                f"(#100) The Media Insights API does not support the {name} metric for this "
                f"media product type ({product}).",
                instagram=True,
            )
    if unavailable(world, media):
        return {"data": []}
    if not_enough_viewers(world, media):
        raise GraphError(10, "(#10) Not enough viewers for the media to show insights")
    return _lifetime(ctx, "ig_media", media, names)


# -- daily metrics (Page, IG user) -----------------------------------------------------------------
def _day_ends(ctx: Ctx, days_back: int = 2) -> list[float]:
    """End times of the days asked for: `since`/`until` (≤ 90 days) or the last two days;
    days end at Pacific midnight [C]."""
    now = ctx.world.now()
    asked_since, asked_until = ctx.time_param("since"), ctx.time_param("until")
    until = min(float(asked_until) if asked_until is not None else now, now)
    since = float(asked_since) if asked_since is not None else until - days_back * 86400
    if until - since > MAX_RANGE:
        raise invalid_param(
            "(#100) There cannot be more than 90 days (7776000 s) between since and until"
        )
    if since > until:
        raise invalid_param("(#100) since must be before until")
    local = datetime.fromtimestamp(since, PACIFIC)
    end = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    ends = []
    while end.timestamp() <= until:
        ends.append(end.timestamp())
        end = (end + timedelta(days=1, hours=2)).replace(hour=0)  # DST-safe next midnight
    return ends


class _Windows:
    """Figures earned in day windows, memoised for one request (several metrics and
    overlapping `week`/`days_28` windows share the same object figures)."""

    def __init__(self, world: World, objects: list[tuple[str, float]], base_key: str) -> None:
        self.world = world
        self.objects = objects
        self.base_key = base_key
        self.comments = Counter(c.object_id for c in world.comments.values())
        self.at: dict[tuple[str, float], dict[str, Any]] = {}
        self.windows: dict[tuple[float, float], dict[str, Any]] = {}

    def _figures(self, object_id: str, created: float, when: float) -> dict[str, Any]:
        key = (object_id, when)
        if key not in self.at:
            self.at[key] = figures(
                self.world, object_id, created, when, comments=self.comments[object_id]
            )
        return self.at[key]

    def earned(self, start: float, end: float) -> dict[str, Any]:
        """The growth of each object in [start, end) plus a deterministic baseline for the
        account (visits from search, the profile, …)."""
        if (start, end) not in self.windows:
            self.windows[(start, end)] = self._earned(start, end)
        return dict(self.windows[(start, end)])

    def _earned(self, start: float, end: float) -> dict[str, Any]:
        total: dict[str, Any] = dict.fromkeys(
            ("reactions", "likes", "comments", "shares", "saves", "clicks"), 0
        )
        total.update(profile_links_taps=0, total_interactions=0)
        for object_id, created in self.objects:
            if created >= end:
                continue
            after = self._figures(object_id, created, end)
            before = self._figures(object_id, created, max(start, created))
            for key, value in after.items():
                if isinstance(value, int):
                    delta = value - (before[key] if created < start else 0)
                    total[key] = total.get(key, 0) + max(delta, 0)
        rng = seeded(f"{self.base_key}:{int(end // 86400)}")
        baseline = {"views": rng.randint(20, 120), "reach": rng.randint(15, 90)}
        baseline["profile_visits"] = rng.randint(2, 20)
        baseline["follows"] = rng.randint(0, 4)
        for key, value in baseline.items():
            total[key] = total.get(key, 0) + value
        return total


def _daily(
    ctx: Ctx,
    kind: str,
    object_id: str,
    names: list[str],
    objects: list[tuple[str, float]],
    followers: int,
) -> dict[str, Any]:
    period = ctx.param("period") or "day"
    metric_type = ctx.param("metric_type") or "time_series"
    ends = _day_ends(ctx)
    span = {"day": 1, "week": 7, "days_28": 28}.get(period, 1)
    windows = _Windows(ctx.world, objects, object_id)
    data = []
    for name in names:
        metric = METRICS[kind][name]
        if period not in metric.periods:
            raise invalid_param(f"(#100) Period {period} is not supported for the metric {name}")
        if kind == "ig_user" and metric.total_value_only and metric_type != "total_value":
            raise GraphError(
                100,
                f"(#100) The following metrics ({name}) should be specified with parameter "
                "metric_type=total_value",
                instagram=True,
            )

        def value_at(end: float, metric: Metric = metric) -> Any:
            figs = windows.earned(end - span * 86400, end)
            figs["followers"] = followers - int((ctx.world.now() - end) // 86400) * 2
            return metric.value(figs)

        if metric_type == "total_value":
            start = ends[0] - 86400 if ends else ctx.world.now() - 86400
            figs = windows.earned(start, ctx.world.now())
            figs["followers"] = followers
            entry = _entry(
                object_id, name, metric, period, total_value={"value": metric.value(figs)}
            )
        else:
            values = [{"value": value_at(end), "end_time": iso(end)} for end in ends]
            entry = _entry(object_id, name, metric, period, values=values)
        data.append(entry)
    return {"data": data}


def page_insights(ctx: Ctx, page: Page, metric: str | None = None) -> dict[str, Any]:
    _check_access(ctx, "page", page)
    names = _metric_names(ctx, metric)
    _check_metrics("page", names)
    world = ctx.world
    posts = [
        (p.id, float(p.created_time))
        for p in world.posts.values()
        if p.page_id == page.id and p.published and not p.deleted
    ]
    return _daily(ctx, "page", page.id, names, posts, page.followers_count)


def ig_user_insights(ctx: Ctx, ig: IGAccount, metric: str | None = None) -> dict[str, Any]:
    _check_access(ctx, "ig_user", ctx.world.pages[ig.page_id])
    names = _metric_names(ctx, metric)
    _check_metrics("ig_user", names)
    world = ctx.world
    if ig.followers_count < 100 and "follower_count" in names:
        raise GraphError(  # [D] not available under 100 followers; Meta's exact error [U]
            100,
            "(#100) follower_count is not available for accounts with fewer than 100 followers",
            instagram=True,
        )
    children = {c for m in world.ig_media.values() for c in m.children}
    media = [
        (m.id, float(m.timestamp))
        for m in world.ig_media.values()
        if m.ig_id == ig.id and m.id not in children
    ]
    return _daily(ctx, "ig_user", ig.id, names, media, ig.followers_count)


INSIGHTS: dict[str, Callable[..., dict[str, Any]]] = {
    "Post": post_insights,
    "Page": page_insights,
    "IGMedia": ig_media_insights,
    "IGAccount": ig_user_insights,
}


def _insights_field(ctx: Ctx, obj: Any, spec: FieldSpec) -> dict[str, Any]:
    """`insights.metric(a,b).period(day)` as a field, so a collector reads a list of posts
    and their figures in one call (`/{page}/published_posts?fields=id,insights.metric(…)`);
    an error for one object fails the whole call [U]."""
    params = {"metric": spec.modifiers.get("metric", "")}
    for name in ("period", "since", "until", "metric_type"):
        if name in spec.modifiers:
            params[name] = spec.modifiers[name]
    body = INSIGHTS[type(obj).__name__](replace(ctx, params=params), obj)
    if spec.sub:
        body["data"] = [{k: v for k, v in d.items() if k in spec.sub} for d in body["data"]]
    return body


# Registered here, not in sandbox.nodes, because insights builds on the node schemas.
for _schema in (POST, PAGE, IG_MEDIA, IG_USER):
    _schema.fields["insights"] = WithSpec(_insights_field)

EDGES: dict[tuple[str, str, str], EdgeHandler] = {
    (kind, "insights", "GET"): handler for kind, handler in INSIGHTS.items()
}
