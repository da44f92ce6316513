"""Connected Facebook Pages and Instagram accounts, the OAuth states that connect them, and the
history of their token checks. Tokens live only in encrypted fields (design invariant 2)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.crypto import EncryptedFieldsMixin, EncryptedTextField
from tenants.models import TenantOwned

OAUTH_STATE_LIFETIME_SECONDS = 600  # RFC 6749 §4.1.2: ten minutes, single use
# A page picker not submitted within this long is abandoned (the hourly purge deletes it).
PENDING_LIFETIME = timedelta(hours=1)
# The session key of the random nonce whose SHA-256 binds an `OAuthState` and its
# `PendingConnection` to one browser session (docs/reliability.md, O2).
SESSION_NONCE_KEY = "social_oauth_nonce"


class SocialAccount(EncryptedFieldsMixin, TenantOwned):
    """A Facebook Page or an Instagram professional account one restaurant publishes to.

    An external account is held by at most one tenant at a time (a partial unique constraint
    over the statuses that still route webhooks), so webhook routing is unambiguous."""

    class Kind(models.TextChoices):
        FACEBOOK_PAGE = "facebook_page", _("Facebook Page")
        INSTAGRAM = "instagram", _("Instagram account")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRING = "expiring", _("Expiring soon")
        NEEDS_RECONNECT = "needs_reconnect", _("Needs reconnecting")
        REVOKED = "revoked", _("Disconnected")

    HOLDING_STATUSES = (Status.ACTIVE, Status.EXPIRING, Status.NEEDS_RECONNECT)
    # Tablecast can post through the account.
    WORKING_STATUSES = (Status.ACTIVE, Status.EXPIRING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    external_id = models.CharField(max_length=64, help_text="The Page id or Instagram account id.")
    name = models.CharField(max_length=255)
    username = models.CharField(max_length=255, blank=True, help_text="Instagram @username.")
    picture_url = models.URLField(max_length=2000, blank=True)
    linked_page = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="instagram_accounts",
        help_text="For Instagram: the Facebook Page it is linked to (its token is used).",
    )
    page_token = EncryptedTextField(blank=True, default="")
    user_token = EncryptedTextField(
        blank=True, default="", help_text="Long-lived user token kept to refresh the connection."
    )
    facebook_user_id = models.CharField(
        max_length=64, blank=True, help_text="App-scoped id of the person who connected it."
    )
    granted_scopes = models.JSONField(default=list, blank=True)
    declined_scopes = models.JSONField(default=list, blank=True)
    tasks = models.JSONField(default=list, blank=True)
    token_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: the page token does not expire."
    )
    user_token_expires_at = models.DateTimeField(null=True, blank=True)
    data_access_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, help_text="In plain words.")
    last_error_code = models.CharField(
        max_length=40, blank=True, help_text="Facebook's code/subcode, for operators."
    )
    last_webhook_at = models.DateTimeField(null=True, blank=True)
    webhooks_subscribed = models.BooleanField(default=False)
    broken_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When owners were emailed about this breakage."
    )
    expiring_notified_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(default=timezone.now)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "external_id"], name="social_account_unique_per_tenant"
            ),
            models.UniqueConstraint(
                fields=["kind", "external_id"],
                condition=Q(status__in=["active", "expiring", "needs_reconnect"]),
                name="social_account_held_by_one_tenant",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    def __repr__(self) -> str:  # tokens never appear (RELIABILITY E9)
        return f"<SocialAccount {self.kind} {self.external_id} {self.status}>"

    @property
    def is_page(self) -> bool:
        return self.kind == self.Kind.FACEBOOK_PAGE

    @property
    def is_holding(self) -> bool:
        return self.status in self.HOLDING_STATUSES

    @property
    def graph_token(self) -> str:
        """The token Graph calls for this account use: its own page token, or for Instagram
        the linked Page's (Instagram via Facebook Login, graph-api.md §4)."""
        if self.is_page:
            return self.page_token
        return self.linked_page.page_token if self.linked_page is not None else ""

    @property
    def missing_scopes(self) -> list[str]:
        granted = set(self.granted_scopes)
        return [s for s in settings.FACEBOOK_SCOPES if s not in granted]

    @property
    def scope_checklist(self) -> list[tuple[str, bool]]:
        """Each permission Tablecast asks for, and whether it is granted (the accounts page)."""
        granted = set(self.granted_scopes)
        return [(s, s in granted) for s in settings.FACEBOOK_SCOPES]

    @property
    def required_granted_count(self) -> int:
        """How many of the permissions Tablecast asks for are granted (Facebook also grants
        ones it does not ask for, such as public_profile: those are not counted)."""
        return len(settings.FACEBOOK_SCOPES) - len(self.missing_scopes)

    @property
    def status_badge(self) -> str:
        badges: dict[str, str] = {
            self.Status.ACTIVE: "ok",
            self.Status.EXPIRING: "warn",
            self.Status.NEEDS_RECONNECT: "bad",
        }
        return badges.get(self.status, "")


