"""Facebook feed comments and Instagram comments → comment threads (one `Conversation` per post)
(graph-api.md §8). Edits, hides and removals update the comment; our own posts appearing in the
feed are handed to the posting app (`publication_seen`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from lib.tasks import enqueue_on_commit
from posting import tasks as posting_tasks
from posting.models import Publication
from social.models import SocialAccount
from webhooks.handlers.messages import message_record, network_of
from webhooks.models import Conversation, Message, WebhookEvent

logger = logging.getLogger(__name__)

STATE_BY_VERB = {
    "hide": Message.CommentState.HIDDEN,
    "unhide": Message.CommentState.VISIBLE,
    "remove": Message.CommentState.REMOVED,
    "delete": Message.CommentState.REMOVED,
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _when(seconds: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(seconds), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def thread_for(*, account: SocialAccount, post_id: str) -> Conversation:
    thread, created = Conversation.objects.get_or_create(
        account=account,
        kind=Conversation.Kind.COMMENTS,
        post_id=post_id,
        defaults={"tenant_id": account.tenant_id, "network": network_of(account)},
    )
    if created:
        ours = (
            Publication.objects.filter(account=account, remote_id=post_id)
            .select_related("post")
            .first()
        )
        if ours is not None:
            thread.publication_id = str(ours.pk)
            thread.post_text = ours.post.text_for(ours.network)[:300]
            thread.save(update_fields=["publication_id", "post_text"])
    return thread


def publication_seen(*, account: SocialAccount, remote_id: str) -> int:
    """Our own post appeared on the Page (feed ``status``/``photo`` add). If no publication
    knows it yet, the account's publications waiting in ``needs_reconcile`` (a publish whose
    answer was lost) are reconciled now instead of at the next sweep: the posting app looks on
    the Page and resolves each one (docs/publishing.md). Returns how many were enqueued."""
    if Publication.objects.filter(account=account, remote_id=remote_id).exists():
        return 0
    waiting = list(
        Publication.objects.filter(
            account=account, state=Publication.State.NEEDS_RECONCILE
        ).values_list("pk", flat=True)
    )
    for publication_id in waiting:
        enqueue_on_commit(
            posting_tasks.publication_reconcile,
            tenant_id=account.tenant_id,
            publication_id=publication_id,
        )
    return len(waiting)


def comment_apply(
    *,
    account: SocialAccount,
    post_id: str,
    comment_id: str,
    verb: str,
    author_id: str,
    author_name: str,
    text: str,
    parent_id: str,
    created: datetime,
) -> None:
    """Add, edit, hide or remove one comment; idempotent."""
    if not post_id or not comment_id:
        return
    thread = thread_for(account=account, post_id=post_id)
    existing = Message.objects.filter(conversation=thread, remote_id=comment_id).first()
    if verb in STATE_BY_VERB:
        if existing is not None and existing.comment_state != STATE_BY_VERB[verb]:
            existing.comment_state = STATE_BY_VERB[verb]
            existing.save(update_fields=["comment_state"])
        return
    if verb == "edited" and existing is not None:
        if existing.text != text:
            existing.text, existing.edited_at = text, timezone.now()
            existing.save(update_fields=["text", "edited_at"])
        return
    if existing is not None:
        return
    ours = author_id == account.external_id
    comment = Message.objects.create(
        tenant_id=account.tenant_id,
        conversation=thread,
        remote_id=comment_id,
        direction=Message.Direction.OUT if ours else Message.Direction.IN,
        text=text,
        sent_at=created,
        author_id=author_id,
        author_name=author_name,
        parent_remote_id=parent_id if parent_id != post_id else "",
        is_echo=ours,
    )
    message_record(conversation=thread, message=comment)


def feed_handle(event: WebhookEvent) -> None:
    value = event.payload if isinstance(event.payload, dict) else {}
    item = str(value.get("item") or "")
    verb = str(value.get("verb") or "add")
    account = event.account
    assert account is not None  # handlers get routed events only (webhooks.processing)
    if item in ("comment", "reply"):
        sender = _dict(value.get("from"))
        comment_apply(
            account=account,
            post_id=str(value.get("post_id") or ""),
            comment_id=str(value.get("comment_id") or ""),
            verb=verb,
            author_id=str(sender.get("id") or ""),
            author_name=str(sender.get("name") or ""),
            text=str(value.get("message") or ""),
            parent_id=str(value.get("parent_id") or ""),
            created=_when(value.get("created_time")),
        )
    elif item in ("status", "photo", "post", "video", "share") and verb == "add":
        post_id = str(value.get("post_id") or "")
        if post_id:
            publication_seen(account=account, remote_id=post_id)
            message = str(value.get("message") or "")
            if message:
                Conversation.objects.filter(
                    account=account, kind=Conversation.Kind.COMMENTS, post_id=post_id
                ).update(post_text=message[:300])


def instagram_comment_handle(event: WebhookEvent) -> None:
    value = event.payload if isinstance(event.payload, dict) else {}
    sender = _dict(value.get("from"))
    media = _dict(value.get("media"))
    assert event.account is not None  # handlers get routed events only (webhooks.processing)
    comment_apply(
        account=event.account,
        post_id=str(media.get("id") or value.get("media_id") or ""),
        comment_id=str(value.get("id") or value.get("comment_id") or ""),
        verb=str(value.get("verb") or "add"),
        author_id=str(sender.get("id") or ""),
        author_name=str(sender.get("username") or sender.get("name") or ""),
        text=str(value.get("text") or ""),
        parent_id=str(value.get("parent_id") or ""),
        created=_when(value.get("created_time")) if value.get("created_time") else timezone.now(),
    )


def instagram_mention_handle(event: WebhookEvent) -> None:
    """Someone @-mentioned the account in their post's caption or in a comment (``mentions``:
    ``{media_id, comment_id?}``; Meta sends no text). Kept in a thread for that media so staff
    see it; nothing is answered automatically."""
    value = event.payload if isinstance(event.payload, dict) else {}
    media_id = str(value.get("media_id") or "")
    comment_id = str(value.get("comment_id") or "")
    account = event.account
    assert account is not None  # handlers get routed events only (webhooks.processing)
    if not media_id:
        return
    thread = thread_for(account=account, post_id=media_id)
    if not thread.post_text:
        thread.post_text = "A post that mentions you"
        thread.save(update_fields=["post_text"])
    remote_id = comment_id or f"mention:{media_id}"
    mention, new = Message.objects.get_or_create(
        conversation=thread,
        remote_id=remote_id,
        defaults={
            "tenant_id": account.tenant_id,
            "direction": Message.Direction.IN,
            "text": "Mentioned you in a comment." if comment_id else "Mentioned you in a post.",
        },
    )
    if new:
        message_record(conversation=thread, message=mention)
