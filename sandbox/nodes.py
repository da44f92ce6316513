"""Node types and their fields for `fields=` projection (graph-api.md §2, §4, §5, §9)."""

from __future__ import annotations

import time
from typing import Any

from sandbox.context import Ctx
from sandbox.errors import invalid_param
from sandbox.fields import MISSING, EdgeList, FieldSpec, Nested, Schema, WithSpec
from sandbox.figures import object_figures, real_reactions, seeded
from sandbox.state import (
    Comment,
    Container,
    Conversation,
    Customer,
    IGAccount,
    IGMedia,
    Message,
    Page,
    Photo,
    Post,
    User,
    World,
)


def iso(ts: float) -> str:
    """Meta's timestamp format: 2024-05-01T12:34:56+0000."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(ts))


def picture(ctx: Ctx, object_id: str) -> dict[str, Any]:
    return {
        "data": {
            "height": 200,
            "width": 200,
            "is_silhouette": False,
            "url": f"{ctx.base_url}/_sandbox/pictures/{object_id}.png",
        }
    }


def photo_url(ctx: Ctx, photo_id: str) -> str:
    return f"{ctx.base_url}/_sandbox/photos/{photo_id}.jpg"


def container_status(world: World, container: Container) -> tuple[str, str]:
    """§5 ig-container: IN_PROGRESS → FINISHED (after a configurable delay) or ERROR;
    EXPIRED after 24 h unpublished; PUBLISHED once published."""
    now = world.now()
    if container.published_media_id:
        return "PUBLISHED", "Published: Media has been successfully published."
    if container.forced_status == "ERROR":
        sub = container.error_subcode or 2207001
        return "ERROR", f"Error: Media upload has failed with error code {sub}"
    for child_id in container.children:  # a carousel fails with any of its items [U]
        child = world.containers.get(child_id)
        if child is not None and container_status(world, child)[0] == "ERROR":
            return "ERROR", f"Error: Carousel item {child_id} failed to upload"
    if now >= container.created_at + 86400:
        return "EXPIRED", "Expired: Media was not published within 24 hours."
    if now >= container.ready_at:
        return "FINISHED", "Finished: Media has been uploaded and it is ready to be published."
    return "IN_PROGRESS", "In Progress: Media is still being processed."


UNPUBLISHED_PHOTO_LIFETIME = 86400  # an unpublished photo not attached within 24 h expires [U]


def photo_expired(world: World, photo: Photo) -> bool:
    """Unpublished photos (uploaded for `attached_media`) live 24 h unless attached [U]."""
    return (
        not photo.published
        and not photo.post_id
        and world.now() - photo.created_time > UNPUBLISHED_PHOTO_LIFETIME
    )


SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def shortcode(media_id: str) -> str:
    """Instagram's shortcode is the media id in URL-safe base64 digits [C]; 11 characters."""
    number, out = int(media_id), ""
    while number:
        number, digit = divmod(number, 64)
        out = SHORTCODE_ALPHABET[digit] + out
    return out[-11:].rjust(11, "A")


def _image(ctx: Ctx, photo: Photo) -> dict[str, Any]:
    return {"height": photo.height, "src": photo_url(ctx, photo.id), "width": photo.width}


def _photo_attachment(ctx: Ctx, photo: Photo) -> dict[str, Any]:
    url = f"https://www.facebook.com/photo.php?fbid={photo.id}&set=a.{photo.page_id}&type=3"
    attachment: dict[str, Any] = {
        "media": {"image": _image(ctx, photo)},
        "media_type": "photo",
        "target": {"id": photo.id, "url": url},
        "type": "photo",
        "url": url,
    }
    if photo.caption:
        attachment["description"] = photo.caption
    return attachment


