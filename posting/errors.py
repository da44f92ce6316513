"""What a Graph error means for a publication: retry, hold or fail, and the owner's sentence.

One table (`TABLE`), keyed by Facebook's code and, where it matters, subcode; every code of
Facebook's error list for publishing is in it (docs/publishing.md, "Errors"). `decide` looks
up the exact (code, subcode) first, then the code alone, then the ranges (200–299 permissions,
36000–36099 Instagram media), then Instagram's ``is_transient`` flag; anything else fails with
a sentence that says we did not recognise Facebook's answer (the raw code stays for operators).

A write that got no answer at all (timeout, connection reset, a broken body) is *ambiguous*:
the post may exist. That is decided by the caller (`posting.publish`), never retried blindly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings

from social.graph import GraphError


class Action(StrEnum):
    RETRY = "retry"  # try again later (bounded backoff with jitter)
    HOLD = "hold"  # wait for the owner (reconnect, quota window, policy block)
    FAIL = "fail"  # permanent: tell the owner why


@dataclass(frozen=True)
class Rule:
    action: Action
    sentence: str
    hold_reason: str = ""  # Publication.HoldReason for HOLD
    new_container: bool = False  # Instagram: the old container is unusable


R, H, F = Action.RETRY, Action.HOLD, Action.FAIL
BUSY = "Facebook was busy, so we will try again in a few minutes. Nothing for you to do."
DOWN = "Facebook had a temporary problem, so we will try again shortly. Nothing for you to do."
IG_DOWN = "Instagram had a temporary problem, so we will try again shortly. Nothing for you to do."
RECONNECT = (
    "Facebook no longer accepts Tablecast's connection to this account, so this post is on "
    "hold. Reconnect the account, then choose to publish it now or at a new time."
)
PERMISSION = (
    "Tablecast is missing a permission it needs to post here. Reconnect the account and "
    "allow every permission Facebook asks about, then retry."
)

TABLE: dict[tuple[int, int | None], Rule] = {
    # Facebook's general codes.
    (1, None): Rule(R, DOWN),
    (2, None): Rule(R, DOWN),
    (3, None): Rule(F, PERMISSION),
    (4, None): Rule(R, BUSY),
    (10, None): Rule(F, PERMISSION),
    (17, None): Rule(R, BUSY),
    (32, None): Rule(R, BUSY),
    (100, None): Rule(
        F,
        "Facebook refused this post as it was sent (an invalid value). Check the text, link "
        "and photos, then retry; if it happens again, contact us.",
    ),
    (102, None): Rule(H, RECONNECT, "reconnect"),
    (190, None): Rule(H, RECONNECT, "reconnect"),
    (2500, None): Rule(H, RECONNECT, "reconnect"),
    (341, None): Rule(R, BUSY),
    (368, None): Rule(
        H,
        "Facebook has temporarily blocked this account from posting because of its policies. "
        "We will not retry on our own; check your Page's notifications on Facebook, then "
        "publish it again.",
        "policy",
    ),
    (506, None): Rule(
        F,
        "Facebook refused this post because the same text was just posted on this Page. "
        "Change the text a little, then retry.",
    ),
    (551, None): Rule(F, "Facebook says this person is not available right now."),
    (613, None): Rule(R, BUSY),
    (80001, None): Rule(R, BUSY),
    (80002, None): Rule(R, BUSY),
    (80003, None): Rule(R, BUSY),
    (80004, None): Rule(R, BUSY),
    (80005, None): Rule(R, BUSY),
    (80006, None): Rule(R, BUSY),
    (80008, None): Rule(R, BUSY),
    (1609005, None): Rule(
        F,
        "Facebook could not read the link in this post. Check the link opens in a browser, "
        "then retry.",
    ),
    # Instagram publishing (code, subcode).
    (-1, None): Rule(R, IG_DOWN),
    (-2, None): Rule(R, IG_DOWN),
    (-2, 2207003): Rule(R, "Instagram took too long to fetch the photo; we will try again."),
    (-2, 2207020): Rule(
        R, "Instagram let the prepared post expire; we will prepare it again.", new_container=True
    ),
    (-1, 2207001): Rule(R, IG_DOWN),
    (-1, 2207032): Rule(R, IG_DOWN, new_container=True),
    (-1, 2207053): Rule(R, IG_DOWN, new_container=True),
    (4, 2207051): Rule(
        F,
        "Instagram restricted this activity as possible spam. Wait a while and post "
        "something different; we did not retry.",
    ),
    (9, 2207042): Rule(
        H,
        "This Instagram account has reached Instagram's limit of posts per 24 hours, so this "
        "post is on hold. Publish it again later or pick a new time.",
        "quota",
    ),
    (24, 2207006): Rule(
        F,
        "Instagram could not find the prepared photo (it may have expired). Retry to "
        "prepare it again.",
    ),
    (24, 2207008): Rule(R, IG_DOWN, new_container=True),
    (25, 2207050): Rule(
        F, "Instagram has restricted this account, so it cannot post right now. Check the app."
    ),
    (100, 2207023): Rule(F, "Instagram does not accept this kind of media."),
    (100, 2207028): Rule(F, "An Instagram carousel needs between 2 and 10 photos."),
    (100, 2207040): Rule(F, "Instagram allows at most 20 @-mentions in a caption."),
    (352, 2207026): Rule(F, "Instagram does not accept this video format."),
    (9004, 2207052): Rule(
        R, "Instagram could not download the photo from Tablecast; we will try again."
    ),
    (9007, 2207027): Rule(R, "Instagram is still preparing the photo; we will keep checking."),
    (36000, 2207004): Rule(F, "The photo is larger than Instagram's 8 MB limit."),
    (36001, 2207005): Rule(F, "Instagram does not accept this photo's format."),
    (36003, 2207009): Rule(
        F,
        "Instagram does not accept this photo's shape (it must be between 4:5 portrait and "
        "1.91:1 landscape). Change its Instagram framing in the library, then retry.",
    ),
    (36004, 2207010): Rule(
        F, "Instagram refused the caption: too long, or too many hashtags or @-mentions."
    ),
}

PERMISSION_RANGE = range(200, 300)
IG_MEDIA_RANGE = range(36000, 36100)
UNKNOWN = Rule(
    F,
    "Facebook refused this post with an answer we did not recognise. We did not retry; "
    "contact us and we will look into it.",
)
IG_MEDIA = Rule(F, "Instagram refused this photo. Try another photo, then retry.")
TRANSIENT = Rule(R, IG_DOWN)
NO_ANSWER = Rule(R, DOWN)
TOO_MANY_RETRIES = (
    "Facebook kept failing for this post, so we stopped trying after several attempts. "
    "Retry it when you like."
)


def decide(error: GraphError) -> Rule:
    """The rule for a Graph error that came with Facebook's answer."""
    code, subcode = error.code, error.subcode
    if code is None:
        return NO_ANSWER
    rule = TABLE.get((code, subcode)) or TABLE.get((code, None))
    if rule is not None:
        return rule
    if code in PERMISSION_RANGE:
        return Rule(F, PERMISSION)
    if code in IG_MEDIA_RANGE:
        return IG_MEDIA
    if error.retryable:  # Instagram's is_transient, or an HTTP 5xx
        return TRANSIENT
    return UNKNOWN


def backoff(*, retry: int, floor_seconds: int = 0) -> timedelta:
    """Bounded exponential backoff with full jitter: a random wait in [base·2ⁿ/2, base·2ⁿ],
    capped at ``PUBLISH_BACKOFF_MAX_SECONDS``, never shorter than ``floor_seconds`` (e.g.
    Facebook's ``estimated_time_to_regain_access``)."""
    base = settings.PUBLISH_BACKOFF_BASE_SECONDS
    ceiling = min(settings.PUBLISH_BACKOFF_MAX_SECONDS, base * 2 ** min(retry, 20))
    wait = random.uniform(ceiling / 2, ceiling)
    return timedelta(seconds=max(wait, floor_seconds))
