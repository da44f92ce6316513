"""The customer side: what people do to a restaurant's Page and Instagram account, exposed
as control-API triggers (`/_sandbox/trigger/...`), each stored in the world and emitted as
the webhook Meta would send (graph-api.md §8; Messenger and Instagram webhook references).

Messaging events go one per `entry` (see `sandbox.webhooks`). Fields: Messenger `messages`
(text, attachments, quick replies), `messaging_postbacks`, `message_reactions`,
`message_reads`; Instagram `messages` (also story replies and story mentions),
`messaging_postbacks`, `message_reactions`, `messaging_seen`, `mentions`; comments on `feed`
(Facebook, verbs add / edited / remove / hide / unhide) and `comments` (Instagram).
"""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.state import (
    Comment,
    Conversation,
    Customer,
    IGMedia,
    Message,
    Page,
    Post,
    World,
    random_digits,
)

# Messenger's reaction names and their emoji [D] (message_reactions webhook reference).
REACTIONS = {
    "love": "\u2764\ufe0f",
    "like": "\U0001f44d",
    "smile": "\U0001f606",
    "wow": "\U0001f62e",
    "sad": "\U0001f622",
    "angry": "\U0001f620",
    "other": "",
}
ATTACHMENT_TYPES = {"image", "video", "audio", "file", "story_mention", "ig_reel", "share"}


def new_mid() -> str:
    return "m_" + secrets.token_urlsafe(40)


def now_ms(world: World) -> int:
    return int(world.now() * 1000)


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


def _account(world: World, page_id: str, platform: str) -> tuple[Page, str, str]:
    """(Page, account id, webhook object) for a platform."""
    page = world.pages[page_id]
    if platform == "instagram":
        if not page.ig_id:
            raise ValueError("this Page has no linked Instagram account")
        return page, page.ig_id, "instagram"
    if platform != "messenger":
        raise ValueError("platform must be messenger or instagram")
    return page, page.id, "page"


def _event(customer: Customer, account_id: str, timestamp: int, **body: Any) -> dict[str, Any]:
    return {
        "sender": {"id": customer.id},
        "recipient": {"id": account_id},
        "timestamp": timestamp,
        **body,
    }


