"""Writes and Graph calls of the inbox: replies (Send API, comment replies, private replies),
hiding comments, marking threads done, sending automatic replies, and the auto-reply settings
(docs/webhooks.md). Keyword-only, named ``<thing>_<action>``; callers run in a tenant scope."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from social.graph import GraphClient, GraphError, messaging
from social.models import SocialAccount
from webhooks.handlers.messages import conversation_for, message_record
from webhooks.models import AutoReplyRule, Conversation, Message, ReplySettings
from webhooks.replies import text_limit

logger = logging.getLogger(__name__)

PRIVATE_REPLY_WINDOW = timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"


class ReplyRefused(ValueError):
    """A reply we will not send; ``str(exc)`` is the sentence to show. Nothing was sent."""


def _page_of(account: SocialAccount) -> tuple[str, str]:
    """The Page id and token that speak for ``account`` (Instagram goes through its Page)."""
    if account.is_page:
        return account.external_id, account.page_token
    page = account.linked_page
    if page is None or not page.page_token:
        raise ReplyRefused(
            "This Instagram account is not linked to a connected Facebook Page, so Tablecast "
            "cannot reply from it. Reconnect it on the Accounts page."
        )
    return page.external_id, page.page_token


def _check_text(*, text: str, limit: int, network: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReplyRefused("Write a reply first.")
    if len(text) > limit:
        raise ReplyRefused(
            f"{network} accepts at most {limit:,} characters in one message; yours has "
            f"{len(text):,}. Shorten it or send it in two parts."
        )
    return text


def reply_mode(*, conversation: Conversation, now=None) -> tuple[bool, str, str]:
    """Whether a DM reply can be sent now, with which tag, and (if not) why, in words."""
    now = now or timezone.now()
    if conversation.last_incoming_at is None:
        return False, "", "The customer has not written to you yet, so you cannot message them."
    if conversation.in_window(now):
        return True, "", ""
    if settings.WEBHOOK_HUMAN_AGENT_TAG and conversation.in_human_agent_window(now):
        return True, HUMAN_AGENT_TAG, ""
    return (
        False,
        "",
        "More than 24 hours have passed since the customer's last message, so Facebook no "
        "longer lets a business reply here. When they write again, you can answer.",
    )


def _mark_sent(*, message: Message, remote_id: str) -> None:
    """Store the remote id; if the echo of this very message was processed first, drop it."""
    message.remote_id, message.status, message.error = remote_id, Message.Status.SENT, ""
    with transaction.atomic():
        if remote_id:
            Message.objects.filter(
                conversation_id=message.conversation_id, remote_id=remote_id
            ).exclude(pk=message.pk).delete()
        message.save(update_fields=["remote_id", "status", "error"])


def conversation_reply(*, conversation: Conversation, text: str, user: Any) -> Message:
    """A staff member's DM reply through the Send API (24-hour window, or HUMAN_AGENT up to
    7 days when enabled). Refusals raise `ReplyRefused` before anything is sent; a Graph
    failure keeps the message, marked not sent, and raises `ReplyRefused` with the reason."""
    if conversation.is_comments:
        raise ReplyRefused("Reply to a comment with the reply button under it.")
    network = "Instagram" if conversation.network == Conversation.Network.INSTAGRAM else "Messenger"
    text = _check_text(text=text, limit=text_limit(conversation), network=network)
    allowed, tag, why = reply_mode(conversation=conversation)
    if not allowed:
        raise ReplyRefused(why)
    page_id, token = _page_of(conversation.account)
    message = Message.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        direction=Message.Direction.OUT,
        text=text,
        status=Message.Status.PENDING,
        sent_by=user,
        tag=tag,
        author_id=conversation.account.external_id,
    )
    try:
        sent = messaging.message_send(
            GraphClient(),
            page_id=page_id,
            page_token=token,
            recipient_id=conversation.customer_id,
            text=text,
            tag=tag,
        )
    except GraphError as exc:
        _failed(message=message, error=exc)
        raise ReplyRefused(_graph_words(exc)) from None
    _mark_sent(message=message, remote_id=sent.message_id)
    _after_staff_reply(conversation=conversation, message=message)
    return message


def _after_staff_reply(*, conversation: Conversation, message: Message) -> None:
    conversation.unread = False
    conversation.save(update_fields=["unread"])
    message_record(conversation=conversation, message=message)


def _graph_words(exc: GraphError) -> str:
    if exc.code == 10 and exc.subcode == 2018278:
        return (
            "Facebook says the 24-hour reply window has closed, so the message was not sent. "
            "When the customer writes again, you can answer."
        )
    if exc.code in (10900, 10903):
        return "Facebook allows only one private reply per comment, within 7 days of it."
    return f"Facebook did not accept the message: {exc.user_message}"


def _failed(*, message: Message, error: GraphError) -> None:
    message.status = Message.Status.FAILED
    message.error = _graph_words(error)[:500]
    message.save(update_fields=["status", "error"])
    logger.info("message %s not sent: %s", message.pk, error.describe())


def comment_reply(*, thread: Conversation, comment: Message, text: str, user: Any) -> Message:
    """A public reply under a comment (Instagram: under its top-level comment)."""
    instagram = thread.network == Conversation.Network.INSTAGRAM
    text = _check_text(
        text=text,
        limit=2200 if instagram else 8000,
        network="Instagram" if instagram else "Facebook",
    )
    if comment.comment_state == Message.CommentState.REMOVED:
        raise ReplyRefused("This comment was removed, so it cannot be answered.")
    target = (
        comment.parent_remote_id if (instagram and comment.parent_remote_id) else comment.remote_id
    )
    _page_id, token = _page_of(thread.account)
    try:
        remote_id = messaging.comment_reply(
            GraphClient(), comment_id=target, page_token=token, text=text, instagram=instagram
        )
    except GraphError as exc:
        logger.info("comment reply not sent: %s", exc.describe())
        raise ReplyRefused(_graph_words(exc)) from None
    reply, _new = Message.objects.get_or_create(
        conversation=thread,
        remote_id=remote_id,
        defaults={
            "tenant_id": thread.tenant_id,
            "direction": Message.Direction.OUT,
            "text": text,
            "sent_by": user,
            "parent_remote_id": target,
            "author_id": thread.account.external_id,
        },
    )
    _after_staff_reply(conversation=thread, message=reply)
    return reply


def comment_private_reply(
    *, thread: Conversation, comment: Message, text: str, user: Any
) -> Message:
    """A private message to a comment's author: once per comment, within 7 days of it."""
    if comment.direction != Message.Direction.IN:
        raise ReplyRefused("Private replies go to customers' comments, not to your own.")
    if comment.private_reply_at is not None:
        raise ReplyRefused("You already sent a private reply to this comment; Facebook allows one.")
    if timezone.now() - comment.sent_at > PRIVATE_REPLY_WINDOW:
        raise ReplyRefused(
            "This comment is more than 7 days old; Facebook no longer allows a private reply."
        )
    instagram = thread.network == Conversation.Network.INSTAGRAM
    text = _check_text(
        text=text, limit=text_limit(thread), network="Instagram" if instagram else "Messenger"
    )
    page_id, token = _page_of(thread.account)
    try:
        sent = messaging.private_reply_send(
            GraphClient(),
            page_id=page_id,
            page_token=token,
            comment_id=comment.remote_id,
            text=text,
        )
    except GraphError as exc:
        logger.info("private reply not sent: %s", exc.describe())
        raise ReplyRefused(_graph_words(exc)) from None
    comment.private_reply_at = timezone.now()
    comment.save(update_fields=["private_reply_at"])
    customer_id = sent.recipient_id or comment.author_id
    conversation, _created = conversation_for(account=thread.account, customer_id=customer_id)
    if not conversation.customer_name and comment.author_name:
        conversation.customer_name = comment.author_name
        conversation.save(update_fields=["customer_name"])
    message, _new = Message.objects.get_or_create(
        conversation=conversation,
        remote_id=sent.message_id,
        defaults={
            "tenant_id": thread.tenant_id,
            "direction": Message.Direction.OUT,
            "text": text,
            "sent_by": user,
            "author_id": thread.account.external_id,
        },
    )
    message_record(conversation=conversation, message=message)
    return message


