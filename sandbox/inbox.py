"""Reading conversations: `GET /{page}/conversations` (`platform=instagram` for IG DMs,
`user_id=` for one customer), `GET /{conversation-id}` and its `messages` edge, and
`GET /{message-id}` (Conversation and Message references; Messenger Platform
"conversations API"). Page token; `pages_messaging` for Messenger, `instagram_manage_messages`
for Instagram."""

from __future__ import annotations

from typing import Any

from sandbox.context import Ctx
from sandbox.errors import invalid_param
from sandbox.fields import EdgeList
from sandbox.nodes import CONVERSATION, MESSAGE, messages_of
from sandbox.reads import EdgeHandler, check_messaging, edge_list
from sandbox.state import Conversation, IGAccount, Page


def conversations(ctx: Ctx, page: Page) -> dict[str, Any]:
    """GET /{page}/conversations?platform=messenger|instagram&user_id=."""
    page = ctx.page_for(page.id)
    platform = (ctx.param("platform") or "messenger").lower()
    if platform not in ("messenger", "instagram"):
        raise invalid_param(
            f'(#100) Param platform must be one of {{MESSENGER, INSTAGRAM}} - got "{platform}"'
        )
    check_messaging(ctx, platform)
    account_id = page.ig_id if platform == "instagram" else page.id
    user_id = ctx.param("user_id")
    world = ctx.world
    with world.lock:
        found = [
            c
            for c in world.conversations.values()
            if c.account_id == account_id and (not user_id or c.customer_id == user_id)
        ]
        newest = sorted(found, key=lambda c: c.updated_ms, reverse=True)
        return edge_list(ctx, EdgeList(CONVERSATION, newest, lambda c: c.id))


def ig_conversations(ctx: Ctx, ig: IGAccount) -> dict[str, Any]:
    """GET /{ig-user-id}/conversations: the same list for the IG account."""
    ctx.params["platform"] = "instagram"
    return conversations(ctx, ctx.world.pages[ig.page_id])


def conversation_messages(ctx: Ctx, conversation: Conversation) -> dict[str, Any]:
    ctx.page_for(conversation.page_id)
    check_messaging(ctx, conversation.platform)
    with ctx.world.lock:
        items = messages_of(ctx.world, conversation)
        return edge_list(ctx, EdgeList(MESSAGE, items, lambda m: m.mid))


EDGES: dict[tuple[str, str, str], EdgeHandler] = {
    ("Page", "conversations", "GET"): conversations,
    ("IGAccount", "conversations", "GET"): ig_conversations,
    ("Conversation", "messages", "GET"): conversation_messages,
}
