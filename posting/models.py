"""Posts and their publications (design invariant 3: every post goes out exactly once, or says
why not). See docs/publishing.md for the state machine, the time rule and the error table.

- `Post`: what the restaurant wants to say (text, ordered photos, optional link) and when, in
  UTC plus the local wall time and zone the person entered.
- `Publication`: one per target account; it alone carries a state (`posting.states`).
- `PublishAttempt`: one row per claim of a publication, written *before* Facebook is called,
  so a crash leaves evidence that a call may have gone out (never a token).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantOwned


class Post(TenantOwned):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post_type = models.CharField(
        max_length=24, blank=True, help_text="What kind of post (posting.ai.POST_TYPES)."
    )
    text = models.TextField(blank=True)
    text_facebook = models.TextField(blank=True, help_text="Replaces the text on Facebook.")
    text_instagram = models.TextField(blank=True, help_text="Replaces the text on Instagram.")
    link = models.URLField(max_length=2000, blank=True)
    media = models.ManyToManyField(
        "assets.Asset", through="PostMedia", related_name="+", blank=True
    )
    scheduled_at = models.DateTimeField(
        null=True, blank=True, help_text="UTC. Empty for a draft or 'publish now'."
    )
    scheduled_local = models.CharField(
        max_length=16, blank=True, help_text="The wall time, YYYY-MM-DD HH:MM in scheduled_zone."
    )
    scheduled_zone = models.CharField(max_length=64, blank=True)
    schedule_note = models.CharField(
        max_length=300, blank=True, help_text="What the time rule changed, in plain words."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "scheduled_at"], name="post_tenant_when")]

    def __str__(self) -> str:
        return (self.text or "(photo post)")[:60]

    def text_for(self, network: str) -> str:
        override = self.text_instagram if network == "instagram" else self.text_facebook
        return override or self.text


class PostMedia(TenantOwned):
    """The post's photos in order. ``asset`` becomes empty when the photo is deleted from the
    library; a publication still waiting then fails with that reason (docs/publishing.md)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media_items")
    asset = models.ForeignKey(
        "assets.Asset", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="postmedia_unique_position")
        ]


class Publication(TenantOwned):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", _("Publishing")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        HELD = "held", _("On hold")
        NEEDS_RECONCILE = "needs_reconcile", _("Checking on Facebook")
        CANCELLED = "cancelled", _("Cancelled")

    class Network(models.TextChoices):
        FACEBOOK = "facebook", _("Facebook")
        INSTAGRAM = "instagram", _("Instagram")

    class Shape(models.TextChoices):
        FB_TEXT = "fb_text", _("Facebook text post")
        FB_LINK = "fb_link", _("Facebook link post")
        FB_PHOTO = "fb_photo", _("Facebook photo post")
        FB_ALBUM = "fb_album", _("Facebook post with several photos")
        IG_IMAGE = "ig_image", _("Instagram photo")
        IG_CAROUSEL = "ig_carousel", _("Instagram carousel")

    class HoldReason(models.TextChoices):
        NONE = "", _("Not held")
        RECONNECT = "reconnect", _("The account needs reconnecting")
        QUOTA = "quota", _("Instagram's daily publishing limit")
        POLICY = "policy", _("Blocked by Facebook for now")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="publications")
    # RESTRICT: an account with publications is not deleted on its own (disconnecting keeps
    # the row), but deleting its restaurant deletes both.
    account = models.ForeignKey(
        "social.SocialAccount", on_delete=models.RESTRICT, related_name="publications"
    )
    network = models.CharField(max_length=10, choices=Network.choices)
    shape = models.CharField(max_length=12, choices=Shape.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the dispatcher may claim it next (UTC)."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker publishing it."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    retry_count = models.PositiveIntegerField(
        default=0, help_text="Automatic retries since the owner last asked (bounded)."
    )
    remote_id = models.CharField(max_length=100, blank=True, db_index=True)
    permalink = models.URLField(max_length=2000, blank=True)
    ig_container_id = models.CharField(max_length=64, blank=True)
    ig_children_ids = models.JSONField(default=list, blank=True)
    poll_started_at = models.DateTimeField(null=True, blank=True)
    hold_reason = models.CharField(
        max_length=12, choices=HoldReason.choices, blank=True, default=""
    )
    last_error = models.CharField(max_length=500, blank=True, help_text="For the owner.")
    last_error_code = models.IntegerField(null=True, blank=True)
    last_error_subcode = models.IntegerField(null=True, blank=True)
    last_fbtrace_id = models.CharField(max_length=64, blank=True)
    failure_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "account"], name="publication_one_per_post_account"
            )
        ]
        indexes = [
            # The dispatcher's query: due rows of one state, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="scheduled"),
                name="publication_due",
            ),
            models.Index(fields=["state", "claimed_at"], name="publication_state_claimed"),
            models.Index(fields=["tenant", "state"], name="publication_tenant_state"),
            models.Index(fields=["account", "state"], name="publication_account_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_shape_display()} ({self.get_state_display()})"

    def __repr__(self) -> str:
        return f"<Publication {self.pk} {self.shape} {self.state} attempt={self.attempt_count}>"

    @property
    def is_editable(self) -> bool:
        """Not claimed (or failed: "edit and retry"), so the text, photos and time may change."""
        return self.state in (
            self.State.DRAFT,
            self.State.SCHEDULED,
            self.State.HELD,
            self.State.FAILED,
        )


class PublishAttempt(TenantOwned):
    """One claim of a publication: written before Facebook is called, closed with its outcome."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        PUBLISHED = "published", _("Published")
        RETRY = "retry", _("Will retry")
        HELD = "held", _("Held")
        FAILED = "failed", _("Failed")
        AMBIGUOUS = "ambiguous", _("Unknown: checking on Facebook")
        WAITING = "waiting", _("Waiting for Instagram")
        SKIPPED = "skipped", _("Not sent")

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    step = models.CharField(max_length=40, blank=True, help_text="The Graph call in progress.")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.RUNNING)
    error_code = models.IntegerField(null=True, blank=True)
    error_subcode = models.IntegerField(null=True, blank=True)
    fbtrace_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    request_summary = models.JSONField(
        default=dict, blank=True, help_text="What was sent (ids, sizes, text length; no token)."
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "number"], name="publishattempt_one_per_claim"
            )
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number}: {self.get_outcome_display()}"


class PageBudget(models.Model):
    """Per-Page rate budget on the embedded default (no Redis): until when calls about this
    Facebook object must wait. Not tenant-owned: a Page's budget is Facebook's, shared by all
    workers (docs/publishing.md, "Rate budget")."""

    object_id = models.CharField(max_length=64, primary_key=True)
    blocked_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.object_id} until {self.blocked_until:%H:%M:%S}"
