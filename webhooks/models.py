"""Webhook events as received, and the inbox they feed: conversations, messages, auto-reply
settings and owners' keyword rules. See docs/webhooks.md."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant, TenantOwned
from tenants.scoping import TenantScopedManager


class WebhookEvent(models.Model):
    """One change (``entry[].changes[]``) or messaging item (``entry[].messaging[]``) of a
    Facebook webhook POST, stored before the POST is acknowledged.

    Tenancy: an event is not known to belong to a restaurant until the router has matched its
    ``object`` + ``entry_id`` to a connected account, and some never are (unknown Pages, objects
    we do not handle). So ``tenant`` is nullable here, unlike every `TenantOwned` model, and the
    table is read in two ways:

    - scoped (the default): ``objects`` is the same fail-closed `TenantScopedManager` as
      everywhere else. Without a tenant scope it raises; inside one it sees only that tenant's
      *routed* events (``tenant IS NULL`` never matches a scope). Portal pages and the
      processing of routed events read events only this way.
    - explicitly unscoped: ``WebhookEvent.objects`` inside ``scopes_disabled()``, which sees
      every row, unrouted ones included. Only these use it, each without a tenant scope by
      nature: the receive view (insert), the router (which is what assigns the tenant), the
      sweep and purge tasks, and the Django admin (operators, already unscoped). A second,
      plain manager would be the shorter spelling, but the tenants.E001 system check forbids
      any manager that does not fail closed, so the unscoped access is always visible as a
      ``scopes_disabled()`` block.

    ``dedupe_key`` is a SHA-256 of the item's object, entry id, field and canonical JSON, unique,
    so a redelivered item (Meta retries for up to 36 h) is ignored by the insert itself.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be processed")
        PROCESSED = "processed", _("Processed")
        UNROUTED = "unrouted", _("No restaurant owns this account")
        FAILED = "failed", _("Processing failed")

    id = models.BigAutoField(primary_key=True)
    # No index of its own: (tenant, received_at) below leads with it.
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(
        "social.SocialAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Unique through a constraint, not ``unique=True``, which on PostgreSQL also builds a
    # ``LIKE`` index that no query uses and every insert pays for.
    dedupe_key = models.CharField(max_length=64)
    delivery_id = models.UUIDField(db_index=True, help_text="The POST this event arrived in.")
    object = models.CharField(max_length=40, help_text="page, instagram, …")
    entry_id = models.CharField(max_length=64, help_text="Page id or Instagram account id.")
    field = models.CharField(max_length=64, blank=True, help_text="feed, messages, comments, …")
    messaging = models.BooleanField(default=False, help_text="A messaging item, not a change.")
    entry_time = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(help_text="The change's value or the messaging item, as sent.")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["tenant", "received_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="webhooks_event_dedupe_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.object}/{self.field or '-'} {self.entry_id} ({self.status})"


class ReplySettings(TenantOwned):
    """A restaurant's auto-reply switches and its greeting and away message. The answers
    themselves come from the restaurant's profile (`tenants.models.Tenant`: hours, closures,
    address, phone, booking link, diets, parking, delivery, menu highlights)."""

    enabled = models.BooleanField(
        default=True, help_text="Answer routine questions automatically on every account."
    )
    accounts_off = models.JSONField(
        default=list, blank=True, help_text="Ids of accounts where auto-replies are off."
    )
    greeting = models.CharField(
        max_length=500,
        blank=True,
        default="Hi, thanks for your message! Ask us about opening hours, where we are, "
        "the menu or bookings.",
        help_text="Sent to someone writing for the first time.",
    )
    away_message = models.CharField(
        max_length=500,
        blank=True,
        default="Thanks for your message! We are closed right now; we will reply when we are back.",
        help_text="Sent outside opening hours when no other answer fits.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="reply_settings_one")]

    def __str__(self) -> str:
        return f"Auto-replies of {self.tenant_id}"

    def is_on_for(self, account_id) -> bool:
        return self.enabled and str(account_id) not in {str(a) for a in self.accounts_off}


class AutoReplyRule(TenantOwned):
    """An owner's rule: when a customer's message contains one of the keywords, send the answer."""

    keywords = models.CharField(
        max_length=300, help_text="Words or phrases, separated by commas (any one matches)."
    )
    answer = models.TextField(max_length=2000)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.keywords

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip().lower() for k in self.keywords.split(",") if k.strip()]


class _Thread(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def customer_name(self) -> str: ...
    @property
    def post_text(self) -> str: ...


class ThreadNaming:
    """What the inbox calls a thread, for a `Conversation` and for the inbox list's plain rows
    (`webhooks.selectors.ThreadRow`)."""

    @property
    def is_comments(self: _Thread) -> bool:
        return self.kind == Conversation.Kind.COMMENTS

    @property
    def title(self: _Thread) -> str:
        """The customer, or the post its comments are under."""
        if self.kind == Conversation.Kind.COMMENTS:
            text = self.post_text
            return f"Comments on “{text[:60]}”" if text else "Comments on a post"
        return self.customer_name or "A customer"


class Conversation(ThreadNaming, TenantOwned):
    """One thread of the inbox.

    ``kind=messages``: a Messenger or Instagram DM conversation with one customer (PSID/IGSID).
    ``kind=comments``: the comments under one post (``post_id``) of a connected account.
    Both live in one table so the inbox lists, filters and marks them the same way."""

    class Kind(models.TextChoices):
        MESSAGES = "messages", _("Messages")
        COMMENTS = "comments", _("Comments")

    class Network(models.TextChoices):
        FACEBOOK = "facebook", _("Facebook")
        INSTAGRAM = "instagram", _("Instagram")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(
        "social.SocialAccount", on_delete=models.CASCADE, related_name="conversations"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    network = models.CharField(max_length=10, choices=Network.choices)
    customer_id = models.CharField(max_length=64, blank=True, help_text="PSID or IGSID.")
    customer_name = models.CharField(max_length=255, blank=True)
    customer_name_fetched = models.BooleanField(default=False)
    post_id = models.CharField(max_length=128, blank=True, help_text="For comment threads.")
    post_text = models.CharField(max_length=300, blank=True)
    publication_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="Tablecast's own Publication of this post, when it is ours (posting app).",
    )
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_message_text = models.CharField(max_length=200, blank=True)
    last_incoming_at = models.DateTimeField(
        null=True, blank=True, help_text="Opens the 24-hour reply window."
    )
    unread = models.BooleanField(default=False)
    needs_human = models.BooleanField(default=False)
    needs_human_reason = models.CharField(max_length=200, blank=True)
    done = models.BooleanField(default=False)
    last_auto_reply_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_message_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "customer_id"],
                condition=Q(kind="messages"),
                name="conversation_one_per_customer",
            ),
            models.UniqueConstraint(
                fields=["account", "post_id"],
                condition=Q(kind="comments"),
                name="conversation_one_per_post",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "done", "-last_message_at", "-id"])]

    def __str__(self) -> str:
        return self.title

    def window_closes_at(self):
        if self.last_incoming_at is None:
            return None
        return self.last_incoming_at + timedelta(hours=24)

    def in_window(self, now=None) -> bool:
        closes = self.window_closes_at()
        return closes is not None and (now or timezone.now()) < closes

    def in_human_agent_window(self, now=None) -> bool:
        if self.last_incoming_at is None:
            return False
        return (now or timezone.now()) < self.last_incoming_at + timedelta(days=7)


