"""Publishing on Facebook Pages and Instagram professional accounts (graph-api.md §5).

Plain values in, frozen dataclasses or strings out; no ORM. The caller (`posting.publish`)
decides what an error means; a write that raised without Facebook's error envelope may still
have taken effect and must be reconciled, never repeated blindly.

References: developers.facebook.com/docs/pages-api/posts,
developers.facebook.com/docs/graph-api/reference/page/photos,
developers.facebook.com/docs/instagram-platform/content-publishing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from social.graph.transport import GraphClient, int_or_none

DEFAULT_QUOTA = 50  # posts per moving 24 h when Facebook does not say (graph-api.md §5)


@dataclass(frozen=True)
class PhotoUpload:
    id: str
    post_id: str = ""  # empty for an unpublished photo


@dataclass(frozen=True)
class CreatedPost:
    id: str
    permalink: str = ""  # read after write; empty when Facebook did not return it


@dataclass(frozen=True)
class RemotePost:
    """A post found on a Page or an Instagram account (for reconciliation)."""

    id: str
    text: str
    created_time: str
    permalink: str = ""


@dataclass(frozen=True)
class ContainerStatus:
    status_code: str  # EXPIRED, ERROR, FINISHED, IN_PROGRESS, PUBLISHED
    status: str = ""  # carries the error subcode on ERROR

    @property
    def subcode(self) -> int | None:
        for word in self.status.replace(":", " ").split():
            if word.isdigit():
                return int(word)
        return None


@dataclass(frozen=True)
class PublishingQuota:
    usage: int
    total: int

    @property
    def spent(self) -> bool:
        return self.usage >= self.total


# -- Facebook Page --------------------------------------------------------------------------
def feed_create(
    client: GraphClient,
    *,
    page_id: str,
    token: str,
    message: str = "",
    link: str = "",
    photo_ids: Sequence[str] = (),
) -> CreatedPost:
    """``POST /{page}/feed``: a text or link post, or a post of several unpublished photos
    (``attached_media``). Also asks for the post's permalink in the same call (Graph's
    read-after-write: ``fields=`` on a create call returns those fields of the new object), so
    publishing a post costs one call instead of a create and a read."""
    data: dict[str, Any] = {}
    if message:
        data["message"] = message
    if link:
        data["link"] = link
    if photo_ids:
        data["attached_media"] = json.dumps([{"media_fbid": pid} for pid in photo_ids])
    body = client.request(
        "POST", f"{page_id}/feed", token=token, data=data, params={"fields": "id,permalink_url"}
    )
    return CreatedPost(id=str(body["id"]), permalink=str(body.get("permalink_url") or ""))


def photo_upload(
    client: GraphClient,
    *,
    page_id: str,
    token: str,
    image: bytes,
    caption: str = "",
    published: bool = True,
) -> PhotoUpload:
    """``POST /{page}/photos`` with the image's bytes as a multipart ``source`` (no public URL
    needed). ``published=False`` makes an unpublished photo for a several-photo post."""
    data: dict[str, Any] = {"published": "true" if published else "false"}
    if caption:
        data["caption"] = caption
    body = client.request(
        "POST",
        f"{page_id}/photos",
        token=token,
        data=data,
        files={"source": ("photo.jpg", image, "image/jpeg")},
    )
    return PhotoUpload(id=str(body["id"]), post_id=str(body.get("post_id") or ""))


def post_permalink(client: GraphClient, *, post_id: str, token: str) -> str:
    body = client.request("GET", post_id, token=token, params={"fields": "permalink_url"})
    return str(body.get("permalink_url") or "")


def published_posts(
    client: GraphClient, *, page_id: str, token: str, since: int, max_pages: int = 40
) -> list[RemotePost]:
    """The Page's posts since ``since`` (unix seconds), newest first (``/published_posts``);
    all of them (up to ``max_pages`` × 50, else `TransientError`: look again later)."""
    return _remote_posts(
        client,
        f"{page_id}/published_posts",
        token=token,
        since=since,
        max_pages=max_pages,
        keys=("message", "created_time", "permalink_url"),
    )


def _remote_posts(
    client: GraphClient,
    path: str,
    *,
    token: str,
    since: int,
    max_pages: int,
    keys: tuple[str, str, str],
) -> list[RemotePost]:
    text, created, link = keys
    items = client.paged(
        path,
        token=token,
        params={"since": since, "fields": ",".join(("id", *keys)), "limit": 50},
        max_pages=max_pages,
        complete=True,  # reconciliation concludes "not posted" only from a full listing
    )
    return [
        RemotePost(
            id=str(item["id"]),
            text=str(item.get(text) or ""),
            created_time=str(item.get(created) or ""),
            permalink=str(item.get(link) or ""),
        )
        for item in items
        if item.get("id")
    ]


# -- Instagram ------------------------------------------------------------------------------
def publishing_quota(
    client: GraphClient, *, ig_user_id: str, token: str, since: int
) -> PublishingQuota:
    """``GET /{ig}/content_publishing_limit?fields=quota_usage,config`` over the last 24 h."""
    body = client.request(
        "GET",
        f"{ig_user_id}/content_publishing_limit",
        token=token,
        params={"fields": "quota_usage,config", "since": since},
    )
    entry = (body.get("data") or [{}])[0] or {}
    config = entry.get("config") or {}
    total = int_or_none(config.get("quota_total"))
    return PublishingQuota(
        usage=int_or_none(entry.get("quota_usage")) or 0,
        total=DEFAULT_QUOTA if total is None else total,
    )


def container_create(
    client: GraphClient,
    *,
    ig_user_id: str,
    token: str,
    image_url: str = "",
    caption: str = "",
    carousel_item: bool = False,
    children: Sequence[str] = (),
) -> str:
    """``POST /{ig}/media``: an image container (``image_url``), a carousel child
    (``is_carousel_item``, no caption) or a carousel parent (``children``). Returns its id."""
    data: dict[str, Any] = {}
    if children:
        data["media_type"] = "CAROUSEL"
        data["children"] = ",".join(children)
    else:
        data["image_url"] = image_url
    if carousel_item:
        data["is_carousel_item"] = "true"
    elif caption:
        data["caption"] = caption
    body = client.request("POST", f"{ig_user_id}/media", token=token, data=data)
    return str(body["id"])


def container_status(client: GraphClient, *, container_id: str, token: str) -> ContainerStatus:
    body = client.request("GET", container_id, token=token, params={"fields": "status_code,status"})
    return ContainerStatus(
        status_code=str(body.get("status_code") or ""), status=str(body.get("status") or "")
    )


def media_publish(client: GraphClient, *, ig_user_id: str, token: str, creation_id: str) -> str:
    """``POST /{ig}/media_publish?creation_id=…``. Returns the Instagram media id."""
    body = client.request(
        "POST", f"{ig_user_id}/media_publish", token=token, data={"creation_id": creation_id}
    )
    return str(body["id"])


def media_permalink(client: GraphClient, *, media_id: str, token: str) -> str:
    body = client.request("GET", media_id, token=token, params={"fields": "permalink"})
    return str(body.get("permalink") or "")


def recent_media(
    client: GraphClient, *, ig_user_id: str, token: str, since: int, max_pages: int = 40
) -> list[RemotePost]:
    """The account's media since ``since`` (unix seconds), newest first (``/{ig}/media``);
    all of it (up to ``max_pages`` × 50, else `TransientError`: look again later)."""
    return _remote_posts(
        client,
        f"{ig_user_id}/media",
        token=token,
        since=since,
        max_pages=max_pages,
        keys=("caption", "timestamp", "permalink"),
    )
