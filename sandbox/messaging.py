"""Messaging (Send API, private replies), the Page's comments, replies, edits and hiding,
and webhook subscriptions (graph-api.md §8, §9). The customer side is `sandbox.customers`."""

from __future__ import annotations

from typing import Any

from sandbox.context import Ctx
from sandbox.customers import (
    comment_value,
    emit_comment_change,
    new_mid,
    now_ms,
    store_comment,
)
from sandbox.errors import GraphError, invalid_param
from sandbox.reads import EdgeHandler
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
)
from sandbox.webhooks import handshake

WINDOW = 24 * 3600  # §9 24-hour rule
HUMAN_AGENT_WINDOW = 7 * 86400  # §9 HUMAN_AGENT tag, 7 days [U]
PRIVATE_REPLY_WINDOW = 7 * 86400  # §9 private replies within 7 days
MAX_TEXT = 2000  # Messenger's text limit [D]

# Webhook field names an app or Page can subscribe to [D] (webhooks reference, Page and
# Instagram objects); anything else is refused like Meta's param validation does.
KNOWN_FIELDS = {
    "page": {
        "feed", "messages", "message_echoes", "messaging_postbacks", "message_reactions",
        "message_reads", "message_deliveries", "messaging_optins", "messaging_referrals",
        "messaging_handovers", "messaging_policy_enforcement", "messaging_account_linking",
        "message_edits", "standby", "mention", "ratings", "name", "picture", "category",
        "description", "conversations", "email", "website", "phone", "location", "videos",
        "live_videos", "leadgen", "inbox_labels", "response_feedback", "group_feed",
    },
    "instagram": {
        "comments", "live_comments", "mentions", "messages", "message_reactions",
        "messaging_handover", "messaging_optins", "messaging_postbacks", "messaging_referral",
        "messaging_seen", "standby", "story_insights", "message_edit",
    },
}  # fmt: skip


def subscription_fields(ctx: Ctx, name: str, object_type: str) -> list[str]:
    """`fields` / `subscribed_fields` as a JSON array or comma-separated, each a known name."""
    fields = [str(f).strip() for f in ctx.list_param(name) if str(f).strip()]
    known = KNOWN_FIELDS.get(object_type, set())
    for index, field_name in enumerate(fields):
        if field_name not in known:
            raise invalid_param(
                f"(#100) Param {name}[{index}] must be one of {{{', '.join(sorted(known))}}} "
                f'- got "{field_name}"'
            )
    return fields


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
    if ctx.param("sender_action"):
        return _sender_action(ctx, page, recipient)
    if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
        raise invalid_param("(#100) param message must be non-empty.")
    if len(str(message.get("text") or "")) > MAX_TEXT:
        raise invalid_param(
            f"(#100) Length of param message[text] must be less than or equal to {MAX_TEXT}"
        )
    if "comment_id" in recipient:
        return _private_reply(ctx, page, str(recipient["comment_id"]), message)
    customer_platform = getattr(ctx.world.customers.get(str(recipient.get("id"))), "platform", "")
    if not messaging_type and customer_platform == "instagram":
        messaging_type = "RESPONSE"  # Instagram's Send API examples omit it [D]
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
            world,
            page,
            customer,
            str(message.get("text") or ""),
            tag=tag or None,
            attachment=message.get("attachment"),
        )
    return {"recipient_id": customer.id, "message_id": sent.mid}


SENDER_ACTIONS = {"mark_seen", "typing_on", "typing_off", "react", "unreact"}


def _sender_action(ctx: Ctx, page: Page, recipient: dict[str, Any]) -> dict[str, Any]:
    """`sender_action` (typing indicator, mark as seen) instead of a message: only the
    recipient is answered, no message id [D]; same recipient checks, stored nowhere."""
    action = (ctx.param("sender_action") or "").lower()
    if action not in SENDER_ACTIONS:
        raise invalid_param(
            f"(#100) param sender_action must be one of {{{', '.join(sorted(SENDER_ACTIONS))}}}"
        )
    customer = ctx.world.customers.get(str(recipient.get("id")))
    if customer is None or customer.account_id not in (page.id, page.ig_id):
        raise GraphError(100, "(#100) No matching user found", subcode=2018001)
    return {"recipient_id": customer.id}