def comment_hide(*, thread: Conversation, comment: Message) -> Message:
    if comment.direction != Message.Direction.IN:
        raise ReplyRefused("Only customers' comments can be hidden here.")
    _page_id, token = _page_of(thread.account)
    try:
        messaging.comment_hide(
            GraphClient(),
            comment_id=comment.remote_id,
            page_token=token,
            instagram=thread.network == Conversation.Network.INSTAGRAM,
        )
    except GraphError as exc:
        logger.info("comment not hidden: %s", exc.describe())
        raise ReplyRefused(f"Facebook did not hide the comment: {exc.user_message}") from None
    comment.comment_state = Message.CommentState.HIDDEN
    comment.save(update_fields=["comment_state"])
    return comment


def conversation_mark(
    *,
    conversation: Conversation,
    done: bool | None = None,
    read: bool | None = True,
    human_done: bool = False,
) -> Conversation:
    """Mark a thread done (or open again), read (``read=True``) or unread (``False``), or hand
    it back to automatic replies. Nothing is written for what is already so: opening a read
    thread (every view of a thread marks it read) costs no UPDATE."""
    fields = []
    if done is not None and conversation.done != done:
        conversation.done = done
        fields.append("done")
    if read is not None and conversation.unread != (not read):
        conversation.unread = not read
        fields.append("unread")
    if human_done:
        conversation.needs_human, conversation.needs_human_reason = False, ""
        fields += ["needs_human", "needs_human_reason"]
    if fields:
        conversation.save(update_fields=fields)
    return conversation


