"""Publishing: Page feed posts and photos, deletes, Instagram containers, media_publish
and content_publishing_limit (graph-api.md §5, checklist "Publishing")."""

from __future__ import annotations

import re
from typing import Any

from sandbox.context import Ctx
from sandbox.customers import emit_comment_change
from sandbox.errors import GraphError, invalid_param
from sandbox.fields import EdgeList, FieldSpec, Schema, project
from sandbox.images import (
    MAX_FB_PHOTO_BYTES,
    FetchError,
    FetchTooLarge,
    fetch_error,
    fetch_url,
    inspect_image,
    is_plain_jpeg,
)
from sandbox.nodes import (
    CONTAINER,
    IG_MEDIA,
    PHOTO,
    POST,
    container_status,
    photo_expired,
    visible_posts,
)
from sandbox.reads import EdgeHandler, edge_list
from sandbox.state import Container, IGAccount, IGMedia, Page, Photo, Post, World, random_digits
from sandbox.timeparse import parse_time

SCHEDULE_MIN = 600  # §5: 10 minutes ahead ...
SCHEDULE_MAX = 30 * 86400  # ... to 30 days ahead [C]
MAX_CAPTION = 2200
MAX_HASHTAGS = 30  # configurable: some vendors report 5 [U]
MAX_MENTIONS = 20
RATIO_MIN, RATIO_MAX = 0.8, 1.91


def _schedule(ctx: Ctx, published: bool) -> int | None:
    """`scheduled_publish_time` (unix, ISO 8601 or a strtotime-style relative string such as
    `+2 hours`) needs `published=false` and 600 s – 30 d ahead (§5)."""
    raw = ctx.param("scheduled_publish_time")
    if raw in (None, ""):
        return None
    when = parse_time(raw, ctx.world.now())
    if when is None:
        raise invalid_param("(#100) The specified scheduled publish time is invalid.")
    if published:
        raise invalid_param("(#100) Cannot specify a scheduled publish time on a published post")
    ahead = when - ctx.world.now()
    if not SCHEDULE_MIN <= ahead <= SCHEDULE_MAX:
        raise invalid_param("(#100) The specified scheduled publish time is invalid.")
    return when


def created(ctx: Ctx, schema: Schema, obj: Any, result: dict[str, Any]) -> dict[str, Any]:
    """Read-after-write: a create call with `fields=` answers with those fields too (§5)."""
    spec = ctx.fields()
    if spec is None:
        return result
    return {**result, **project(schema, obj, spec, ctx)}


def _new_post(ctx: Ctx, page: Page, **fields: Any) -> Post:
    post = Post(
        id=f"{page.id}_{random_digits(16, '12')}",
        page_id=page.id,
        created_time=int(ctx.world.now()),
        **fields,
    )
    ctx.world.posts[post.id] = post
    ctx.world.app_posts_by_page.setdefault(page.id, []).append(post.id)
    if post.scheduled_publish_time and not post.published:
        ctx.world.scheduled_post_ids.add(post.id)
    if post.published:
        ctx.world.emit_feed(page.id, ctx.world.feed_value(post, "add"))
    return post


def _attached_photos(ctx: Ctx, page: Page) -> list[str]:
    """`attached_media`: a JSON array (SDKs), indexed keys `attached_media[0]={...}` or one
    object, each `{"media_fbid": id}` of an unpublished, unexpired photo of this Page."""
    world = ctx.world
    photo_ids: list[str] = []
    for item in ctx.list_param("attached_media"):
        media_fbid = str(item.get("media_fbid") or "") if isinstance(item, dict) else ""
        photo = world.photos.get(media_fbid)
        if photo is None or photo.page_id != page.id or photo.published or photo.post_id:
            raise invalid_param(
                f"(#100) attached_media: {media_fbid or item!r} is not an unpublished photo "
                "of this Page"
            )
        if photo_expired(world, photo):
            raise invalid_param(  # Meta's exact answer is [U]
                f"(#100) attached_media: the unpublished photo {media_fbid} has expired "
                "(unpublished photos are kept 24 hours)"
            )
        photo_ids.append(photo.id)
    return photo_ids


