"""Reads of the inbox (docs/webhooks.md). Callers run inside the tenant's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from social.models import SocialAccount
from webhooks.models import AutoReplyRule, Conversation, Message

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
) -> QuerySet[Conversation]:
    """Conversations and comment threads, newest activity first, filtered, with what the list
    shows (`LIST_FIELDS`, and the account's name as ``account_name``)."""
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
    return (
        threads.only(*LIST_FIELDS)
        .annotate(account_name=F("account__name"))
        .order_by(F("last_message_at").desc(nulls_last=True))[:INBOX_PAGE_SIZE]
    )


# What a list row shows (webhooks/inbox_rows.py) and its version covers. Of the account, only
# its name: an account per row (even with only its name loaded) costs a model instance each,
# about half of the list's time (docs/performance.md, "Pages").
LIST_FIELDS = (
    "id", "tenant_id", "account_id", "kind", "network", "customer_name", "post_text",
    "last_message_at", "last_message_text", "unread", "needs_human", "done",
)  # fmt: skip


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


def inbox_accounts(*, tenant: Any) -> list[SocialAccount]:
    return list(
        SocialAccount.objects.filter(tenant=tenant, status__in=SocialAccount.HOLDING_STATUSES)
    )


def unread_count(*, tenant: Any) -> int:
    return Conversation.objects.filter(tenant=tenant, unread=True, done=False).count()


def reply_rules(*, tenant: Any) -> list[AutoReplyRule]:
    return list(AutoReplyRule.objects.filter(tenant=tenant))