def post_attachments(ctx: Ctx, post: Post) -> list[dict[str, Any]]:
    """A Post's `attachments` in Meta's shape [C]: one photo → `type: photo`; several →
    one `album` attachment with the photos as `subattachments`; a link → `share`."""
    photos = [ctx.world.photos[i] for i in post.photo_ids if i in ctx.world.photos]
    permalink = post_permalink(post)
    if len(photos) == 1:
        return [_photo_attachment(ctx, photos[0])]
    if photos:
        return [
            {
                "media": {"image": _image(ctx, photos[0])},
                "media_type": "album",
                "target": {"id": post.id.split("_")[-1], "url": permalink},
                "title": f"Photos from {ctx.world.pages[post.page_id].name}'s post",
                "type": "album",
                "url": permalink,
                "subattachments": EdgeList(
                    ATTACHMENT,
                    [_photo_attachment(ctx, photo) for photo in photos],
                    _attachment_key,
                    paged=False,
                ),
            }
        ]
    if post.link:
        return [
            {
                "media_type": "link",
                "target": {"url": post.link},
                "title": post.link,
                "type": "share",
                "url": post.link,
            }
        ]
    return []


def _attachment_key(attachment: dict[str, Any]) -> str:
    return str(attachment["target"].get("id") or attachment["target"].get("url"))


def post_permalink(post: Post) -> str:
    return f"https://www.facebook.com/{post.page_id}/posts/{post.id.split('_')[-1]}"


def visible_posts(world: World, page_id: str, *, published: bool | None = True) -> list[Post]:
    """Newest first, like Meta's feed edges."""
    posts = [
        p
        for p in world.posts.values()
        if p.page_id == page_id
        and not p.deleted
        and (published is None or p.published == published)
    ]
    # Newest first; among equal timestamps the later-created first (stable sort on reversed
    # insertion order), so paging is deterministic.
    ranked = sorted(enumerate(posts), key=lambda ip: (ip[1].created_time, ip[0]), reverse=True)
    return [post for _index, post in ranked]


def _page_access_token(ctx: Ctx, page: Page) -> Any:
    token = ctx.token
    if token is None or token.kind not in ("user", "page"):
        return MISSING
    if token.kind == "page":
        return token.token
    with ctx.world.lock:
        return page_token_from(ctx.world, token, page.id).token


def page_token_from(world: World, user_token: Any, page_id: str) -> Any:
    """A Page token derived from a user token (§2): reused for the same parent; expires with
    a short-lived parent, never with a long-lived one."""
    for token in world.tokens.values():
        if (
            token.parent_id == user_token.id
            and token.page_id == page_id
            and token.revoked_subcode is None
        ):
            return token
    lifetime = 0 if user_token.long_lived else max(int(user_token.expires_at - world.now()), 1)
    return world.new_token(
        "page",
        user_token.app_id,
        user_id=user_token.user_id,
        page_id=page_id,
        scopes=user_token.scopes,
        page_targets=user_token.page_targets,
        lifetime=lifetime or None,
        parent_id=user_token.id,
        data_access_expires_at=user_token.data_access_expires_at,
    )


def _tasks(ctx: Ctx, page: Page) -> Any:
    token = ctx.token
    user = ctx.world.users.get(token.user_id or "") if token else None
    return ctx.world.tasks_of(user, page.id) if user else MISSING


def _ig_of(ctx: Ctx, page: Page) -> Any:
    ig = ctx.world.ig_accounts.get(page.ig_id or "")
    return Nested(IG_USER, ig) if ig else MISSING


def _oldest_first(comments: list[Comment]) -> list[Comment]:
    return sorted(comments, key=lambda c: (c.created_time, c.id))


def _comments_on(world: World, object_id: str) -> list[Comment]:
    """Top-level comments on a post or IG media."""
    return _oldest_first(
        [c for c in world.comments.values() if c.object_id == object_id and c.parent_id is None]
    )


def _replies(world: World, comment_id: str) -> list[Comment]:
    return _oldest_first([c for c in world.comments.values() if c.parent_id == comment_id])


def _by_id(item: Any) -> str:
    return str(item.id)


