"""Insights: the figures of posts, Instagram media, Pages and Instagram accounts
(docs/graph-api.md §11, docs/analytics.md).

`METRICS` is the one table of metric names Tablecast asks for. When Meta renames or retires a
metric, change its line here (the key on the left is ours and stays; the name on the right is
Meta's). Everything else reads figures by our key.

- `objects_figures`: up to 50 posts (or 50 Instagram media) of one account in **one** call,
  ``GET /?ids=a,b,…&fields=insights.metric(…),<count fields>`` (insights as a field [D]).
  One bad object fails the whole call [C]; the caller then asks per object.
- `object_figures`: one post or media, the same fields. An unknown or retired metric (error
  100) is dropped and the call repeated without it (`FiguresResult.dropped` says which), so a
  deprecation costs one metric, never the figures.
- `account_daily`: followers and one day's reach and views of a Page or Instagram account in
  one call (``GET /{id}?fields=followers_count,insights.metric(…).period(day).since().until()``).

Plain values in, frozen dataclasses out; no ORM.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from social.graph.errors import GraphError, InvalidParameter, PermissionMissing
from social.graph.transport import GraphClient, int_or_none

MAX_IDS = 50  # ids per multi-id read [D]

# Our key → Meta's current metric name (2026). Post: Page post insights; IG media: media
# insights; Page / IG user: daily account insights (docs/graph-api.md §11 has the marks).
METRICS: dict[str, dict[str, str]] = {
    "facebook_post": {
        "views": "post_media_view",
        "reach": "post_total_media_view_unique",
        "clicks": "post_clicks",
        "reactions_by_type": "post_reactions_by_type_total",
    },
    "instagram_media": {
        "views": "views",
        "reach": "reach",
        "likes": "likes",
        "comments": "comments",
        "shares": "shares",
        "saves": "saved",
        "interactions": "total_interactions",
    },
    "facebook_page": {
        "views": "page_media_view",
        "reach": "page_total_media_view_unique",
    },
    "instagram_account": {
        "views": "views",
        "reach": "reach",
    },
}
# Count fields read with the insights (they exist even where insights are not computed yet).
COUNT_FIELDS = {
    "facebook_post": "comments.summary(true).limit(0),shares",
    "instagram_media": "like_count,comments_count",
}
# IG account metrics that Meta only gives as a total over the period [D].
TOTAL_VALUE_ONLY = {"views"}
NOT_ENOUGH_VIEWERS = "not enough viewers"


@dataclass(frozen=True)
class Figures:
    """One object's figures by our key. ``available`` is False when Meta has none yet
    (``{"data": []}`` or "not enough viewers"): never read that as zeros."""

    object_id: str
    values: dict[str, int] = field(default_factory=dict)
    reactions_by_type: dict[str, int] = field(default_factory=dict)
    available: bool = True
    note: str = ""


@dataclass(frozen=True)
class FiguresResult:
    figures: Figures
    dropped: tuple[str, ...] = ()  # Meta metric names refused as unknown or retired
    calls: int = 1


@dataclass(frozen=True)
class AccountDay:
    followers: int | None
    reach: int | None
    views: int | None


def _insights_field(kind: str, names: Sequence[str]) -> str:
    return f"insights.metric({','.join(names)})"


def _fields(kind: str, names: Sequence[str]) -> str:
    parts = ["id", COUNT_FIELDS[kind]]
    if names:
        parts.append(_insights_field(kind, names))
    return ",".join(parts)


def _value(entry: dict[str, Any]) -> Any:
    if "total_value" in entry:
        return (entry.get("total_value") or {}).get("value")
    values = entry.get("values") or []
    return values[-1].get("value") if values and isinstance(values[-1], dict) else None


def parse_figures(kind: str, body: dict[str, Any], names: Sequence[str] | None = None) -> Figures:
    """One object's answer → `Figures` by our keys (pure; the collector's tests use it)."""
    object_id = str(body.get("id") or "")
    by_meta = {meta: ours for ours, meta in METRICS[kind].items()}
    insights = (body.get("insights") or {}).get("data") or []
    values: dict[str, int] = {}
    by_type: dict[str, int] = {}
    for entry in insights:
        ours = by_meta.get(str(entry.get("name")))
        value = _value(entry)
        if ours is None or value is None:
            continue
        if isinstance(value, dict):
            by_type = {str(k): int_or_none(v) or 0 for k, v in value.items()}
            values["reactions"] = sum(by_type.values())
        elif int_or_none(value) is not None:
            values[ours] = int(value)
    if kind == "facebook_post":
        comments = ((body.get("comments") or {}).get("summary") or {}).get("total_count")
        values["comments"] = int_or_none(comments) or 0
        values["shares"] = int_or_none((body.get("shares") or {}).get("count")) or 0
    else:
        values.setdefault("likes", int_or_none(body.get("like_count")) or 0)
        values.setdefault("comments", int_or_none(body.get("comments_count")) or 0)
    available = bool(insights) or names == []
    return Figures(
        object_id=object_id,
        values=values,
        reactions_by_type=by_type,
        available=available,
        note="" if available else "Facebook has no figures for this post yet.",
    )


def objects_figures(
    client: GraphClient, *, kind: str, object_ids: Sequence[str], token: str
) -> list[Figures]:
    """≤ 50 objects of one account in one call. Raises `GraphError` if any object fails."""
    if len(object_ids) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} ids per call")
    names = list(METRICS[kind].values())
    body = client.request(
        "GET", "", token=token, params={"ids": ",".join(object_ids), "fields": _fields(kind, names)}
    )
    return [parse_figures(kind, body.get(oid) or {"id": oid}) for oid in object_ids]


def _refused_metric(exc: GraphError, names: Sequence[str]) -> str | None:
    """The metric an error 100 names (Meta's IG text does; its Page text may not)."""
    for name in sorted(names, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name)}\b", exc.message):
            return name
    return None