def _last_app_post(world: World, page_id: str) -> Post | None:
    """The Page's most recent post made through the API that is not deleted."""
    for post_id in reversed(world.app_posts_by_page.get(page_id, ())):
        post = world.posts.get(post_id)
        if post is not None and not post.deleted:
            return post
    return None


def post_feed(ctx: Ctx, page: Page) -> dict[str, Any]:
    """POST /{page}/feed: message, link, published, scheduled_publish_time, attached_media;
    duplicate consecutive message → 506 (§5)."""
    _token, page = ctx.page_token_for(page.id, "pages_manage_posts", "pages_read_engagement")
    message = ctx.param("message") or ""
    link = ctx.param("link")
    published = ctx.flag("published", True)
    scheduled = _schedule(ctx, published)
    world = ctx.world
    with world.lock:
        photo_ids = _attached_photos(ctx, page)
        if not (message or link or photo_ids):
            raise invalid_param("(#100) Missing message or attachment")
        previous = _last_app_post(world, page.id)
        if message and previous is not None and previous.message == message:
            raise GraphError(506)
        post = _new_post(
            ctx,
            page,
            message=message,
            kind="photo" if photo_ids else "status",
            published=published,
            link=link,
            scheduled_publish_time=scheduled,
            photo_ids=photo_ids,
        )
        for photo_id in photo_ids:
            world.photos[photo_id].post_id = post.id
        return created(ctx, POST, post, {"id": post.id})


def post_photos(ctx: Ctx, page: Page) -> dict[str, Any]:
    """POST /{page}/photos with `url` or a multipart `source`; the bytes must decode as an
    image; `published=false` makes an unpublished photo for attached_media (§5)."""
    _token, page = ctx.page_token_for(page.id, "pages_manage_posts", "pages_read_engagement")
    # The file may come under any field name (the Business SDK sends `source0`) [C].
    upload = ctx.files.get("source") or next(iter(ctx.files.values()), None)
    url = ctx.param("url")
    if upload is not None:
        data = upload.read()
    elif url:
        try:
            data = fetch_url(
                url,
                allow=ctx.world.config.fetch_allow_hosts,
                timeout=ctx.world.config.fetch_timeout,
                max_bytes=MAX_FB_PHOTO_BYTES,
            )
        except FetchError as exc:
            raise GraphError(324, f"(#324) Missing or invalid image file: {exc}") from exc
    else:
        raise GraphError(324, "(#324) Requires upload file")
    info = inspect_image(data)
    if info is None:
        raise GraphError(324, "(#324) Missing or invalid image file")
    caption = ctx.param("caption") or ctx.param("message") or ""
    published = ctx.flag("published", True)
    scheduled = _schedule(ctx, published)
    world = ctx.world
    with world.lock:
        photo = Photo(
            id=random_digits(16, "12"),
            page_id=page.id,
            caption=caption,
            published=published,
            created_time=int(world.now()),
            width=info.width,
            height=info.height,
            content_type=info.content_type,
            source_url=url,
            data=data,
        )
        world.photos[photo.id] = photo
        result: dict[str, Any] = {"id": photo.id}
        if published or scheduled:
            post = _new_post(
                ctx,
                page,
                message=caption,
                kind="photo",
                published=published,
                scheduled_publish_time=scheduled,
                photo_ids=[photo.id],
            )
            photo.post_id = post.id
            result["post_id"] = post.id
        return created(ctx, PHOTO, photo, result)


def scheduled_posts(ctx: Ctx, page: Page) -> dict[str, Any]:
    ctx.page_for(page.id)
    posts = [
        p for p in visible_posts(ctx.world, page.id, published=False) if p.scheduled_publish_time
    ]
    return edge_list(ctx, EdgeList(POST, posts, lambda p: p.id))


EDITABLE_POST_PARAMS = {"message", "is_published", "scheduled_publish_time"}


