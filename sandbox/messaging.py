"""Messaging (Send API, private replies), comments and replies, webhook subscriptions, and
the customer-side triggers the control API exposes (graph-api.md §8, §9)."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.context import Ctx
from sandbox.errors import GraphError, invalid_param
from sandbox.state import (
    App,
    Comment,
    Customer,
    IGAccount,
    IGMedia,
    Message,
    Page,
    Post,
    World,
    random_digits,
)
from sandbox.webhooks import handshake

WINDOW = 24 * 3600  # §9 24-hour rule
HUMAN_AGENT_WINDOW = 7 * 86400  # §9 HUMAN_AGENT tag, 7 days [U]
PRIVATE_REPLY_WINDOW = 7 * 86400  # §9 private replies within 7 days


def _mid() -> str:
    return "m_" + secrets.token_urlsafe(40)


def _ms(world: World) -> int:
    return int(world.now() * 1000)


# -- customers (triggers) ------------------------------------------------------------------
def customer_for(
    world: World, platform: str, account_id: str, name: str, customer_id: str | None = None
) -> Customer:
    """Find or create a page-scoped (PSID) or Instagram-scoped (IGSID) id for a person."""
    for customer in world.customers.values():
        if customer.account_id == account_id and (
            customer.id == customer_id or (not customer_id and customer.name == name)
        ):
            return customer
    new_id = customer_id or (
        random_digits(16, "2") if platform == "messenger" else random_digits(16, "1")
    )
    customer = Customer(new_id, name, platform, account_id)
    world.customers[customer.id] = customer
    return customer


def trigger_message(
    world: World,
    *,
    page_id: str,
    text: str,
    platform: str = "messenger",
    sender_name: str = "Giulia Bianchi",
    sender_id: str | None = None,
) -> dict[str, Any]:
    """A customer writes to the Page (Messenger) or its IG account (IG DM): stores the
    message, opens the 24 h window and emits the `messages` webhook (§8)."""
    with world.lock:
        page = world.pages[page_id]
        if platform == "instagram":
            if not page.ig_id:
                raise ValueError("this Page has no linked Instagram account")
            account_id, object_type = page.ig_id, "instagram"
        else:
            account_id, object_type = page.id, "page"
        customer = customer_for(world, platform, account_id, sender_name, sender_id)
        message = Message(_mid(), account_id, customer.id, platform, "in", text, _ms(world))
        world.messages.append(message)
        event = {
            "sender": {"id": customer.id},
            "recipient": {"id": account_id},
            "timestamp": message.timestamp,
            "message": {"mid": message.mid, "text": text},
        }
        queued = world.emit(object_type, account_id, page.id, "messages", event, messaging=True)
    return {
        "mid": message.mid,
        "sender_id": customer.id,
        "recipient_id": account_id,
        "webhook_queued": queued,
    }


def trigger_comment(
    world: World,
    *,
    object_id: str,
    text: str,
    author_name: str = "Luca Verdi",
    author_id: str | None = None,
    parent_id: str | None = None,
) -> dict[str, Any]:
    """A customer comments on a Page post or an IG media (or replies to a comment), which
    emits `feed` (item comment) or Instagram `comments` (§8)."""
    with world.lock:
        if object_id in world.posts:
            post: Post = world.posts[object_id]
            page = world.pages[post.page_id]
            customer = customer_for(world, "messenger", page.id, author_name, author_id)
            comment = _store_comment(
                world, "facebook", page.id, object_id, customer.id, author_name, text, parent_id
            )
            queued = world.emit_feed(page.id, _comment_value(world, comment, post))
        elif object_id in world.ig_media:
            media: IGMedia = world.ig_media[object_id]
            ig = world.ig_accounts[media.ig_id]
            customer = customer_for(world, "instagram", ig.id, author_name, author_id)
            comment = _store_comment(
                world, "instagram", ig.page_id, object_id, customer.id, author_name, text, parent_id
            )
            value: dict[str, Any] = {
                "from": {"id": customer.id, "username": author_name},
                "media": {"id": media.id, "media_product_type": "FEED"},
                "id": comment.id,
                "text": text,
            }
            if parent_id:
                value["parent_id"] = parent_id
            queued = world.emit("instagram", ig.id, ig.page_id, "comments", value)
        else:
            raise KeyError(f"no post or Instagram media {object_id}")
    return {"comment_id": comment.id, "author_id": customer.id, "webhook_queued": queued}


def _store_comment(
    world: World,
    platform: str,
    page_id: str,
    object_id: str,
    author_id: str,
    author_name: str,
    text: str,
    parent_id: str | None,
) -> Comment:
    """Facebook comment ids are `{post}_{comment}`; Instagram ones plain numeric."""
    if platform == "facebook":
        comment_id = f"{object_id.split('_')[-1]}_{random_digits(16, '1')}"
    else:
        comment_id = random_digits(17, "178")
    comment = Comment(
        comment_id,
        platform,
        page_id,
        object_id,
        author_id,
        author_name,
        text,
        int(world.now()),
        parent_id=parent_id,
    )
    world.comments[comment.id] = comment
    return comment


def _comment_value(world: World, comment: Comment, post: Post) -> dict[str, Any]:
    """feed/comment change value; top-level comments have the post as parent_id [C]."""
    return {
        "from": {"id": comment.author_id, "name": comment.author_name},
        "post": {
            "id": post.id,
            "status_type": "mobile_status_update",
            "is_published": post.published,
        },
        "message": comment.message,
        "post_id": post.id,
        "comment_id": comment.id,
        "created_time": comment.created_time,
        "item": "comment",
        "parent_id": comment.parent_id or post.id,
        "verb": "add",
    }


# -- Send API (§9) ---------------------------------------------------------------------------
def send_message(ctx: Ctx, page: Page) -> dict[str, Any]:
    """POST /{page}/messages and /me/messages: recipient {id} or {comment_id}, messaging_type,
    message; 24 h window (10/2018278) unless MESSAGE_TAG + HUMAN_AGENT within 7 days."""
    token, page = ctx.page_token_for(page.id, task="MESSAGING")
    recipient = ctx.json_param("recipient")
    message = ctx.json_param("message")
    messaging_type = (ctx.param("messaging_type") or "").upper()
    if not isinstance(recipient, dict) or not recipient:
        raise invalid_param("(#100) param recipient must be non-empty.")
    if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
        raise invalid_param("(#100) param message must be non-empty.")
    if "comment_id" in recipient:
        return _private_reply(ctx, page, str(recipient["comment_id"]), message)
    if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
        raise invalid_param(
            "(#100) param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG."
        )
    tag = (ctx.param("tag") or "").upper()
    if messaging_type == "MESSAGE_TAG" and not tag:
        raise invalid_param("(#100) param tag is required with messaging_type MESSAGE_TAG.")
    world = ctx.world
    with world.lock:
        customer = world.customers.get(str(recipient.get("id")))
        if customer is None or customer.account_id not in (page.id, page.ig_id):
            raise GraphError(100, "(#100) No matching user found", subcode=2018001)
        platform = customer.platform
        scope = "instagram_manage_messages" if platform == "instagram" else "pages_messaging"
        if scope not in token.scopes:
            raise GraphError(230, f"(#230) Requires {scope} permission to manage the object")
        last_in = max(
            (
                m.timestamp
                for m in world.messages
                if m.customer_id == customer.id and m.direction == "in"
            ),
            default=None,
        )
        age = (world.now() * 1000 - last_in) / 1000 if last_in is not None else None
        in_window = age is not None and age <= WINDOW
        human_agent = tag == "HUMAN_AGENT" and age is not None and age <= HUMAN_AGENT_WINDOW
        if not in_window and not (messaging_type == "MESSAGE_TAG" and human_agent):
            raise GraphError(10, subcode=2018278)
        sent = _record_outgoing(
            world, page, customer, str(message.get("text") or "[attachment]"), tag=tag or None
        )
    return {"recipient_id": customer.id, "message_id": sent.mid}


def _record_outgoing(
    world: World,
    page: Page,
    customer: Customer,
    text: str,
    *,
    tag: str | None = None,
    comment_id: str | None = None,
) -> Message:
    """Store a Page → customer message and emit its echo (§8: `is_echo`, `app_id`)."""
    app = world.default_app()
    sent = Message(
        _mid(),
        customer.account_id,
        customer.id,
        customer.platform,
        "out",
        text,
        _ms(world),
        tag,
        comment_id,
    )
    world.messages.append(sent)
    echo = {
        "sender": {"id": customer.account_id},
        "recipient": {"id": customer.id},
        "timestamp": sent.timestamp,
        "message": {
            "mid": sent.mid,
            "text": text,
            "is_echo": True,
            "app_id": int(app.id) if app else 0,
        },
    }
    if customer.platform == "instagram":
        world.emit("instagram", customer.account_id, page.id, "messages", echo, messaging=True)
    else:
        world.emit("page", page.id, page.id, "message_echoes", echo, messaging=True)
    return sent


def _private_reply(
    ctx: Ctx, page: Page, comment_id: str, message: dict[str, Any]
) -> dict[str, Any]:
    """§9 private replies: one message per comment, within 7 days [D]; error codes [U]."""
    world = ctx.world
    token = ctx.authenticate()
    if "pages_messaging" not in token.scopes:
        raise GraphError(230, "(#230) Requires pages_messaging permission to manage the object")
    with world.lock:
        comment = world.comments.get(comment_id)
        if comment is None or comment.page_id != page.id:
            raise GraphError(
                100,
                "(#100) The comment does not exist or does not belong to this Page",
                subcode=2018001,
            )
        if comment.private_replied:
            raise GraphError(10900, "(#10900) Activity already replied to")
        if world.now() - comment.created_time > PRIVATE_REPLY_WINDOW:
            raise GraphError(10903, "(#10903) This activity can't be replied to")
        comment.private_replied = True
        customer = world.customers[comment.author_id]
        sent = _record_outgoing(
            world, page, customer, str(message.get("text") or ""), comment_id=comment.id
        )
    return {"recipient_id": customer.id, "message_id": sent.mid}


# -- comments and replies (§9) ---------------------------------------------------------------
def _page_comment(ctx: Ctx, page_id: str, object_id: str, parent_id: str | None) -> dict[str, Any]:
    """The Page itself comments (on its post, or in reply to a comment): feed event."""
    token = ctx.authenticate()
    page = ctx.page_for(page_id)
    if token.kind != "page":
        raise GraphError(200, "(#200) Commenting as a Page needs a Page access token")
    ctx.require_scopes(token, "pages_read_engagement")
    text = ctx.required("message")
    world = ctx.world
    with world.lock:
        post = world.posts[object_id]
        comment = _store_comment(
            world, "facebook", page.id, object_id, page.id, page.name, text, parent_id
        )
        world.emit_feed(page.id, _comment_value(world, comment, post))
    return {"id": comment.id}


def post_comment_on_post(ctx: Ctx, post: Post) -> dict[str, Any]:
    return _page_comment(ctx, post.page_id, post.id, None)


def post_reply_to_comment(ctx: Ctx, comment: Comment) -> dict[str, Any]:
    """POST /{comment-id}/comments (FB); replies to replies attach to the top-level comment."""
    if comment.platform != "facebook":
        raise GraphError(
            100, "(#100) Use /replies for Instagram comments", type="GraphMethodException"
        )
    top = comment.parent_id or comment.id
    return _page_comment(ctx, comment.page_id, comment.object_id, top)


def _ig_comment(ctx: Ctx, media: IGMedia, parent_id: str | None) -> dict[str, Any]:
    token = ctx.authenticate()
    ig: IGAccount = ctx.world.ig_accounts[media.ig_id]
    ctx.page_for(ig.page_id)
    ctx.require_scopes(token, "instagram_basic", "instagram_manage_comments", code=10)
    text = ctx.required("message")
    world = ctx.world
    with world.lock:
        comment = _store_comment(
            world, "instagram", ig.page_id, media.id, ig.id, ig.username, text, parent_id
        )
    return {"id": comment.id}


def post_ig_reply(ctx: Ctx, comment: Comment) -> dict[str, Any]:
    """POST /{ig-comment-id}/replies: top-level comments only (§9); error code [U]."""
    if comment.platform != "instagram":
        raise GraphError(
            100, "(#100) Unknown edge replies on a Facebook comment", type="GraphMethodException"
        )
    if comment.parent_id:
        ctx.authenticate()
        raise GraphError(100, "(#100) Replies can only be made to top-level comments")
    return _ig_comment(ctx, ctx.world.ig_media[comment.object_id], comment.id)


def post_ig_media_comment(ctx: Ctx, media: IGMedia) -> dict[str, Any]:
    return _ig_comment(ctx, media, None)


# -- subscriptions (§8) ------------------------------------------------------------------------
def app_subscriptions(ctx: Ctx, app: App) -> dict[str, Any]:
    """GET/POST/DELETE /{app-id}/subscriptions with an app token; POST runs the handshake."""
    token = ctx.authenticate()
    if token.kind != "app" or token.app_id != app.id:
        raise GraphError(190, "(#190) This method must be called with an app access_token.")
    world = ctx.world
    if ctx.method == "GET":
        data = [
            {
                "object": obj,
                "callback_url": app.callback_url,
                "active": True,
                "fields": [{"name": f, "version": ctx.version or "v24.0"} for f in fields],
            }
            for obj, fields in app.subscriptions.items()
        ]
        return {"data": data}
    obj = ctx.param("object")
    if ctx.method == "DELETE":
        with world.lock:
            if obj:
                app.subscriptions.pop(obj, None)
            else:
                app.subscriptions.clear()
        return {"success": True}
    obj = ctx.required("object")
    callback_url = ctx.required("callback_url")
    verify_token = ctx.required("verify_token")
    fields = [f.strip() for f in (ctx.param("fields") or "").split(",") if f.strip()]
    result = handshake(callback_url, verify_token, timeout=world.config.webhook_timeout)
    if not result["ok"]:
        raise GraphError(
            2200,
            "(#2200) callback verification failed: "
            + (result.get("error") or f"HTTP {result.get('status')}"),
        )
    with world.lock:
        app.callback_url = callback_url
        app.verify_token = verify_token
        existing = app.subscriptions.setdefault(obj, [])
        existing.extend(f for f in fields if f not in existing)
    return {"success": True}


def subscribed_apps(ctx: Ctx, page: Page) -> dict[str, Any]:
    """GET/POST/DELETE /{page}/subscribed_apps with a Page token (pages_manage_metadata)."""
    token, page = ctx.page_token_for(page.id, "pages_manage_metadata", task="MODERATE")
    world = ctx.world
    app = world.apps[token.app_id]
    with world.lock:
        if ctx.method == "GET":
            data = [
                {
                    "category": "Business",
                    "link": f"https://www.facebook.com/games/?app_id={app_id}",
                    "name": world.apps[app_id].name if app_id in world.apps else app_id,
                    "id": app_id,
                    "subscribed_fields": list(fields),
                }
                for app_id, fields in page.subscribed_apps.items()
            ]
            return {"data": data}
        if ctx.method == "DELETE":
            page.subscribed_apps.pop(app.id, None)
            return {"success": True}
        fields = [f.strip() for f in ctx.required("subscribed_fields").split(",") if f.strip()]
        existing = page.subscribed_apps.setdefault(app.id, [])
        existing.extend(f for f in fields if f not in existing)
    return {"success": True}


EDGES = {
    ("Page", "messages", "POST"): send_message,
    ("Post", "comments", "POST"): post_comment_on_post,
    ("Comment", "comments", "POST"): post_reply_to_comment,
    ("Comment", "replies", "POST"): post_ig_reply,
    ("IGMedia", "comments", "POST"): post_ig_media_comment,
    ("App", "subscriptions", "GET"): app_subscriptions,
    ("App", "subscriptions", "POST"): app_subscriptions,
    ("App", "subscriptions", "DELETE"): app_subscriptions,
    ("Page", "subscribed_apps", "GET"): subscribed_apps,
    ("Page", "subscribed_apps", "POST"): subscribed_apps,
    ("Page", "subscribed_apps", "DELETE"): subscribed_apps,
}
