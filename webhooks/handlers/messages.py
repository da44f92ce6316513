"""Messenger and Instagram DM events → `Conversation` and `Message` (graph-api.md §8).

An echo (``message.is_echo``, or a sender that is the account itself) is recorded as outgoing and
never answered. A new incoming message is offered to the auto-replier."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from lib.tasks import enqueue_on_commit
from social.models import SocialAccount
from webhooks import replies
from webhooks.models import Conversation, Message, WebhookEvent


def _when(ms: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def network_of(account: SocialAccount) -> str:
    if account.kind == SocialAccount.Kind.INSTAGRAM:
        return Conversation.Network.INSTAGRAM
    return Conversation.Network.FACEBOOK


def attachments_of(message: dict[str, Any]) -> list[dict[str, str]]:
    """Attachments as links only (we never download customers' files)."""
    out = []
    for item in message.get("attachments") or []:
        if not isinstance(item, dict):
            continue
        payload = item.get("payload")
        if not isinstance(payload, dict):
            payload = {}
        url = str(payload.get("url") or "")
        out.append({"type": str(item.get("type") or "file"), "url": url})
    return out


def conversation_for(*, account: SocialAccount, customer_id: str) -> tuple[Conversation, bool]:
    return Conversation.objects.get_or_create(
        account=account,
        kind=Conversation.Kind.MESSAGES,
        customer_id=customer_id,
        defaults={"tenant_id": account.tenant_id, "network": network_of(account)},
    )


def messaging_handle(event: WebhookEvent) -> None:
    item = event.payload if isinstance(event.payload, dict) else {}
    account = event.account
    assert account is not None  # handlers get routed events only (webhooks.processing)
    sender = str((item.get("sender") or {}).get("id") or "")
    recipient = str((item.get("recipient") or {}).get("id") or "")
    message = item.get("message") if isinstance(item.get("message"), dict) else None
    postback = item.get("postback") if isinstance(item.get("postback"), dict) else None
    if message is None and postback is None:
        return  # reads, deliveries, reactions: nothing to show in the inbox
    outgoing = bool(message and message.get("is_echo")) or sender == account.external_id
    customer_id = recipient if outgoing else sender
    if not customer_id:
        return
    conversation, created = conversation_for(account=account, customer_id=customer_id)
    if created:
        from webhooks import tasks

        enqueue_on_commit(
            tasks.customer_name_fetch,
            tenant_id=account.tenant_id,
            conversation_id=str(conversation.pk),
        )
    if message is not None:
        if message.get("is_deleted"):
            Message.objects.filter(
                conversation=conversation, remote_id=str(message.get("mid") or "")
            ).update(text="", comment_state=Message.CommentState.REMOVED)
            return
        remote_id = str(message.get("mid") or "")
        text = str(message.get("text") or "")
        attachments = attachments_of(message)
    else:
        assert postback is not None
        remote_id = str(postback.get("mid") or f"postback:{item.get('timestamp')}")
        text = str(postback.get("title") or postback.get("payload") or "")
        attachments = []
    saved, new = Message.objects.get_or_create(
        conversation=conversation,
        remote_id=remote_id,
        defaults={
            "tenant_id": account.tenant_id,
            "direction": Message.Direction.OUT if outgoing else Message.Direction.IN,
            "text": text,
            "attachments": attachments,
            "sent_at": _when(item.get("timestamp")),
            "author_id": sender,
            "is_echo": outgoing,
        },
    )
    if not new:
        return  # processed before, or our own send whose echo this is
    message_record(conversation=conversation, message=saved)
    if not outgoing:
        replies.auto_reply_consider(message=saved, first=created)


def message_record(*, conversation: Conversation, message: Message) -> None:
    """Update the conversation's summary for a message just stored."""
    fields = ["last_message_at", "last_message_text"]
    if conversation.last_message_at is None or message.sent_at >= conversation.last_message_at:
        conversation.last_message_at = message.sent_at
        conversation.last_message_text = (message.text or _describe(message))[:200]
    if message.direction == Message.Direction.IN:
        if conversation.last_incoming_at is None or message.sent_at > conversation.last_incoming_at:
            conversation.last_incoming_at = message.sent_at
        conversation.unread = True
        conversation.done = False
        fields += ["last_incoming_at", "unread", "done"]
    conversation.save(update_fields=fields)


def _describe(message: Message) -> str:
    if message.attachments:
        kinds = ", ".join(sorted({a["type"] for a in message.attachments}))
        return f"Sent an attachment ({kinds})"
    return ""