def update_post(ctx: Ctx, post: Post) -> dict[str, Any]:
    """POST /{post-id}: change `message`, publish an unpublished post now
    (`is_published=true`) or move its `scheduled_publish_time`; a feed `edited` event for
    a published post. Other attributes (link, photos) cannot be changed [U]."""
    ctx.page_token_for(post.page_id, "pages_manage_posts", "pages_read_engagement")
    unsupported = {"link", "attached_media", "url", "source"} & set(ctx.params)
    if unsupported:
        raise invalid_param(f"(#100) A post's {sorted(unsupported)[0]} cannot be changed")
    if not EDITABLE_POST_PARAMS & set(ctx.params):
        raise invalid_param(
            "(#100) Nothing to update: give message, is_published or scheduled_publish_time"
        )
    world = ctx.world
    with world.lock:
        if "scheduled_publish_time" in ctx.params:
            if post.published:
                raise invalid_param(
                    "(#100) Cannot specify a scheduled publish time on a published post"
                )
            post.scheduled_publish_time = _schedule(ctx, False)
            world.scheduled_post_ids.add(post.id)
        if "message" in ctx.params:
            post.message = ctx.param("message") or ""
            if len(post.photo_ids) == 1 and post.photo_ids[0] in world.photos:
                world.photos[post.photo_ids[0]].caption = post.message  # a one-photo post
        post.updated_time = int(world.now())
        if ctx.flag("is_published", post.published) and not post.published:
            post.published = True
            post.scheduled_publish_time = None
            post.created_time = int(world.now())
            world.emit_feed(post.page_id, world.feed_value(post, "add"))
        elif post.published:
            world.emit_feed(post.page_id, world.feed_value(post, "edited"))
        return created(ctx, POST, post, {"success": True})


def delete_object(ctx: Ctx, obj: Any) -> dict[str, Any]:
    """DELETE /{post-id}, /{photo-id}, /{comment-id}: Page token needed; a feed `remove`
    event is emitted for posts."""
    world = ctx.world
    kind = type(obj).__name__
    page_id = obj.page_id if hasattr(obj, "page_id") else None
    if kind in ("Post", "Photo") and page_id:
        ctx.page_token_for(page_id, "pages_manage_posts")
        with world.lock:
            post = obj if kind == "Post" else world.posts.get(obj.post_id or "")
            if kind == "Photo":
                world.photos.pop(obj.id, None)
            if post is not None and not post.deleted:
                post.deleted = True
                if post.published:
                    world.emit_feed(post.page_id, world.feed_value(post, "remove"))
        return {"success": True}
    if kind == "Comment":
        token = ctx.authenticate()
        if token.kind != "page" or token.page_id != obj.page_id:
            raise GraphError(200, "(#200) Deleting a comment needs a Page token of its Page")
        with world.lock:
            emit_comment_change(world, obj, "remove")
            world.comments.pop(obj.id, None)
        return {"success": True}
    raise GraphError(100, "(#100) Unsupported delete request.", type="GraphMethodException")


# -- Instagram ------------------------------------------------------------------------------
def _ig_publisher(ctx: Ctx, ig: IGAccount) -> None:
    """Instagram publishing needs instagram_basic + instagram_content_publish and access to
    the linked Page (§5)."""
    token = ctx.authenticate()
    ctx.page_for(ig.page_id)
    ctx.require_scopes(token, "instagram_basic", "instagram_content_publish", code=10)


def check_caption(caption: str) -> None:
    """§5: ≤ 2,200 characters, ≤ 30 hashtags, ≤ 20 @-tags."""
    if len(caption) > MAX_CAPTION or len(re.findall(r"#\w", caption)) > MAX_HASHTAGS:
        raise GraphError(36004, subcode=2207010)
    if len(re.findall(r"@\w", caption)) > MAX_MENTIONS:
        raise GraphError(100, subcode=2207040)