def send_ig_message(ctx: Ctx, ig: IGAccount) -> dict[str, Any]:
    """POST /{ig-user-id}/messages: the Send API on the Instagram account's node."""
    page = ctx.world.pages[ig.page_id]
    return send_message(ctx, page)


def _record_outgoing(
    world: World,
    page: Page,
    customer: Customer,
    text: str,
    *,
    tag: str | None = None,
    comment_id: str | None = None,
    attachment: Any = None,
) -> Message:
    """Store a Page → customer message and emit its echo (§8: `is_echo`, `app_id`)."""
    app = world.default_app()
    attachments = []
    if isinstance(attachment, dict):
        payload = attachment.get("payload")
        if not isinstance(payload, dict):
            payload = {}
        attachments.append(
            {"type": str(attachment.get("type") or "file"), "url": str(payload.get("url") or "")}
        )
    sent = Message(
        new_mid(),
        customer.account_id,
        customer.id,
        customer.platform,
        "out",
        text,
        now_ms(world),
        tag,
        comment_id,
        page_id=page.id,
        attachments=attachments,
    )
    world.add_message(sent)
    body: dict[str, Any] = {"mid": sent.mid, "is_echo": True, "app_id": int(app.id) if app else 0}
    if text:
        body["text"] = text
    if attachments:
        body["attachments"] = [
            {"type": a["type"], "payload": {"url": a["url"]}} for a in attachments
        ]
    echo = {
        "sender": {"id": customer.account_id},
        "recipient": {"id": customer.id},
        "timestamp": sent.timestamp,
        "message": body,
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
        comment = store_comment(
            world, "facebook", page.id, object_id, page.id, page.name, text, parent_id
        )
        world.emit_feed(page.id, comment_value(world, comment, post))
    return {"id": comment.id}


def update_comment(ctx: Ctx, comment: Comment) -> dict[str, Any]:
    """POST /{comment-id}: Facebook `is_hidden` (a customer's comment; feed `hide`/`unhide`)
    and `message` (the Page's own comment; feed `edited`); Instagram `hide`. Page token.
    Meta also wants pages_manage_engagement here [C]; see README "Uncertain facts"."""
    token = ctx.authenticate()
    page = ctx.page_for(comment.page_id)
    if token.kind != "page":
        raise GraphError(200, "(#200) Changing a comment needs a Page access token")
    world = ctx.world
    if comment.platform == "instagram":
        ctx.require_scopes(token, "instagram_basic", "instagram_manage_comments", code=10)
        if "hide" not in ctx.params:
            raise invalid_param("(#100) The parameter hide is required")
        with world.lock:
            comment.hidden = ctx.flag("hide", False)
        return {"success": True}
    ctx.require_scopes(token, "pages_read_engagement")
    if not {"is_hidden", "message"} & set(ctx.params):
        raise invalid_param("(#100) Nothing to update: give is_hidden or message")
    with world.lock:
        if "is_hidden" in ctx.params:
            if comment.author_id == page.id:
                raise invalid_param("(#100) A Page cannot hide its own comment")  # [U]
            hidden = ctx.flag("is_hidden", False)
            if hidden != comment.hidden:
                comment.hidden = hidden
                emit_comment_change(world, comment, "hide" if hidden else "unhide")
        if "message" in ctx.params:
            if comment.author_id != page.id:
                raise GraphError(200, "(#200) Only the author of a comment can edit it")  # [U]
            comment.message = ctx.required("message")
            comment.updated_time = int(world.now())
            emit_comment_change(world, comment, "edited")
    return {"success": True}


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
        comment = store_comment(
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
    if obj not in KNOWN_FIELDS:
        raise invalid_param(f'(#100) Param object must be one of {{page, instagram}} - got "{obj}"')
    fields = subscription_fields(ctx, "fields", obj)
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
        ctx.required("subscribed_fields")
        fields = subscription_fields(ctx, "subscribed_fields", "page")
        existing = page.subscribed_apps.setdefault(app.id, [])
        existing.extend(f for f in fields if f not in existing)
    return {"success": True}


EDGES: dict[tuple[str, str, str], EdgeHandler] = {
    ("Page", "messages", "POST"): send_message,
    ("IGAccount", "messages", "POST"): send_ig_message,
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