class OAuthState(EncryptedFieldsMixin, TenantOwned):
    """One Connect attempt: single use, ten minutes, bound to user, tenant and browser session.

    Only a SHA-256 of the state value is stored. The PKCE verifier (when PKCE is on) is kept
    encrypted here, server-side, and never leaves it except in the token request."""

    class Purpose(models.TextChoices):
        CONNECT = "connect", _("Connect")
        RECONNECT = "reconnect", _("Reconnect")
        REREQUEST = "rerequest", _("Grant missing permissions")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    state_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_binding = models.CharField(max_length=64)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.CONNECT)
    reconnect_account = models.ForeignKey(
        SocialAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code_verifier = EncryptedTextField(blank=True, default="")
    next_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "OAuth state"
        verbose_name_plural = "OAuth states"

    def __repr__(self) -> str:
        return f"<OAuthState {self.purpose} tenant={self.tenant_id} used={bool(self.used_at)}>"

    @property
    def expires_at(self):
        return self.created_at + timedelta(seconds=OAUTH_STATE_LIFETIME_SECONDS)


class PendingConnection(EncryptedFieldsMixin, TenantOwned):
    """Between the callback and the page picker: the long-lived user token (encrypted) and
    the pages it can reach, for the owner who started it. Deleted once pages are picked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_binding = models.CharField(max_length=64)
    facebook_user_id = models.CharField(max_length=64)
    facebook_user_name = models.CharField(max_length=255, blank=True)
    user_token = EncryptedTextField()
    user_token_expires_at = models.DateTimeField(null=True, blank=True)
    pages = models.JSONField(
        default=list, help_text="Page ids, names, pictures, Instagram (no tokens)."
    )
    granted_scopes = models.JSONField(default=list)
    declined_scopes = models.JSONField(default=list)
    reconnect_account = models.ForeignKey(
        SocialAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    next_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __repr__(self) -> str:
        return f"<PendingConnection tenant={self.tenant_id} pages={len(self.pages)}>"


class TokenCheck(TenantOwned):
    """One health check of an account's token: kept after disconnecting (history)."""

    class Result(models.TextChoices):
        # The words of the account statuses they lead to (one word for one state).
        OK = "ok", _("Active")
        EXPIRING = "expiring", _("Expiring soon")
        BROKEN = "broken", _("Needs reconnecting")
        REVOKED = "revoked", _("Disconnected on Facebook")
        UNREACHABLE = "unreachable", _("Could not reach Facebook")
        CONNECTED = "connected", _("Connected")
        DISCONNECTED = "disconnected", _("Disconnected")
        REFRESHED = "refreshed", _("Refreshed")

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    trigger = models.CharField(max_length=20, default="scheduled")
    result = models.CharField(max_length=20, choices=Result.choices)
    status_before = models.CharField(max_length=20, blank=True)
    status_after = models.CharField(max_length=20, blank=True)
    detail = models.CharField(max_length=500, blank=True, help_text="What changed, in plain words.")
    error_code = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.get_result_display()} at {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def status_after_label(self) -> str:
        """The account's status after this check, in the word the accounts page uses for it
        everywhere (one word for one state); older rows without it show the result."""
        if self.status_after in SocialAccount.Status.values:
            return str(SocialAccount.Status(self.status_after).label)
        return self.get_result_display()


class DataDeletionRequest(models.Model):
    """A Facebook data-deletion callback (graph-api.md §10). Not tenant-owned: it concerns a
    Facebook person across tenants; only a hash of their app-scoped id is kept."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        COMPLETED = "completed", _("Completed")

    confirmation_code = models.CharField(max_length=64, unique=True)
    facebook_user_hash = models.CharField(max_length=64, db_index=True)
    # sha256 of the signed user id and issued_at: a replayed callback finds its row (one row,
    # one confirmation code per signed request). Null for rows from before it was kept.
    request_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    accounts_affected = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Data deletion {self.confirmation_code} ({self.status})"
