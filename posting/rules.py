"""What a post may be, per target network: the derived shape and the refusals (bad input).

Pure checks over values the service loaded; each refusal is a `PostRefused` with a sentence the
person understands and a ``code`` tests and views can branch on (docs/publishing.md, "Bad input").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError

from assets.models import Asset, Rendition
from posting.models import Publication

Shape = Publication.Shape
MAX_PHOTOS = 10  # Instagram carousels: 2–10; Facebook posts keep the same ceiling
IG_CAPTION_MAX = 2200
IG_MENTIONS_MAX = 20
FB_TEXT_MAX = 63206
IG_MAX_BYTES = 8 * 1024 * 1024
IG_RATIO = (0.8, 1.91)  # 4:5 portrait … 1.91:1 landscape
HASHTAG = re.compile(r"(?<![\w&])#\w+")
MENTION = re.compile(r"(?<![\w.])@[\w.]+")


class PostRefused(ValidationError):
    """A post that cannot be made as asked. Nothing was saved."""

    def __init__(self, message: str, *, code: str, choices: Sequence[str] = ()) -> None:
        super().__init__(message, code=code)
        self.sentence = message
        self.choices = tuple(choices)  # e.g. ("publish_now",) for a time in the past


def derive_shape(*, network: str, photos: int, link: str) -> str:
    if network == Publication.Network.INSTAGRAM:
        if photos == 0:
            raise PostRefused(
                "Instagram posts need at least one photo. Add a photo, or untick Instagram.",
                code="instagram_needs_photo",
            )
        return Shape.IG_IMAGE if photos == 1 else Shape.IG_CAROUSEL
    if photos == 0:
        return Shape.FB_LINK if link else Shape.FB_TEXT
    return Shape.FB_PHOTO if photos == 1 else Shape.FB_ALBUM


def check_photo_count(count: int) -> None:
    if count > MAX_PHOTOS:
        raise PostRefused(
            f"A post can have at most {MAX_PHOTOS} photos (Instagram's carousel limit); this "
            f"one has {count}. Remove {count - MAX_PHOTOS}.",
            code="too_many_photos",
        )


def check_text(*, network: str, text: str, photos: int, link: str) -> None:
    if network == Publication.Network.FACEBOOK:
        if not (text.strip() or photos or link):
            raise PostRefused(
                "Write something, or add a photo or a link: Facebook does not take empty posts.",
                code="empty",
            )
        if len(text) > FB_TEXT_MAX:
            raise PostRefused(
                f"Facebook posts can be at most {FB_TEXT_MAX:,} characters long.",
                code="facebook_text_too_long",
            )
        return
    if len(text) > IG_CAPTION_MAX:
        raise PostRefused(
            f"Instagram captions can be at most {IG_CAPTION_MAX:,} characters; this one has "
            f"{len(text):,}. Shorten it (or write a shorter Instagram version).",
            code="caption_too_long",
        )
    hashtags = len(HASHTAG.findall(text))
    if hashtags > settings.INSTAGRAM_MAX_HASHTAGS:
        raise PostRefused(
            f"Instagram allows at most {settings.INSTAGRAM_MAX_HASHTAGS} hashtags in a caption; "
            f"this one has {hashtags}.",
            code="too_many_hashtags",
        )
    mentions = len(MENTION.findall(text))
    if mentions > IG_MENTIONS_MAX:
        raise PostRefused(
            f"Instagram allows at most {IG_MENTIONS_MAX} @-mentions in a caption; this one has "
            f"{mentions}.",
            code="too_many_mentions",
        )


def check_asset_ready(asset: Asset) -> None:
    if asset.status != Asset.Status.READY:
        raise PostRefused(
            f"The photo “{asset}” is not ready yet (it is {asset.get_status_display().lower()}). "
            "Wait until the library shows it, or pick another photo.",
            code="asset_not_ready",
        )


def check_instagram_rendition(asset: Asset, rendition: Rendition | None) -> None:
    """The Instagram rendition must pass what Instagram checks: JPEG, ≤ 8 MB, 4:5…1.91:1."""
    if rendition is None:
        raise PostRefused(
            f"The Instagram version of “{asset}” is still being made. Try again in a minute.",
            code="instagram_rendition_missing",
        )
    ratio = rendition.width / rendition.height if rendition.height else 0
    if rendition.content_type != "image/jpeg":
        problem = "is not a JPEG"
    elif rendition.bytes > IG_MAX_BYTES:
        problem = "is larger than Instagram's 8 MB limit"
    elif not IG_RATIO[0] <= ratio <= IG_RATIO[1]:
        problem = f"has a shape Instagram refuses ({rendition.width}×{rendition.height})"
    else:
        return
    raise PostRefused(
        f"The Instagram version of “{asset}” {problem}. Open the photo in the library and "
        "change its Instagram framing (crop or pad), or untick Instagram.",
        code="instagram_rendition_refused",
    )