def _fetch_ig_image(ctx: Ctx, url: str, *, check_ratio: bool) -> tuple[bytes, int, int]:
    """Fetch image_url like Meta and validate: JPEG only, ≤ 8 MiB, ratio 0.8–1.91 (§5)."""
    config = ctx.world.config
    try:
        data = fetch_url(url, allow=config.fetch_allow_hosts, timeout=config.fetch_timeout)
    except FetchTooLarge:
        raise GraphError(36000, subcode=2207004) from None
    except FetchError as exc:
        raise fetch_error(exc) from exc
    info = inspect_image(data)
    if not is_plain_jpeg(data, info):
        raise GraphError(36001, subcode=2207005)
    assert info is not None
    ratio = info.width / info.height
    if check_ratio and not RATIO_MIN <= ratio <= RATIO_MAX:
        raise GraphError(36003, subcode=2207009)
    return data, info.width, info.height


def ig_media_create(ctx: Ctx, ig: IGAccount) -> dict[str, Any]:
    """POST /{ig-user}/media: IMAGE, STORIES, REELS, carousel items and CAROUSEL parents."""
    _ig_publisher(ctx, ig)
    world = ctx.world
    media_type = (ctx.param("media_type") or "IMAGE").upper()
    is_item = ctx.flag("is_carousel_item", False)
    caption = ctx.param("caption") or ""
    if media_type not in ("IMAGE", "CAROUSEL", "REELS", "STORIES"):
        raise GraphError(100, subcode=2207023)
    check_caption(caption)
    now = world.now()
    with world.lock:
        recent = [
            c for c in world.containers.values() if c.ig_id == ig.id and c.created_at > now - 86400
        ]
        if len(recent) >= world.container_limit:
            # §5: 400 containers per rolling 24 h; Meta's exact error code is [U].
            raise GraphError(
                9,
                subcode=2207042,
                message="You have reached the maximum of 400 containers in 24 hours.",
            )
    data, width, height = b"", 0, 0
    children: list[str] = []
    ready_at = now + world.container_processing_seconds
    if media_type == "CAROUSEL":
        children = [str(c).strip() for c in ctx.list_param("children") if str(c).strip()]
        if not 2 <= len(children) <= 10 or len(set(children)) != len(children):
            raise GraphError(100, subcode=2207028)
        with world.lock:
            for child_id in children:
                ready_at = max(ready_at, _carousel_child(world, ig, child_id).ready_at)
    elif media_type == "REELS":
        ctx.required("video_url")  # videos are accepted without transcoding checks
    else:
        url = ctx.param("image_url")
        if not url:
            raise invalid_param("(#100) The parameter image_url is required.")
        data, width, height = _fetch_ig_image(ctx, url, check_ratio=media_type == "IMAGE")
    with world.lock:
        container = Container(
            id=random_digits(17, "179"),
            ig_id=ig.id,
            media_type=media_type,
            caption="" if is_item else caption,
            created_at=now,
            ready_at=ready_at,
            image_url=ctx.param("image_url"),
            is_carousel_item=is_item,
            children=children,
            width=width,
            height=height,
            data=data,
        )
        world.containers[container.id] = container
        return created(ctx, CONTAINER, container, {"id": container.id})


def _carousel_child(world: World, ig: IGAccount, child_id: str) -> Container:
    """A child must be a carousel item of this account, not failed, expired or published,
    and not already listed by another carousel (Meta's exact answers are [U])."""
    child = world.containers.get(child_id)
    if child is None or child.ig_id != ig.id or not child.is_carousel_item:
        raise GraphError(
            100,
            subcode=2207028,
            message=f"Carousel child {child_id} is not a carousel item of this account.",
        )
    status, _text = container_status(world, child)
    if status in ("ERROR", "EXPIRED", "PUBLISHED"):
        raise GraphError(
            100,
            subcode=2207028,
            message=f"Carousel child {child_id} cannot be used: its status is {status}.",
        )
    if any(child_id in other.children for other in world.containers.values()):
        raise GraphError(
            100,
            subcode=2207028,
            message=f"Carousel child {child_id} already belongs to another carousel.",
        )
    return child


