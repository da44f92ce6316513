"""The restaurant (tenant), who belongs to it, and the base class every tenant-owned model uses."""

from __future__ import annotations

import hashlib
import itertools
import zoneinfo
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantScopedManager

# Breakfast, lunch and dinner: one limit for the model, the admin and the profile page.
MAX_OPENINGS_PER_DAY = 3
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        strict=True,
    )
)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _(
                "%(value)s is not a time zone we know. Pick one like Europe/Rome or America/New_York."
            ),
            params={"value": value},
        )


def _parse_hhmm(value: Any) -> int:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError
    hours, minutes = int(value[:2]), int(value[3:])
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValueError
    return hours * 60 + minutes


def validate_opening_hours(value: Any) -> None:
    """Opening hours: ``{"mon": [{"open": "12:00", "close": "15:00"}, …], …, "sun": []}``.

    Every weekday is present; an empty list means closed that day. A close time earlier than the
    open time means the slot runs past midnight (a bar open 18:00–02:00). Slots must not overlap,
    and a day has at most `MAX_OPENINGS_PER_DAY` of them.
    """
    if not isinstance(value, dict):
        raise ValidationError(_("Opening hours must list each weekday."))
    unknown = set(value) - set(WEEKDAYS)
    if unknown:
        raise ValidationError(
            _("Unknown weekday(s): %(days)s."), params={"days": ", ".join(sorted(unknown))}
        )
    for day in WEEKDAYS:
        slots = value.get(day)
        if not isinstance(slots, list):
            raise ValidationError(
                _("%(day)s is missing: give its opening times or mark it closed."),
                params={"day": WEEKDAY_NAMES[day]},
            )
        if len(slots) > MAX_OPENINGS_PER_DAY:
            raise ValidationError(
                _(
                    "%(day)s has %(count)d openings: a day can have at most %(max)d "
                    "(e.g. breakfast, lunch and dinner). Merge or remove some."
                ),
                params={
                    "day": WEEKDAY_NAMES[day],
                    "count": len(slots),
                    "max": MAX_OPENINGS_PER_DAY,
                },
            )
        spans = []
        for slot in slots:
            try:
                if not isinstance(slot, dict) or set(slot) != {"open", "close"}:
                    raise ValueError
                start, end = _parse_hhmm(slot["open"]), _parse_hhmm(slot["close"])
            except (ValueError, TypeError):
                raise ValidationError(
                    _("%(day)s: each opening needs an open and a close time as HH:MM."),
                    params={"day": WEEKDAY_NAMES[day]},
                ) from None
            if start == end:
                raise ValidationError(
                    _("%(day)s: an opening cannot start and end at the same time."),
                    params={"day": WEEKDAY_NAMES[day]},
                )
            spans.append((start, end if end > start else end + 24 * 60))
        spans.sort()
        for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
            if s2 < e1:
                raise ValidationError(
                    _("%(day)s: two openings overlap."), params={"day": WEEKDAY_NAMES[day]}
                )


def has_opening_hours(value: Any) -> bool:
    """Whether any day has an opening (a new restaurant starts with every day closed)."""
    return isinstance(value, dict) and any(isinstance(v, list) and v for v in value.values())


def default_opening_hours() -> dict[str, list[dict[str, str]]]:
    return {day: [] for day in WEEKDAYS}


MAX_CLOSURES = 60
MAX_SIGNATURE_HASHTAGS = 10


def validate_closures(value: Any) -> None:
    """Days the restaurant is closed outside its weekly hours (holidays, works):
    ``[{"date": "2026-12-25", "note": "Christmas Day"}, …]``, dates unique, at most `MAX_CLOSURES`."""
    if not isinstance(value, list):
        raise ValidationError(_("Closures must be a list of dates."))
    if len(value) > MAX_CLOSURES:
        raise ValidationError(
            _("At most %(max)d closure dates can be kept; remove past ones."),
            params={"max": MAX_CLOSURES},
        )
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("date"), str):
            raise ValidationError(_("Each closure needs a date as YYYY-MM-DD."))
        try:
            date.fromisoformat(item["date"])
        except ValueError:
            raise ValidationError(
                _("%(value)s is not a date: write it as YYYY-MM-DD."),
                params={"value": item["date"]},
            ) from None
        if len(item["date"]) != 10 or not isinstance(item.get("note", ""), str):
            raise ValidationError(_("Each closure needs a date as YYYY-MM-DD."))
        if item["date"] in seen:
            raise ValidationError(_("%(value)s is listed twice."), params={"value": item["date"]})
        seen.add(item["date"])