class Message(TenantOwned):
    """A DM (in or out) or a comment. ``remote_id`` is the message ``mid`` or the comment id,
    unique per conversation, which makes processing an event twice a no-op."""

    class Direction(models.TextChoices):
        IN = "in", _("From the customer")
        OUT = "out", _("From the restaurant")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        PENDING = "pending", _("Sending")
        FAILED = "failed", _("Not sent")
        SKIPPED = "skipped", _("Not sent")

    class CommentState(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden")
        REMOVED = "removed", _("Removed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    remote_id = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True, help_text="[{type, url}]")
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    author_id = models.CharField(max_length=64, blank=True)
    author_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    error = models.CharField(max_length=500, blank=True)
    is_echo = models.BooleanField(default=False, help_text="Sent from the Page, seen as an echo.")
    automatic = models.BooleanField(default=False)
    rule = models.CharField(
        max_length=100, blank=True, help_text="What produced an automatic message."
    )
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tag = models.CharField(max_length=30, blank=True, help_text="Message tag, e.g. HUMAN_AGENT.")
    # Comments only.
    parent_remote_id = models.CharField(max_length=255, blank=True)
    comment_state = models.CharField(
        max_length=10, choices=CommentState.choices, default=CommentState.VISIBLE
    )
    edited_at = models.DateTimeField(null=True, blank=True)
    private_reply_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "remote_id"],
                condition=~Q(remote_id=""),
                name="message_unique_remote_id",
            ),
            models.UniqueConstraint(
                fields=["reply_to"],
                condition=Q(automatic=True),
                name="message_one_auto_reply_per_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction}: {self.text[:40]}"

    @property
    def is_comment(self) -> bool:
        return self.conversation.kind == Conversation.Kind.COMMENTS