def object_figures(client: GraphClient, *, kind: str, object_id: str, token: str) -> FiguresResult:
    """One post or media. A refused metric is dropped and the rest kept (see module doc);
    "not enough viewers" (error 10 with that text) is `Figures(available=False)`."""
    names = list(METRICS[kind].values())
    dropped: list[str] = []
    calls = 0
    while True:
        calls += 1
        try:
            body = client.request(
                "GET", object_id, token=token, params={"fields": _fields(kind, names)}
            )
        except PermissionMissing as exc:
            if NOT_ENOUGH_VIEWERS in exc.message.lower():
                figures = Figures(
                    object_id=object_id,
                    available=False,
                    note="Instagram shows figures once enough people have seen the post.",
                )
                return FiguresResult(figures, tuple(dropped), calls)
            raise
        except InvalidParameter as exc:
            refused = _refused_metric(exc, names)
            if refused is None and len(names) > 1 and calls == 1:
                return _one_by_one(client, kind=kind, object_id=object_id, token=token)
            if refused is None:
                raise
            names.remove(refused)
            dropped.append(refused)
            continue
        figures = parse_figures(kind, body, names)
        return FiguresResult(figures, tuple(dropped), calls)


def _one_by_one(client: GraphClient, *, kind: str, object_id: str, token: str) -> FiguresResult:
    """Error 100 without a metric name: ask each metric alone to find the refused ones."""
    kept: list[dict[str, Any]] = []
    dropped: list[str] = []
    body: dict[str, Any] = {"id": object_id}
    names = list(METRICS[kind].values())
    for name in names:
        try:
            body = client.request(
                "GET", object_id, token=token, params={"fields": _fields(kind, [name])}
            )
        except InvalidParameter:
            if len(dropped) == len(names) - 1 and not kept:
                raise  # every metric refused: the object itself is the problem
            dropped.append(name)
            continue
        kept.extend((body.get("insights") or {}).get("data") or [])
    body = {**body, "insights": {"data": kept}}
    figures = parse_figures(kind, body, [n for n in names if n not in dropped])
    return FiguresResult(figures, tuple(dropped), 1 + len(names))


def account_daily(
    client: GraphClient, *, kind: str, object_id: str, token: str, since: int, until: int
) -> AccountDay:
    """Followers now, and reach and views between ``since`` and ``until`` (unix seconds; one
    local day), in one call. A figure Meta does not give is None, never 0."""
    names = METRICS[kind]
    modifiers = f".period(day).since({since}).until({until})"
    if kind == "instagram_account":
        modifiers += ".metric_type(total_value)"
    fields = f"followers_count,insights.metric({','.join(names.values())}){modifiers}"
    body = client.request("GET", object_id, token=token, params={"fields": fields})
    by_meta = {meta: ours for ours, meta in names.items()}
    found: dict[str, int | None] = {}
    for entry in (body.get("insights") or {}).get("data") or []:
        ours = by_meta.get(str(entry.get("name")))
        if ours:
            found[ours] = int_or_none(_value(entry))
    return AccountDay(
        followers=int_or_none(body.get("followers_count")),
        reach=found.get("reach"),
        views=found.get("views"),
    )
