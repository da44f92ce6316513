"""Reads for the tenants app's pages."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from lib.queries import counts_row
from lib.statements import DATETIME, INT, Statement
from tenants.models import Invitation, Membership, Tenant, has_opening_hours
from tenants.scoping import scopes_disabled
from tenants.statements import TENANT

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
    done: list[str] = []
    missing: list[str] = []
    for field, label in PROFILE_ITEMS:
        value = getattr(tenant, field)
        is_hours = field == "opening_hours"
        filled = has_opening_hours(value) if is_hours else bool(str(value).strip())
        (done if filled else missing).append(label)
    return Completeness(done=done, missing=missing)


def memberships_of(*, user: Any) -> list[Membership]:
    """Every restaurant this user belongs to, by name (then id), each membership with its
    restaurant loaded. Unscoped on purpose: it is how a request finds its tenant, before any
    is chosen (the tenant middleware, the home page). Every portal request runs it, so it is a
    statement, compiled once per process (lib/statements.py); ``created_at``, which no request
    reads, is loaded if asked for. A test holds it equal to the plain queryset."""
    return _MEMBERSHIPS.all(user_id=user.pk)


def _memberships(user_id: int) -> Any:
    with scopes_disabled():
        return (
            Membership.objects.select_related("tenant")
            .filter(user_id=user_id)
            .defer("created_at")
            .order_by("tenant__name", "tenant_id")
        )


_MEMBERSHIPS = Statement(_memberships, user_id=INT)


def member_list(*, tenant: Tenant) -> list[Membership]:
    """The members page: owners first, then by email."""
    return _MEMBERS.all(tenant=tenant)


def open_invitations(*, tenant: Tenant) -> list[Invitation]:
    return _OPEN_INVITATIONS.all(tenant=tenant)


# The members page's two reads (lib/statements.py: compiled once per process).
_MEMBERS = Statement(
    lambda tenant: (
        Membership.objects.filter(tenant=tenant)
        .select_related("user")
        .order_by("role", "user__email")
    ),
    tenant=TENANT,
)
_OPEN_INVITATIONS = Statement(
    lambda tenant: Invitation.objects.filter(tenant=tenant, accepted_at__isnull=True).order_by(
        "email"
    ),
    tenant=TENANT,
)


@functools.cache
def _dashboard_accounts() -> Statement:
    """The dashboard's accounts card (a statement made on first use: tenants does not import
    the social app's models at import time)."""
    from social.models import SocialAccount

    return Statement(
        lambda tenant: (
            SocialAccount.objects.filter(tenant=tenant, status__in=SocialAccount.HOLDING_STATUSES)
            .only("id", "tenant_id", "kind", "name", "username", "status")  # what the card shows
            .order_by("kind", "name")
        ),
        tenant=TENANT,
    )


_FIGURES = ("ready", "preparing", "members", "invitations", "folders")


def _figures(tenant: Any, now: Any) -> QuerySet:
    """The dashboard's figures, each a count of the queryset as written (scoped managers), in
    one row: photos ready and being prepared, members, open invitations, folders."""
    from assets.models import Asset, Folder

    return counts_row(
        Tenant.objects.filter(pk=tenant.pk),
        ready=Asset.objects.filter(tenant=tenant, status=Asset.Status.READY),
        preparing=Asset.objects.filter(tenant=tenant, status=Asset.Status.PROCESSING),
        members=Membership.objects.filter(tenant=tenant),
        invitations=Invitation.objects.filter(
            tenant=tenant, accepted_at__isnull=True, expires_at__gt=now
        ),
        folders=Folder.objects.filter(tenant=tenant),
    )


@functools.cache
def _dashboard_figures() -> Statement:
    """Every figure in one round trip, compiled once per process (lib/statements.py): built
    and compiled on each visit, the five counts were a fifth of the dashboard's Python
    (docs/performance.md, "Pages"). Made on first use, as `_dashboard_accounts`."""
    return Statement(_figures, tenant=TENANT, now=DATETIME)


@dataclass(frozen=True)
class NextStep:
    text: str
    done: bool
    url_name: str  # a tenant URL name, e.g. "social:accounts"
    action: str


@dataclass(frozen=True)
class DashboardSummary:
    """The home page's facts about one restaurant (its posting block: posting/templatetags)."""

    accounts: list[Any]  # the SocialAccounts it holds (active, expiring, needing a reconnect)
    accounts_needing_attention: int
    photo_count: int
    photos_preparing: int
    folder_count: int
    member_count: int
    pending_invitations: int
    completeness: Completeness
    next_steps: list[NextStep]

    @property
    def steps_left(self) -> int:
        return sum(not step.done for step in self.next_steps)

    @property
    def next_step(self) -> NextStep | None:
        return next((step for step in self.next_steps if not step.done), None)


def dashboard_summary(*, tenant: Tenant) -> DashboardSummary:
    """Connected accounts, photos, members and what to do next, for the dashboard. Reads the
    social and assets apps' tables (scoped by the caller's tenant scope like every read)."""
    from social.models import SocialAccount

    accounts = _dashboard_accounts().all(tenant=tenant)
    figures = _dashboard_figures().first(tenant=tenant, now=timezone.now()) or dict.fromkeys(
        _FIGURES, 0
    )
    photo_count, members, invitations = figures["ready"], figures["members"], figures["invitations"]
    completeness = profile_completeness(tenant)
    steps = [
        NextStep(
            "Connect the restaurant's Facebook Page and its Instagram account",
            any(a.is_page for a in accounts),
            "social:accounts",
            "Connect accounts",
        ),
        NextStep(
            "Fill in the profile: cuisine, opening hours, tone of voice",
            not completeness.missing,
            "tenants:profile",
            "Complete the profile",
        ),
        NextStep(
            "Upload photos of dishes, the room and the team",
            photo_count > 0,
            "assets:library",
            "Upload photos",
        ),
        NextStep(
            "Invite the people who help with social media",
            members > 1 or invitations > 0,
            "tenants:members",
            "Invite someone",
        ),
    ]
    return DashboardSummary(
        accounts=accounts,
        accounts_needing_attention=sum(a.status != SocialAccount.Status.ACTIVE for a in accounts),
        photo_count=photo_count,
        photos_preparing=figures["preparing"],
        folder_count=figures["folders"],
        member_count=members,
        pending_invitations=invitations,
        completeness=completeness,
        next_steps=steps,
    )