def _reactors(ctx: Ctx, post: Post) -> list[dict[str, str]]:
    """People who reacted: the sandbox's real reactions first, then the deterministic
    audience behind the post's figures (named "Fan 1", "Fan 2", …)."""
    world = ctx.world
    people = []
    for person_id, kind in post.reactions.items():
        customer = world.customers.get(person_id)
        name = customer.name if customer else person_id
        people.append({"id": person_id, "name": name, "type": kind.upper()})
    figs = object_figures(world, post)
    real = {k.lower(): v for k, v in real_reactions(world, post.id).items()}
    for kind, count in figs["reactions_by_type"].items():
        for index in range(max(count - real.get(kind, 0), 0)):
            number = len(people) + 1
            person_id = "3" + str(seeded(f"{post.id}:{kind}:{index}").randrange(10**14, 10**15))
            people.append({"id": person_id, "name": f"Fan {number}", "type": kind.upper()})
    return people


def _reactions(ctx: Ctx, post: Post, only: str | None = None) -> EdgeList:
    people = [p for p in _reactors(ctx, post) if only is None or p["type"] == only]
    return EdgeList(REACTION, people, lambda p: p["id"], summary={"viewer_reaction": "NONE"})


# Container media_type -> the published media's media_type / media_product_type [D].
IG_MEDIA_TYPES = {"CAROUSEL": "CAROUSEL_ALBUM", "REELS": "VIDEO", "STORIES": "IMAGE"}
IG_PRODUCT_TYPES = {"REELS": "REELS", "STORIES": "STORY"}

PAGE: Schema
POST: Schema
COMMENT: Schema
REACTION: Schema
IG_COMMENT: Schema
IG_MEDIA: Schema
IG_USER: Schema
ATTACHMENT_FIELDS = ["description", "media", "media_type", "target", "title", "type", "url"]
ATTACHMENT = Schema(
    "StoryAttachment",
    [*ATTACHMENT_FIELDS, "subattachments"],
    {
        **{
            name: (lambda key: lambda ctx, a: a.get(key, MISSING))(name)
            for name in ATTACHMENT_FIELDS
        },
        "subattachments": lambda ctx, a: a.get("subattachments", MISSING),
    },
)

USER = Schema(
    "User",
    ["id", "name"],
    {
        "id": lambda ctx, u: u.id,
        "name": lambda ctx, u: u.name,
        "first_name": lambda ctx, u: u.name.split()[0],
        "last_name": lambda ctx, u: u.name.split()[-1],
        "short_name": lambda ctx, u: u.name.split()[0],
        "email": lambda ctx, u: u.email if ctx.token and "email" in ctx.token.scopes else MISSING,
        "picture": lambda ctx, u: picture(ctx, u.id),
        "accounts": lambda ctx, u: EdgeList(
            PAGE, [ctx.world.pages[p] for p in granted_pages(ctx, u)], _by_id
        ),
    },
)

PAGE = Schema(
    "Page",
    ["name", "id"],
    {
        "id": lambda ctx, p: p.id,
        "name": lambda ctx, p: p.name,
        "category": lambda ctx, p: p.category,
        "category_list": lambda ctx, p: [{"id": "2" + p.id[-14:], "name": p.category}],
        "about": lambda ctx, p: p.about,
        "followers_count": lambda ctx, p: p.followers_count,
        "fan_count": lambda ctx, p: p.followers_count,
        "link": lambda ctx, p: f"https://www.facebook.com/{p.id}",
        "picture": lambda ctx, p: picture(ctx, p.id),
        "access_token": _page_access_token,
        "tasks": _tasks,
        "instagram_business_account": _ig_of,
        "connected_instagram_account": _ig_of,
        "feed": lambda ctx, p: EdgeList(POST, visible_posts(ctx.world, p.id), _by_id),
        "posts": lambda ctx, p: EdgeList(POST, visible_posts(ctx.world, p.id), _by_id),
        "published_posts": lambda ctx, p: EdgeList(POST, visible_posts(ctx.world, p.id), _by_id),
    },
)

