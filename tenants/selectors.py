"""Reads for the tenants app's pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenants.models import Invitation, Membership, Tenant, has_opening_hours
from tenants.scoping import scopes_disabled

# What the AI writer and auto-replies need from the profile, as the owner would name it.
PROFILE_ITEMS = [
    ("cuisine", "Cuisine"),
    ("description", "A short description"),
    ("address", "Address"),
    ("phone", "Phone"),
    ("website", "Website"),
    ("opening_hours", "Opening hours"),
    ("menu_highlights", "Menu highlights"),
    ("tone_of_voice", "Tone of voice"),
]


@dataclass(frozen=True)
class Completeness:
    done: list[str]
    missing: list[str]

    @property
    def percent(self) -> int:
        total = len(self.done) + len(self.missing)
        return round(100 * len(self.done) / total) if total else 100


def profile_completeness(tenant: Tenant) -> Completeness:
    """Which profile items are filled in (opening hours count once any day has a slot)."""
    done, missing = [], []
    for field, label in PROFILE_ITEMS:
        value = getattr(tenant, field)
        is_hours = field == "opening_hours"
        filled = has_opening_hours(value) if is_hours else bool(str(value).strip())
        (done if filled else missing).append(label)
    return Completeness(done=done, missing=missing)


def memberships_of(*, user: Any) -> list[Membership]:
    """Every restaurant this user belongs to, by name. Unscoped on purpose: it is how the
    home page picks a tenant, before any is chosen."""
    with scopes_disabled():
        return list(
            Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")
        )


def member_count(*, tenant: Tenant) -> int:
    return Membership.objects.filter(tenant=tenant).count()


def member_list(*, tenant: Tenant) -> list[Membership]:
    """The members page: owners first, then by email."""
    return list(
        Membership.objects.filter(tenant=tenant)
        .select_related("user")
        .order_by("role", "user__email")
    )


def open_invitations(*, tenant: Tenant) -> list[Invitation]:
    return list(
        Invitation.objects.filter(tenant=tenant, accepted_at__isnull=True).order_by("email")
    )