def ig_media_publish(ctx: Ctx, ig: IGAccount) -> dict[str, Any]:
    """POST /{ig-user}/media_publish?creation_id=: §5/§6 errors for not ready, expired,
    unknown, over the limit, already published."""
    _ig_publisher(ctx, ig)
    world = ctx.world
    creation_id = ctx.required("creation_id")
    with world.lock:
        container = world.containers.get(creation_id)
        if container is None or container.ig_id != ig.id:
            raise GraphError(24, subcode=2207006)
        if container.is_carousel_item:
            raise GraphError(  # [U] Meta's exact answer
                100,
                "(#100) This container is a carousel item: publish the CAROUSEL container "
                "that lists it.",
                instagram=True,
            )
        status, _text = container_status(world, container)
        if status == "PUBLISHED":
            raise GraphError(
                24,
                subcode=2207006,
                message="The media with this creation_id has already been published.",
            )
        if status == "EXPIRED":
            raise GraphError(-2, subcode=2207020)
        if status == "ERROR":
            raise GraphError(
                -1, subcode=2207032, message="Create media failed, please try to re-create media."
            )
        if status == "IN_PROGRESS":
            raise GraphError(9007, subcode=2207027)
        if quota_usage(ctx, ig, world.now() - 86400) >= world.publish_limit:
            raise GraphError(9, subcode=2207042)
        media = _publish_container(ctx, container)
        return created(ctx, IG_MEDIA, media, {"id": media.id})


def _publish_container(ctx: Ctx, container: Container) -> IGMedia:
    world = ctx.world
    child_ids = []
    for child_id in container.children:
        child = world.containers[child_id]
        child_ids.append(_publish_container(ctx, child).id)
    media = IGMedia(
        id=random_digits(17, "180"),
        ig_id=container.ig_id,
        caption=container.caption,
        media_type=container.media_type,
        timestamp=int(world.now()),
        container_id=container.id,
        children=child_ids,
        data=container.data
        or (world.containers[container.children[0]].data if container.children else b""),
    )
    world.ig_media[media.id] = media
    container.published_media_id = media.id
    return media


def quota_usage(ctx: Ctx, ig: IGAccount, since: float) -> int:
    """Posts published in the moving 24 h (a carousel counts as one)."""
    children = {c for m in ctx.world.ig_media.values() for c in m.children}
    return sum(
        1
        for m in ctx.world.ig_media.values()
        if m.ig_id == ig.id and m.id not in children and m.timestamp >= since
    )


def content_publishing_limit(ctx: Ctx, ig: IGAccount) -> dict[str, Any]:
    """GET /{ig-user}/content_publishing_limit?fields=quota_usage,config&since= (§5)."""
    ctx.authenticate()
    ctx.page_for(ig.page_id)
    now = ctx.world.now()
    since = max(float(ctx.time_param("since") or 0), now - 86400)
    wanted = ctx.fields() or {"quota_usage": FieldSpec()}
    entry: dict[str, Any] = {}
    for name in wanted:
        if name == "quota_usage":
            entry["quota_usage"] = quota_usage(ctx, ig, since)
        elif name == "config":
            entry["config"] = {"quota_total": ctx.world.publish_limit, "quota_duration": 86400}
        else:
            raise GraphError(
                100,
                f"(#100) Tried accessing nonexisting field ({name}) on node type (ContentPublishingLimit)",
            )
    return {"data": [entry]}


EDGES: dict[tuple[str, str, str], EdgeHandler] = {
    ("Page", "feed", "POST"): post_feed,
    ("Page", "photos", "POST"): post_photos,
    ("Page", "scheduled_posts", "GET"): scheduled_posts,
    ("IGAccount", "media", "POST"): ig_media_create,
    ("IGAccount", "media_publish", "POST"): ig_media_publish,
    ("IGAccount", "content_publishing_limit", "GET"): content_publishing_limit,
}