PHOTO = Schema(
    "Photo",
    ["id", "created_time", "name"],
    {
        "id": lambda ctx, ph: ph.id,
        "created_time": lambda ctx, ph: iso(ph.created_time),
        "name": lambda ctx, ph: ph.caption or MISSING,
        "width": lambda ctx, ph: ph.width,
        "height": lambda ctx, ph: ph.height,
        "picture": lambda ctx, ph: photo_url(ctx, ph.id),
        "link": lambda ctx, ph: f"https://www.facebook.com/photo/?fbid={ph.id}",
        "images": lambda ctx, ph: [
            {"height": ph.height, "width": ph.width, "source": photo_url(ctx, ph.id)}
        ],
        "page_story_id": lambda ctx, ph: ph.post_id or MISSING,
    },
)

COMMENT = Schema(
    "Comment",
    ["created_time", "from", "message", "id"],
    {
        "id": lambda ctx, c: c.id,
        "message": lambda ctx, c: c.message,
        "created_time": lambda ctx, c: iso(c.created_time),
        "from": lambda ctx, c: {"name": c.author_name, "id": c.author_id},
        "parent": lambda ctx, c: {"id": c.parent_id} if c.parent_id else MISSING,
        "can_reply_privately": lambda ctx, c: (
            not c.private_replied and ctx.world.now() - c.created_time <= 7 * 86400
        ),
        "is_hidden": lambda ctx, c: c.hidden,
        "can_hide": lambda ctx, c: c.author_id != c.page_id,
        "can_remove": lambda ctx, c: True,
        "comment_count": lambda ctx, c: len(_replies(ctx.world, c.id)),
        "like_count": lambda ctx, c: c.like_count,
        "permalink_url": lambda ctx, c: (
            f"https://www.facebook.com/{c.page_id}/posts/{c.object_id.split('_')[-1]}"
            f"?comment_id={c.id.split('_')[-1]}"
        ),
        "comments": lambda ctx, c: EdgeList(COMMENT, _replies(ctx.world, c.id), _by_id),
    },
)

POST = Schema(
    "Post",
    ["created_time", "message", "id"],
    {
        "id": lambda ctx, p: p.id,
        "message": lambda ctx, p: p.message or MISSING,
        "created_time": lambda ctx, p: iso(p.created_time),
        "updated_time": lambda ctx, p: iso(p.updated_time or p.created_time),
        "is_published": lambda ctx, p: p.published,
        "scheduled_publish_time": lambda ctx, p: p.scheduled_publish_time or MISSING,
        "status_type": lambda ctx, p: (
            "added_photos" if p.kind == "photo" else "mobile_status_update"
        ),
        "permalink_url": lambda ctx, p: post_permalink(p),
        "full_picture": lambda ctx, p: photo_url(ctx, p.photo_ids[0]) if p.photo_ids else MISSING,
        "link": lambda ctx, p: p.link or MISSING,
        "from": lambda ctx, p: {"name": ctx.world.pages[p.page_id].name, "id": p.page_id},
        "attachments": lambda ctx, p: EdgeList(
            ATTACHMENT, post_attachments(ctx, p), _attachment_key, paged=False
        ),
        "comments": lambda ctx, p: EdgeList(
            COMMENT,
            _comments_on(ctx.world, p.id),
            _by_id,
            summary={"order": "ranked", "can_comment": True},
        ),
        "reactions": lambda ctx, p: _reactions(ctx, p),
        "likes": lambda ctx, p: EdgeList(
            REACTION,
            [r for r in _reactors(ctx, p) if r["type"] == "LIKE"],
            lambda r: r["id"],
            summary={"can_like": True, "has_liked": False},
        ),
        # Meta leaves `shares` out until someone shares the post [C].
        "shares": lambda ctx, p: (
            {"count": object_figures(ctx.world, p)["shares"]}
            if object_figures(ctx.world, p)["shares"]
            else MISSING
        ),
    },
)

REACTION = Schema(
    "Reaction",
    ["id", "name", "type"],
    {
        "id": lambda ctx, r: r["id"],
        "name": lambda ctx, r: r["name"],
        "type": lambda ctx, r: r["type"],
    },
)

