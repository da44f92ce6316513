"""Reads of the inbox (docs/webhooks.md). Callers run inside the tenant's scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.db.models import QuerySet

from lib.statements import UUID, Statement, attach
from social.models import SocialAccount
from tenants.statements import TENANT
from webhooks.models import AutoReplyRule, Conversation, Message, ThreadNaming

INBOX_PAGE_SIZE = 50


class InboxCursor(NamedTuple):
    """Where a page of the inbox list starts: just after this thread (its last activity and
    id), in the list's order (newest first). Written into the "Older conversations" link."""

    last_message_at: datetime
    id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.last_message_at.isoformat()}~{self.id}"

    @classmethod
    def parse(cls, text: str) -> InboxCursor | None:
        """The cursor ``str`` wrote, or None for anything else (the list then starts at the
        newest thread, as it does for an unknown filter)."""
        at, _, pk = text.partition("~")
        try:
            when, thread = datetime.fromisoformat(at), uuid.UUID(pk)
            if when.tzinfo is None:
                return None
            # In UTC, as stored; a time UTC cannot hold (year 1 at +14:00) is not ours either.
            return cls(when.astimezone(UTC), thread)
        except (ValueError, OverflowError):
            return None


@dataclass(frozen=True)
class InboxPage:
    threads: list[ThreadRow]
    older: InboxCursor | None  # where the next page starts; None on the last page


def inbox_threads(*, tenant: Any, before: InboxCursor | None = None, **filters: Any) -> InboxPage:
    """Conversations and comment threads, newest activity first, filtered (``filters``: those
    of `_threads`), as the list shows them (`ThreadRow`): a page of `INBOX_PAGE_SIZE`, after
    ``before`` when given."""
    state = filters.get("state", "open")
    narrowed = before is not None or any(v for name, v in filters.items() if name != "state")
    if state == "open" and not narrowed:  # the inbox as it opens, and beside a thread
        rows = _OPEN_THREADS.all(tenant=tenant)
    else:
        rows = list(_threads(tenant=tenant, before=before, **filters))
    page = [ThreadRow(*row) for row in rows]
    older = None
    if len(page) > INBOX_PAGE_SIZE:
        page.pop()
        last = page[-1]
        older = InboxCursor(last.last_message_at, last.pk)  # type: ignore[arg-type]  # not NULL
    return InboxPage(page, older)


def _threads(
    *,
    tenant: Any,
    account_id: str = "",
    network: str = "",
    kind: str = "",
    unread: bool = False,
    needs_human: bool = False,
    state: str = "open",
    before: InboxCursor | None = None,
) -> QuerySet[Conversation, Any]:
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
    if before is not None:
        # A range on the index's time column (where the page starts), then the ties at that
        # very time are cut by id.
        threads = threads.filter(last_message_at__lte=before.last_message_at).exclude(
            last_message_at=before.last_message_at, id__gte=before.id
        )
    # Newest first; NULLs are filtered out above, so a plain DESC, which the (tenant, done,
    # -last_message_at, -id) index gives in order: a page of a big inbox without a sort. One
    # row more than a page tells whether there is an older page.
    rows = threads.order_by("-last_message_at", "-id").values_list(*LIST_FIELDS)
    return rows[: INBOX_PAGE_SIZE + 1]


# The open inbox without filters: the list's first page (lib/statements.py: compiled once).
_OPEN_THREADS = Statement(lambda tenant: _threads(tenant=tenant), tenant=TENANT)


# What a list row shows (webhooks/inbox_rows.py) and its version covers, in `ThreadRow`'s order.
LIST_FIELDS = (
    "id", "kind", "network", "customer_name", "post_text", "last_message_at",
    "last_message_text", "unread", "needs_human", "done", "account__name",
)  # fmt: skip


@dataclass(frozen=True)
class ThreadRow(ThreadNaming):
    """A thread as the inbox list shows it. Plain rows, not models: the list shows a page of
    threads on the inbox and next to every open thread, and a model instance each (with its
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
    messages = _THREAD.all(tenant=conversation.tenant, conversation_id=conversation.pk)
    attach(conversation, "messages", messages)  # each message's conversation without a query
    return messages


_MESSAGE_FIELDS = [field.name for field in Message._meta.concrete_fields]
# Every thread page and its poll (lib/statements.py: compiled once per process).
_THREAD = Statement(
    lambda tenant, conversation_id: (
        Message.objects.filter(conversation_id=conversation_id)
        .select_related("sent_by")
        # A reply's author is shown by name or email: their password hash and the rest of
        # their account stay in the database.
        .only(*_MESSAGE_FIELDS, "sent_by__first_name", "sent_by__email")
        .order_by("sent_at", "id")
    ),
    tenant=TENANT,
    conversation_id=UUID,
)


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
    return [InboxAccount(*row) for row in _INBOX_ACCOUNTS.all(tenant=tenant)]


# Read on every inbox page (lib/statements.py: compiled once per process).
_INBOX_ACCOUNTS = Statement(
    lambda tenant: (
        SocialAccount.objects.filter(tenant=tenant, status__in=SocialAccount.HOLDING_STATUSES)
        .order_by("kind", "name")
        .values_list("id", "name", "kind")
    ),
    tenant=TENANT,
)


def unread_count(*, tenant: Any) -> int:
    return Conversation.objects.filter(tenant=tenant, unread=True, done=False).count()


def reply_rules(*, tenant: Any) -> list[AutoReplyRule]:
    return _REPLY_RULES.all(tenant=tenant)


_REPLY_RULES = Statement(lambda tenant: AutoReplyRule.objects.filter(tenant=tenant), tenant=TENANT)
