"""Deterministic engagement figures for posts and Instagram media (sandbox/insights.py and
the count fields of nodes use them): each object has a potential drawn from a hash of its id,
reached along a curve that grows with its age on the sandbox clock over 28 days, plus the
real comments and reactions made in the sandbox; `World.insight_overrides` (control API
`POST /_sandbox/insights/<id>`) replaces any figure with an absolute value."""

from __future__ import annotations

import hashlib
import math
import random
from functools import lru_cache
from typing import Any

from sandbox.state import IGMedia, Post, World

SATURATION_DAYS = 28  # figures keep growing for four weeks, then stay
UNAVAILABLE_SECONDS = 60  # figures appear a minute after publishing [U]
NOT_ENOUGH_VIEWERS = 10  # IG media insights need a few viewers first [U] (threshold unknown)
REACTION_SHARES = (("like", 0.7), ("love", 0.2), ("wow", 0.05), ("haha", 0.05))


def seeded(key: str) -> random.Random:
    return random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))


def growth(age_seconds: float) -> float:
    """0 at publication, about 0.1 after an hour, 0.5 after a day, 1 after 28 days."""
    hours = max(age_seconds, 0) / 3600
    return min(1.0, math.log1p(hours) / math.log1p(SATURATION_DAYS * 24))


def real_reactions(world: World, object_id: str) -> dict[str, int]:
    post = world.posts.get(object_id)
    counts: dict[str, int] = {}
    for reaction in (post.reactions if post else {}).values():
        counts[reaction] = counts.get(reaction, 0) + 1
    return counts


def real_comments(world: World, object_id: str) -> int:
    return sum(1 for c in world.comments.values() if c.object_id == object_id)


@lru_cache(maxsize=65536)
def profile(object_id: str) -> tuple[int, dict[str, float]]:
    """An object's potential views and its rates (reach per view, reactions per reach, …),
    drawn once from its id."""
    rng = seeded(object_id)
    potential = rng.randint(300, 3000)
    rates = {
        "reach": rng.uniform(0.55, 0.8),
        "reactions": rng.uniform(0.03, 0.09),
        "shares": rng.uniform(0.002, 0.01),
        "saves": rng.uniform(0.005, 0.02),
        "clicks": rng.uniform(0.01, 0.05),
        "follows": rng.uniform(0.001, 0.004),
        "profile_visits": rng.uniform(0.01, 0.03),
        "profile_links_taps": rng.uniform(0.002, 0.008),
    }
    return potential, rates


def figures(
    world: World,
    object_id: str,
    created: float,
    at: float | None = None,
    *,
    comments: int | None = None,
) -> dict[str, Any]:
    """An object's figures at time `at` (default now): views, reach, reactions (by type),
    likes, comments, shares, saves, clicks, follows, profile_visits, profile_links_taps.
    `comments` saves counting the object's comments when the caller already did."""
    at = world.now() if at is None else at
    potential, rates = profile(object_id)
    views = int(potential * growth(at - created))
    reach = int(views * rates["reach"])
    synthetic = int(reach * rates["reactions"])
    by_type = {name: int(synthetic * share) for name, share in REACTION_SHARES}
    by_type["like"] += synthetic - sum(by_type.values())
    for name, count in real_reactions(world, object_id).items():
        by_type[name.lower()] = by_type.get(name.lower(), 0) + count
    out: dict[str, Any] = {
        "views": views,
        "reach": reach,
        "reactions_by_type": {k: v for k, v in by_type.items() if v},
        "comments": real_comments(world, object_id) if comments is None else comments,
    }
    out["reactions"] = sum(by_type.values())
    out["likes"] = out["reactions"]
    for name in ("shares", "saves", "clicks", "follows", "profile_visits", "profile_links_taps"):
        out[name] = int(reach * rates[name])
    override = world.insight_overrides.get(object_id, {})
    out.update({k: v for k, v in override.items() if k in out})
    if "reactions" in override and "reactions_by_type" not in override:
        out["reactions_by_type"] = {"like": override["reactions"]}
        out["likes"] = override.get("likes", override["reactions"])
    out["total_interactions"] = out["likes"] + out["comments"] + out["shares"] + out["saves"]
    return out


def object_figures(world: World, obj: Post | IGMedia) -> dict[str, Any]:
    created = obj.created_time if isinstance(obj, Post) else obj.timestamp
    return figures(world, obj.id, created)


def unavailable(world: World, obj: Post | IGMedia) -> bool:
    """Insights not computed yet: Meta answers an empty `data` list then, never 0 [D]
    ("data can be delayed up to 48 hours"); here for the first minute after publishing [U],
    or when set through the control API (`unavailable: true`)."""
    flag = world.insight_overrides.get(obj.id, {}).get("unavailable")
    if flag is not None:
        return bool(flag)
    created = obj.created_time if isinstance(obj, Post) else obj.timestamp
    return world.now() - created < UNAVAILABLE_SECONDS


def not_enough_viewers(world: World, media: IGMedia) -> bool:
    flag = world.insight_overrides.get(media.id, {}).get("not_enough_viewers")
    if flag is not None:
        return bool(flag)
    return object_figures(world, media)["reach"] < NOT_ENOUGH_VIEWERS