IG_COMMENT = Schema(
    "IGComment",
    ["id", "text", "timestamp"],
    {
        "id": lambda ctx, c: c.id,
        "text": lambda ctx, c: c.message,
        "timestamp": lambda ctx, c: iso(c.created_time),
        "username": lambda ctx, c: c.author_name,
        "from": lambda ctx, c: {"id": c.author_id, "username": c.author_name},
        "hidden": lambda ctx, c: c.hidden,
        "like_count": lambda ctx, c: c.like_count,
        "media": lambda ctx, c: {"id": c.object_id},
        "parent_id": lambda ctx, c: c.parent_id or MISSING,
        "replies": lambda ctx, c: EdgeList(IG_COMMENT, _replies(ctx.world, c.id), _by_id),
    },
)

IG_MEDIA = Schema(
    "IGMedia",
    ["id"],
    {
        "id": lambda ctx, m: m.id,
        "caption": lambda ctx, m: m.caption or MISSING,
        "media_type": lambda ctx, m: IG_MEDIA_TYPES.get(m.media_type, m.media_type),
        "media_product_type": lambda ctx, m: IG_PRODUCT_TYPES.get(m.media_type, "FEED"),
        "media_url": lambda ctx, m: f"{ctx.base_url}/_sandbox/media/{m.id}.jpg",
        "shortcode": lambda ctx, m: shortcode(m.id),
        # Meta: "Only available on VIDEO media" [D]; REELS are videos.
        "thumbnail_url": lambda ctx, m: (
            f"{ctx.base_url}/_sandbox/pictures/{m.id}.png"
            if m.media_type in ("REELS", "VIDEO")
            else MISSING
        ),
        "permalink": lambda ctx, m: f"https://www.instagram.com/p/{shortcode(m.id)}/",
        "is_comment_enabled": lambda ctx, m: True,
        "timestamp": lambda ctx, m: iso(m.timestamp),
        "username": lambda ctx, m: ctx.world.ig_accounts[m.ig_id].username,
        "owner": lambda ctx, m: {"id": m.ig_id},
        "like_count": lambda ctx, m: object_figures(ctx.world, m)["likes"],
        "comments_count": lambda ctx, m: len(_comments_on(ctx.world, m.id)),
        # Only carousels have `children` (absent on other media, as on Meta [C]).
        "children": lambda ctx, m: (
            EdgeList(
                IG_MEDIA,
                [ctx.world.ig_media[c] for c in m.children if c in ctx.world.ig_media],
                _by_id,
            )
            if m.media_type == "CAROUSEL"
            else MISSING
        ),
        "comments": lambda ctx, m: EdgeList(IG_COMMENT, _comments_on(ctx.world, m.id), _by_id),
    },
)


def _mentioned(kind: str) -> WithSpec:
    """IG user fields `mentioned_media.media_id(X){caption,media_type,timestamp,username,…}`
    and `mentioned_comment.comment_id(Y){text,timestamp,like_count,media{…}}`: what another
    account wrote when it @-mentioned this one (instagram_manage_comments) [D]."""

    def resolve(ctx: Ctx, ig: IGAccount, spec: FieldSpec) -> Any:
        key = "media_id" if kind == "media" else "comment_id"
        object_id = spec.modifiers.get(key, "")
        mention = ctx.world.mentions.get(object_id)
        if not object_id:
            raise invalid_param(f"(#100) mentioned_{kind} needs .{key}(…)")
        if (
            mention is None
            or mention["ig_id"] != ig.id
            or (kind == "comment" and "text" not in mention)
        ):
            raise invalid_param(f"(#100) No mention of this account with {key} {object_id}")
        ctx.require_scopes(ctx.authenticate(), "instagram_manage_comments", code=10)
        media = {
            "id": mention["media_id"],
            "caption": mention["caption"],
            "media_type": "IMAGE",
            "media_url": f"{ctx.base_url}/_sandbox/pictures/{mention['media_id']}.png",
            "timestamp": iso(mention["timestamp"]),
            "username": mention["username"],
            "like_count": 12,
            "comments_count": 1 if "text" in mention else 0,
        }
        body = (
            media
            if kind == "media"
            else {
                "id": object_id,
                "text": mention["text"],
                "timestamp": iso(mention["timestamp"]),
                "like_count": 0,
                "media": media,
            }
        )
        wanted = spec.sub or {"id": FieldSpec()}
        return {k: v for k, v in body.items() if k in wanted or k == "id"}

    return WithSpec(resolve)