def _attachments(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        kind = str(item.get("type") or "image")
        if kind not in ATTACHMENT_TYPES:
            raise ValueError(f"attachment type must be one of {sorted(ATTACHMENT_TYPES)}")
        if not item.get("url"):
            raise ValueError("each attachment needs a url")
        out.append({"type": kind, "url": str(item["url"])})
    return out


def _inbound(
    world: World, page: Page, customer: Customer, text: str, **details: Any
) -> tuple[Message, Conversation]:
    """Store what a customer sent (a message or a postback) in their conversation."""
    message = Message(
        new_mid(),
        customer.account_id,
        customer.id,
        customer.platform,
        "in",
        text,
        now_ms(world),
        page_id=page.id,
        **details,
    )
    return message, world.add_message(message)


def trigger_message(
    world: World,
    *,
    page_id: str,
    text: str | None = None,
    platform: str = "messenger",
    sender_name: str = "Giulia Bianchi",
    sender_id: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    quick_reply: str | None = None,
    reply_to_mid: str | None = None,
    story: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A customer writes to the Page (Messenger) or its IG account (IG DM): text and/or
    attachments (`[{"type": "image", "url": …}]`), a quick reply's payload, a reply to a
    message (`reply_to_mid`) or, on Instagram, a reply to the account's story (`story`:
    `{"id", "url"}`). Opens the 24 h window and emits `messages`."""
    items = _attachments(attachments)
    if not text and not items:
        raise ValueError("a message needs text or attachments")
    if story is not None and platform != "instagram":
        raise ValueError("story replies exist on Instagram only")
    with world.lock:
        page, account_id, object_type = _account(world, page_id, platform)
        customer = customer_for(world, platform, account_id, sender_name, sender_id)
        reply_to: dict[str, Any] | None = None
        if story is not None:
            reply_to = {
                "story": {
                    "id": str(story.get("id") or random_digits(17, "179")),
                    "url": str(story.get("url") or ""),
                }
            }
        elif reply_to_mid:
            reply_to = {"mid": reply_to_mid}
        message, conversation = _inbound(
            world,
            page,
            customer,
            text or "",
            attachments=items,
            quick_reply=quick_reply,
            reply_to=reply_to,
        )
        body: dict[str, Any] = {"mid": message.mid}
        if text:
            body["text"] = text
        if items:
            body["attachments"] = [{"type": a["type"], "payload": {"url": a["url"]}} for a in items]
        if quick_reply:
            body["quick_reply"] = {"payload": quick_reply}
        if reply_to:
            body["reply_to"] = reply_to
        event = _event(customer, account_id, message.timestamp, message=body)
        queued = world.emit(object_type, account_id, page.id, "messages", event, messaging=True)
    return {
        "mid": message.mid,
        "sender_id": customer.id,
        "recipient_id": account_id,
        "conversation_id": conversation.id,
        "webhook_queued": queued,
    }


def trigger_postback(
    world: World,
    *,
    page_id: str,
    payload: str,
    title: str = "Get Started",
    platform: str = "messenger",
    sender_name: str = "Giulia Bianchi",
    sender_id: str | None = None,
) -> dict[str, Any]:
    """A customer taps a button (Get Started, a persistent-menu item, a template button):
    `messaging_postbacks`, which opens the 24 h window like a message."""
    with world.lock:
        page, account_id, object_type = _account(world, page_id, platform)
        customer = customer_for(world, platform, account_id, sender_name, sender_id)
        message, conversation = _inbound(
            world,
            page,
            customer,
            title,
            kind="postback",
            postback={"title": title, "payload": payload},
        )
        postback = {"mid": message.mid, "title": title, "payload": payload}
        event = _event(customer, account_id, message.timestamp, postback=postback)
        queued = world.emit(
            object_type, account_id, page.id, "messaging_postbacks", event, messaging=True
        )
    return {
        "mid": message.mid,
        "sender_id": customer.id,
        "conversation_id": conversation.id,
        "webhook_queued": queued,
    }


def trigger_reaction(
    world: World, *, mid: str, reaction: str = "love", action: str = "react"
) -> dict[str, Any]:
    """The customer of a conversation reacts to (or un-reacts from) one of its messages:
    `message_reactions` (Messenger and Instagram). Reactions do not open the window [U]."""
    if action not in ("react", "unreact"):
        raise ValueError("action must be react or unreact")
    if reaction not in REACTIONS:
        raise ValueError(f"reaction must be one of {sorted(REACTIONS)}")
    with world.lock:
        message = world.messages_by_mid[mid]
        customer = world.customers[message.customer_id]
        _page, account_id, object_type = _account(world, message.page_id, customer.platform)
        body: dict[str, Any] = {"mid": mid, "action": action}
        if action == "react":
            message.reactions[customer.id] = reaction
            body.update(reaction=reaction, emoji=REACTIONS[reaction])
        else:
            message.reactions.pop(customer.id, None)
        event = _event(customer, account_id, now_ms(world), reaction=body)
        queued = world.emit(
            object_type, account_id, message.page_id, "message_reactions", event, messaging=True
        )
    return {"mid": mid, "sender_id": customer.id, "webhook_queued": queued}


POST_REACTIONS = {"like", "love", "wow", "haha", "sad", "angry", "care"}


def trigger_post_reaction(
    world: World,
    *,
    object_id: str,
    reaction: str = "like",
    action: str = "react",
    author_name: str = "Sara Neri",
    author_id: str | None = None,
) -> dict[str, Any]:
    """A customer reacts to (or un-reacts from) a Page post: counted in the post's
    `reactions`/`likes` and insights, and a `feed` event `item: reaction` [C]."""
    reaction = reaction.lower()
    if reaction not in POST_REACTIONS:
        raise ValueError(f"reaction must be one of {sorted(POST_REACTIONS)}")
    if action not in ("react", "unreact"):
        raise ValueError("action must be react or unreact")
    with world.lock:
        post = world.posts[object_id]
        customer = customer_for(world, "messenger", post.page_id, author_name, author_id)
        if action == "react":
            post.reactions[customer.id] = reaction.upper()
        else:
            post.reactions.pop(customer.id, None)
        value = {
            "from": {"id": customer.id, "name": customer.name},
            "post_id": post.id,
            "parent_id": post.id,
            "created_time": int(world.now()),
            "item": "reaction",
            "reaction_type": reaction,
            "verb": "add" if action == "react" else "remove",
        }
        queued = world.emit_feed(post.page_id, value)
    return {"object_id": object_id, "author_id": customer.id, "webhook_queued": queued}


def trigger_read(world: World, *, conversation_id: str) -> dict[str, Any]:
    """The customer reads what the Page sent: Messenger `message_reads` with a `watermark`
    (ms), Instagram `messaging_seen` with the last message's `mid`."""
    with world.lock:
        conversation = world.conversations[conversation_id]
        customer = world.customers[conversation.customer_id]
        watermark = now_ms(world)
        conversation.read_watermark = watermark
        read: dict[str, Any]
        if conversation.platform == "instagram":
            field_name, read = "messaging_seen", {"mid": conversation.mids[-1]}
            object_type = "instagram"
        else:
            field_name, read, object_type = "message_reads", {"watermark": watermark}, "page"
        event = _event(customer, conversation.account_id, watermark, read=read)
        queued = world.emit(
            object_type,
            conversation.account_id,
            conversation.page_id,
            field_name,
            event,
            messaging=True,
        )
    return {"watermark": watermark, "webhook_queued": queued}


def trigger_mention(
    world: World,
    *,
    ig_id: str,
    comment_id: str | None = None,
    media_id: str | None = None,
    text: str | None = None,
    username: str = "foodie.milano",
) -> dict[str, Any]:
    """Someone (`username`) @-mentions the IG account in a caption (`media_id`, caption
    `text`) or a comment (`comment_id` + `media_id`, comment `text`) on their own media:
    `mentions` [D]. The app reads it back with `mentioned_media` / `mentioned_comment`."""
    with world.lock:
        ig = world.ig_accounts[ig_id]
        value: dict[str, Any] = {"media_id": media_id or random_digits(17, "180")}
        mention = {
            "ig_id": ig.id,
            "media_id": value["media_id"],
            "username": username,
            "timestamp": int(world.now()),
            "caption": f"Dinner at @{ig.username}",
        }
        if comment_id is not None:
            value["comment_id"] = comment_id or random_digits(17, "178")
            mention["text"] = text or f"@{ig.username} you have to try this place"
            world.mentions[value["comment_id"]] = mention
        elif text:
            mention["caption"] = text
        world.mentions.setdefault(value["media_id"], mention)
        queued = world.emit("instagram", ig.id, ig.page_id, "mentions", value)
    return {**value, "webhook_queued": queued}


# -- comments -----------------------------------------------------------------------------------
def store_comment(
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


def comment_value(world: World, comment: Comment, post: Post, verb: str = "add") -> dict[str, Any]:
    """feed/comment change value; top-level comments have the post as parent_id [C]."""
    value = {
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
        "verb": verb,
    }
    if verb == "remove":
        value.pop("message")
    return value


def emit_comment_change(world: World, comment: Comment, verb: str) -> bool:
    """A Facebook comment changed (edited / remove / hide / unhide): a `feed` event [C].
    Instagram sends no webhook for these [U]."""
    post = world.posts.get(comment.object_id)
    if comment.platform != "facebook" or post is None:
        return False
    return world.emit_feed(comment.page_id, comment_value(world, comment, post, verb))


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
            comment = store_comment(
                world, "facebook", page.id, object_id, customer.id, author_name, text, parent_id
            )
            queued = world.emit_feed(page.id, comment_value(world, comment, post))
        elif object_id in world.ig_media:
            media: IGMedia = world.ig_media[object_id]
            ig = world.ig_accounts[media.ig_id]
            customer = customer_for(world, "instagram", ig.id, author_name, author_id)
            comment = store_comment(
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


def trigger_comment_change(
    world: World, *, comment_id: str, action: str, text: str | None = None
) -> dict[str, Any]:
    """The customer edits (`action: "edit"`, `text`) or deletes (`"remove"`) their comment."""
    with world.lock:
        comment = world.comments[comment_id]
        if action == "edit":
            if not text:
                raise ValueError("an edit needs the new text")
            comment.message = text
            comment.updated_time = int(world.now())
            queued = emit_comment_change(world, comment, "edited")
        elif action == "remove":
            queued = emit_comment_change(world, comment, "remove")
            world.comments.pop(comment.id, None)
        else:
            raise ValueError("action must be edit or remove")
    return {"comment_id": comment_id, "webhook_queued": queued}
