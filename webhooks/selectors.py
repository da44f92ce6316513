"""Reads of the inbox (docs/webhooks.md). Callers run inside the tenant's scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from social.models import SocialAccount
from webhooks.models import AutoReplyRule, Conversation, Message, ThreadNaming

INBOX_PAGE_SIZE = 100


def inbox_threads(
    *,
    tenant: Any,
    account_id: str = "",
    network: str = "",
    kind: str = "",
    unread: bool = False,
    needs_human: bool = False,
    state: str = "open",
) -> list[ThreadRow]:
    """Conversations and comment threads, newest activity first, filtered, as the list shows
    them (`ThreadRow`)."""
    threads = Conversation.objects.filter(tenant=tenant, last_message_at__isnull=False)
    if account_id:
        threads = threads.filter(account__pk=account_id)
    if network:
        threads = threads.filter(network=network)
    if kind:
        threads = threads.filter(kind=kind)
    if unread:
        threads = threads.filter(unread=True)
    if needs_human:
        threads = threads.filter(needs_human=True)
    if state == "open":
        threads = threads.filter(done=False)
    elif state == "done":
        threads = threads.filter(done=True)
    # Newest first; NULLs are filtered out above, so a plain DESC, which the (tenant, done,
    # -last_message_at) index gives in order: the first 100 of a big inbox without a sort.
    rows = threads.order_by("-last_message_at").values_list(*LIST_FIELDS)[:INBOX_PAGE_SIZE]
    return [ThreadRow(*row) for row in rows]


# What a list row shows (webhooks/inbox_rows.py) and its version covers, in `ThreadRow`'s order.
LIST_FIELDS = (
    "id", "kind", "network", "customer_name", "post_text", "last_message_at",
    "last_message_text", "unread", "needs_human", "done", "account__name",
)  # fmt: skip


@dataclass(frozen=True)
class ThreadRow(ThreadNaming):
    """A thread as the inbox list shows it. Plain rows, not models: the list shows up to 100
    threads, on the inbox and next to every open thread, and a model instance each (with its
    account) cost about half of the list's time (docs/performance.md, "Pages")."""

    pk: uuid.UUID
    kind: str
    network: str
    customer_name: str
    post_text: str
    last_message_at: datetime | None
    last_message_text: str
    unread: bool
    needs_human: bool
    done: bool
    account_name: str


def thread_messages(*, conversation: Conversation) -> list[Message]:
    return list(conversation.messages.select_related("sent_by").order_by("sent_at", "id"))


def comment_tree(*, messages: list[Message]) -> list[tuple[Message, list[Message]]]:
    """Top-level comments, each with its replies, oldest first."""
    replies: dict[str, list[Message]] = {}
    top = []
    ids = {m.remote_id for m in messages}
    for message in messages:
        if message.parent_remote_id and message.parent_remote_id in ids:
            replies.setdefault(message.parent_remote_id, []).append(message)
        else:
            top.append(message)
    return [(m, replies.get(m.remote_id, [])) for m in top]


class InboxAccount(NamedTuple):
    """A connected account as the inbox's filter and the auto-reply switches show it. Plain
    values: an account model, even with two columns loaded, builds its encrypted fields'
    context (docs/performance.md, "Pages")."""

    pk: uuid.UUID
    name: str
    kind: str

    def get_kind_display(self) -> str:
        return str(SocialAccount.Kind(self.kind).label)


def inbox_accounts(*, tenant: Any) -> list[InboxAccount]:
    """The connected accounts (name and kind; not their tokens and 25 other columns)."""
    return [
        InboxAccount(*row)
        for row in SocialAccount.objects.filter(
            tenant=tenant, status__in=SocialAccount.HOLDING_STATUSES
        )
        .order_by("kind", "name")
        .values_list("id", "name", "kind")
    ]


def unread_count(*, tenant: Any) -> int:
    return Conversation.objects.filter(tenant=tenant, unread=True, done=False).count()


def reply_rules(*, tenant: Any) -> list[AutoReplyRule]:
    return list(AutoReplyRule.objects.filter(tenant=tenant))