IG_USER = Schema(
    "IGUser",
    ["id"],
    {
        "id": lambda ctx, ig: ig.id,
        "ig_id": lambda ctx, ig: int(ig.id[-10:]),
        "username": lambda ctx, ig: ig.username,
        "name": lambda ctx, ig: ig.name,
        "biography": lambda ctx, ig: ig.biography,
        "website": lambda ctx, ig: ig.website,
        "followers_count": lambda ctx, ig: ig.followers_count,
        "follows_count": lambda ctx, ig: ig.follows_count,
        "media_count": lambda ctx, ig: len(ig_media_of(ctx.world, ig.id)),
        "profile_picture_url": lambda ctx, ig: f"{ctx.base_url}/_sandbox/pictures/{ig.id}.png",
        "media": lambda ctx, ig: EdgeList(IG_MEDIA, ig_media_of(ctx.world, ig.id), _by_id),
        "mentioned_media": _mentioned("media"),
        "mentioned_comment": _mentioned("comment"),
    },
)

CONTAINER = Schema(
    "IGContainer",
    ["id"],
    {
        "id": lambda ctx, c: c.id,
        "status_code": lambda ctx, c: container_status(ctx.world, c)[0],
        "status": lambda ctx, c: container_status(ctx.world, c)[1],
        "media_type": lambda ctx, c: c.media_type,
    },
)


def scope_for(platform: str) -> str:
    return "instagram_manage_messages" if platform == "instagram" else "pages_messaging"


def messages_of(world: World, conversation: Conversation) -> list[Message]:
    """Newest first, like Meta's `messages` edge."""
    return [world.messages_by_mid[mid] for mid in reversed(conversation.mids)]


def _person(ctx: Ctx, person_id: str) -> dict[str, Any]:
    """A participant as Meta shows it: Pages and Messenger people with `name` (and a
    page-scoped email), Instagram people and accounts with `username`."""
    world = ctx.world
    if person_id in world.pages:
        page = world.pages[person_id]
        return {"name": page.name, "email": f"{page.id}@facebook.com", "id": page.id}
    if person_id in world.ig_accounts:
        return {"username": world.ig_accounts[person_id].username, "id": person_id}
    customer = world.customers.get(person_id)
    if customer is None:
        return {"id": person_id}
    if customer.platform == "instagram":
        return {"username": customer.name, "id": customer.id}
    return {"name": customer.name, "email": f"{customer.id}@facebook.com", "id": customer.id}


def _ends(ctx: Ctx, m: Message) -> tuple[str, str]:
    """(from, to) ids of a message."""
    return (m.customer_id, m.account_id) if m.direction == "in" else (m.account_id, m.customer_id)


def _attachments(ctx: Ctx, m: Message) -> Any:
    if not m.attachments:
        return MISSING
    data = []
    for index, item in enumerate(m.attachments):
        entry: dict[str, Any] = {"id": f"{m.mid[-12:]}{index}", "name": item["url"].rsplit("/")[-1]}
        if item["type"] == "image":
            entry.update(mime_type="image/jpeg", image_data={"url": item["url"]})
        elif item["type"] == "video":
            entry.update(mime_type="video/mp4", video_data={"url": item["url"]})
        else:
            entry.update(mime_type="application/octet-stream", file_url=item["url"])
        data.append(entry)
    return {"data": data}


MESSAGE = Schema(
    "Message",
    ["id", "created_time"],
    {
        "id": lambda ctx, m: m.mid,
        "created_time": lambda ctx, m: iso(m.timestamp / 1000),
        "message": lambda ctx, m: m.text,
        "from": lambda ctx, m: _person(ctx, _ends(ctx, m)[0]),
        "to": lambda ctx, m: {"data": [_person(ctx, _ends(ctx, m)[1])]},
        "attachments": _attachments,
        "story": lambda ctx, m: (
            {"reply_to": m.reply_to["story"]} if m.reply_to and "story" in m.reply_to else MISSING
        ),
        "reply_to": lambda ctx, m: (
            {"mid": m.reply_to["mid"]} if m.reply_to and "mid" in m.reply_to else MISSING
        ),
        "reactions": lambda ctx, m: (
            {
                "data": [
                    {"reaction": r, "users": [_person(ctx, who)]} for who, r in m.reactions.items()
                ]
            }
            if m.reactions
            else MISSING
        ),
        "tags": lambda ctx, m: {"data": [{"name": m.tag.lower()}]} if m.tag else MISSING,
        "is_unsupported": lambda ctx, m: False,
    },
)