def validate_signature_hashtags(value: str) -> None:
    tags = value.split()
    if any(not tag.startswith("#") or len(tag) < 2 for tag in tags):
        raise ValidationError(_("Write hashtags starting with #, separated by spaces."))
    if len(tags) > MAX_SIGNATURE_HASHTAGS:
        raise ValidationError(
            _("Keep to %(max)d signature hashtags at most."),
            params={"max": MAX_SIGNATURE_HASHTAGS},
        )


class Tenant(models.Model):
    """A restaurant: the unit of isolation, and the profile the AI writer and auto-replies use."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    address = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    cuisine = models.CharField(max_length=120, blank=True)
    description = models.TextField(
        blank=True, max_length=1000, help_text="A short description, in your own words."
    )
    opening_hours = models.JSONField(
        default=default_opening_hours, validators=[validate_opening_hours]
    )
    menu_highlights = models.TextField(
        blank=True, max_length=2000, help_text="Dishes and drinks you are proud of, one per line."
    )
    tone_of_voice = models.CharField(
        max_length=255, blank=True, help_text="How you sound: e.g. warm, playful, family-run."
    )
    language = models.CharField(max_length=12, default="en", choices=settings.LANGUAGES)
    city = models.CharField(max_length=120, blank=True, help_text="The town or city you are in.")
    signature_hashtags = models.CharField(
        max_length=255,
        blank=True,
        validators=[validate_signature_hashtags],
        help_text="Hashtags you always use, e.g. #trattoriaalba #romefood.",
    )

    class EmojiStyle(models.TextChoices):
        NONE = "none", _("No emoji")
        SOME = "some", _("A few emoji")
        LOTS = "lots", _("Plenty of emoji")

    emoji_style = models.CharField(
        max_length=8, choices=EmojiStyle.choices, default=EmojiStyle.SOME, verbose_name="Emoji"
    )
    reservation_url = models.URLField(
        blank=True, help_text="Where guests book a table: your booking page or service."
    )
    dietary_options = models.CharField(
        max_length=255, blank=True, help_text="Diets you cater for, e.g. vegan, gluten-free."
    )
    parking = models.CharField(
        max_length=255, blank=True, help_text="What guests should know about parking."
    )
    delivery = models.CharField(
        max_length=255, blank=True, help_text="Whether and how you deliver or offer take-away."
    )
    closures = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_closures],
        help_text="Days you are closed outside your weekly hours (holidays).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    """A user's place in a restaurant. Owners manage members and connections; staff do the rest."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    # Scoped like every model with a tenant FK: listing a user's restaurants across tenants
    # (the switcher, the middleware) says so explicitly with scopes_disabled().
    objects = TenantScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique_user_tenant")
        ]
        ordering = ["tenant__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


class TenantOwned(models.Model):
    """Base of every tenant-owned model: a direct tenant FK and a manager that fails closed.

    Queries through ``objects`` raise `ScopeError` unless a tenant scope is active (the portal
    middleware and `TenantTask` provide it); inside a scope they only see that tenant's rows.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=True)

    objects = TenantScopedManager()

    class Meta:
        abstract = True


class Invitation(TenantOwned):
    """An owner's invitation for an email that has no account yet.

    Only a SHA-256 of the token is stored (the token itself is in the email alone); it works
    once, for `TTL`, and only for the invited email."""

    TTL = timedelta(days=7)

    email = models.EmailField()
    role = models.CharField(
        max_length=10, choices=Membership.Role.choices, default=Membership.Role.STAFF
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.tenant_id} ({self.role})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class PendingSignup(models.Model):
    """An owner who signed up and has not yet opened the confirmation link (tenants/registration.py).
    Their user is inactive until then. The row tells such a user apart from one an operator
    switched off, whom a link must never switch on again. ``tenant`` is the restaurant they
    signed up."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="pending_signup",
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # Fails closed like every model with a tenant FK; sign-up runs before any tenant scope, so
    # tenants/registration.py reads it with scopes_disabled().
    objects = TenantScopedManager()

    def __str__(self) -> str:
        return f"{self.user} (email not confirmed)"