# -- background: automatic replies and customer names --------------------------------------
def auto_reply_send(*, message_id: str) -> str:
    """Send one pending automatic reply (the task's body); the window is checked again."""
    message = Message.objects.select_related("conversation__account__linked_page").get(
        pk=message_id
    )
    if message.status != Message.Status.PENDING:
        return message.status
    conversation = message.conversation
    if not conversation.in_window():
        message.status, message.error = Message.Status.SKIPPED, "The 24-hour window had closed."
        message.save(update_fields=["status", "error"])
        return message.status
    try:
        page_id, token = _page_of(conversation.account)
    except ReplyRefused as exc:
        message.status, message.error = Message.Status.FAILED, str(exc)[:500]
        message.save(update_fields=["status", "error"])
        return message.status
    sent = messaging.message_send(
        GraphClient(),
        page_id=page_id,
        page_token=token,
        recipient_id=conversation.customer_id,
        text=message.text,
    )
    _mark_sent(message=message, remote_id=sent.message_id)
    message_record(conversation=conversation, message=message)
    return message.status


def auto_reply_failed(*, message_id: str, error: GraphError) -> None:
    message = Message.objects.filter(pk=message_id).first()
    if message is not None:
        _failed(message=message, error=error)


def customer_name_fetch(*, conversation_id: str) -> str:
    """Look the customer's name up once per conversation; a failure is not retried (the inbox
    shows "A customer" instead)."""
    conversation = Conversation.objects.select_related("account__linked_page").get(
        pk=conversation_id
    )
    if conversation.customer_name_fetched:
        return conversation.customer_name
    name = ""
    try:
        page_id, token = _page_of(conversation.account)
        name = messaging.customer_name(
            GraphClient(),
            page_id=page_id,
            page_token=token,
            customer_id=conversation.customer_id,
            instagram=conversation.network == Conversation.Network.INSTAGRAM,
        )
    except (GraphError, ReplyRefused) as exc:
        logger.info("customer name of %s not found: %s", conversation.pk, exc)
    conversation.customer_name_fetched = True
    conversation.customer_name = (name or conversation.customer_name)[:255]
    conversation.save(update_fields=["customer_name_fetched", "customer_name"])
    return conversation.customer_name


# -- settings --------------------------------------------------------------------------------
def reply_settings_update(*, reply: ReplySettings, data: dict[str, Any]) -> ReplySettings:
    for name, value in data.items():
        setattr(reply, name, value)
    reply.full_clean()
    reply.save()
    return reply


def rule_create(*, tenant: Any, keywords: str, answer: str) -> AutoReplyRule:
    rule = AutoReplyRule(tenant=tenant, keywords=keywords.strip(), answer=answer.strip())
    rule.full_clean()
    rule.save()
    return rule


def rule_delete(*, rule: AutoReplyRule) -> None:
    rule.delete()