CONVERSATION = Schema(
    "Conversation",
    ["id", "updated_time"],
    {
        "id": lambda ctx, c: c.id,
        "updated_time": lambda ctx, c: iso(c.updated_ms / 1000),
        "link": lambda ctx, c: f"/{c.page_id}/inbox/{c.id}",
        "message_count": lambda ctx, c: len(messages_of(ctx.world, c)),
        "unread_count": lambda ctx, c: 0,
        "can_reply": lambda ctx, c: True,
        "snippet": lambda ctx, c: next((m.text for m in messages_of(ctx.world, c)), ""),
        "participants": lambda ctx, c: {
            "data": [_person(ctx, c.customer_id), _person(ctx, c.account_id)]
        },
        "senders": lambda ctx, c: {
            "data": [_person(ctx, c.customer_id), _person(ctx, c.account_id)]
        },
        "messages": lambda ctx, c: EdgeList(MESSAGE, messages_of(ctx.world, c), lambda m: m.mid),
    },
)


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


# The Messenger User Profile API (`GET /{PSID}`) and the Instagram one (`GET /{IGSID}`) [D]:
# a Page token with messaging permission, for people who wrote to the Page.
CUSTOMER = Schema(
    "User",
    ["first_name", "last_name", "profile_pic", "id"],
    {
        "id": lambda ctx, c: c.id,
        "name": lambda ctx, c: c.name,
        "first_name": lambda ctx, c: _split_name(c.name)[0],
        "last_name": lambda ctx, c: _split_name(c.name)[1],
        "username": lambda ctx, c: c.name if c.platform == "instagram" else MISSING,
        "profile_pic": lambda ctx, c: f"{ctx.base_url}/_sandbox/pictures/{c.id}.png",
        "follower_count": lambda ctx, c: 120 if c.platform == "instagram" else MISSING,
        "is_user_follow_business": lambda ctx, c: True if c.platform == "instagram" else MISSING,
        "is_business_follow_user": lambda ctx, c: False if c.platform == "instagram" else MISSING,
    },
)


def ig_media_of(world: World, ig_id: str) -> list[IGMedia]:
    """Top-level (non-carousel-child) media, newest first."""
    children = {c for m in world.ig_media.values() for c in m.children}
    media = [m for m in world.ig_media.values() if m.ig_id == ig_id and m.id not in children]
    ranked = sorted(enumerate(media), key=lambda im: (im[1].timestamp, im[0]), reverse=True)
    return [m for _index, m in ranked]


def granted_pages(ctx: Ctx, user: User) -> list[str]:
    """/me/accounts: Pages the user manages AND granted; Business-portfolio Pages only with
    business_management; nothing without pages_show_list (§2, §3)."""
    token = ctx.token
    if token is None or "pages_show_list" not in token.scopes:
        return []
    manageable = ctx.world.pages_of(user, with_business="business_management" in token.scopes)
    return [p for p in manageable if p in token.page_targets]


SCHEMA_FOR: dict[type, Schema] = {
    User: USER,
    Page: PAGE,
    IGAccount: IG_USER,
    Post: POST,
    Photo: PHOTO,
    IGMedia: IG_MEDIA,
    Container: CONTAINER,
    Conversation: CONVERSATION,
    Message: MESSAGE,
    Customer: CUSTOMER,
}


def schema_for(obj: Any) -> Schema:
    if isinstance(obj, Comment):
        return IG_COMMENT if obj.platform == "instagram" else COMMENT
    return SCHEMA_FOR[type(obj)]
