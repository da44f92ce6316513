"""Facebook feed comments and Instagram comments → comment threads (one `Conversation` per post)
(graph-api.md §8). Edits, hides and removals update the comment; our own posts appearing in the
feed are handed to the posting app (`publication_seen`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

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


PUBLICATION = "Publication"  # looked up at run time: posting may not define it yet


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
        thread.publication_id = publication_for(account=account, remote_id=post_id)
        if thread.publication_id:
            thread.save(update_fields=["publication_id"])
    return thread


def publication_for(*, account: SocialAccount, remote_id: str) -> str:
    """Seam to the posting app: the id of Tablecast's own `Publication` of this post, or "".

    Until ``posting.models.Publication`` exists (it is being built in parallel), there is none."""
    from django.apps import apps

    try:
        publication = apps.get_model("posting", PUBLICATION)
    except LookupError:
        return ""
    found = publication.objects.filter(account=account, remote_id=remote_id).only("pk").first()
    return str(found.pk) if found else ""


def publication_seen(*, account: SocialAccount, remote_id: str) -> None:
    """Seam to the posting app: our own post appeared on the Page (feed ``status``/``photo``
    add). A publication waiting in ``needs_reconcile`` is resolved by it; that belongs to the
    posting app's reconcile service, which is called here once it exists."""
    try:
        from posting import reconcile
    except ImportError:
        return
    confirm = getattr(reconcile, "publication_confirm_seen", None)
    if confirm is not None:
        confirm(account=account, remote_id=remote_id)


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
