"""Reads for the accounts page, the connect flow, owner emails and the scheduled tasks."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q
from django.utils import timezone

from lib.statements import Statement
from social.models import (
    PENDING_LIFETIME,
    SESSION_NONCE_KEY,
    PendingConnection,
    SocialAccount,
    TokenCheck,
)
from tenants.models import Membership, Tenant
from tenants.scoping import scopes_disabled
from tenants.statements import TENANT


def accounts_for_tenant(*, tenant: Tenant) -> list[SocialAccount]:
    """This restaurant's accounts, pages first, each Instagram account after its page."""
    return _ACCOUNTS.all(tenant=tenant)


def recent_checks(*, tenant: Tenant) -> list[TokenCheck]:
    """The latest token checks with their account's name and kind (what the accounts page shows
    of it: a whole account per check would load its tokens and 25 other columns)."""
    return _CHECKS.all(tenant=tenant)


# The accounts page's reads (lib/statements.py: compiled once per process).
RECENT_CHECKS = 20
_ACCOUNTS = Statement(
    lambda tenant: (
        SocialAccount.objects.filter(tenant=tenant)
        .select_related("linked_page")
        .order_by("status", "kind", "name")
    ),
    tenant=TENANT,
)


_CHECKS = Statement(
    lambda tenant: TokenCheck.objects.filter(tenant=tenant)
    .select_related("account")
    .only(
        "id", "tenant_id", "account_id", "checked_at", "result", "status_after", "detail",
        "account__id", "account__tenant_id", "account__name", "account__kind",
    )[:RECENT_CHECKS],  # newest first (the model's ordering)
    tenant=TENANT,
)  # fmt: skip


def accounts_to_check() -> list[tuple[int, str]]:
    """(tenant id, account id) of every page to check, plus Instagram accounts whose page is
    gone. Unscoped on purpose: the daily check covers every tenant and passes ids on."""
    with scopes_disabled():
        rows = (
            SocialAccount.objects.filter(status__in=SocialAccount.HOLDING_STATUSES)
            .filter(Q(kind=SocialAccount.Kind.FACEBOOK_PAGE) | Q(linked_page__isnull=True))
            .order_by("tenant_id", "id")
            .values_list("tenant_id", "id")
        )
        return [(tenant_id, str(pk)) for tenant_id, pk in rows]


def accounts_with_user_tokens() -> list[tuple[int, str]]:
    with scopes_disabled():
        rows = SocialAccount.objects.filter(
            kind=SocialAccount.Kind.FACEBOOK_PAGE,
            status__in=SocialAccount.HOLDING_STATUSES,
            user_token_expires_at__isnull=False,
        ).values_list("tenant_id", "id")
        return [(t, str(pk)) for t, pk in rows]


def pending_for(
    *, tenant: Tenant, pending_id: Any, user: Any, session: SessionBase
) -> PendingConnection | None:
    """The owner's own, fresh pending connection in this tenant and session, or None."""
    pending = PendingConnection.objects.filter(
        tenant=tenant, pk=pending_id, user=user, created_at__gte=timezone.now() - PENDING_LIFETIME
    ).first()
    nonce = session.get(SESSION_NONCE_KEY)
    if pending is None or not nonce:
        return None
    if pending.session_binding != hashlib.sha256(nonce.encode()).hexdigest():
        return None
    return pending


def pages_held_elsewhere(*, tenant: Tenant, page_ids: list[str]) -> dict[str, str]:
    """Pages (and their Instagram accounts) another restaurant holds: id → our page name."""
    with scopes_disabled():
        held = SocialAccount.objects.filter(
            external_id__in=page_ids,
            kind=SocialAccount.Kind.FACEBOOK_PAGE,
            status__in=SocialAccount.HOLDING_STATUSES,
        ).exclude(tenant=tenant)
        return {a.external_id: a.name for a in held}


def reconnect_target_page(*, pending: PendingConnection) -> str | None:
    """For a reconnect: the page id to reconnect, if this Facebook login can still reach it."""
    account = pending.reconnect_account
    if account is None:
        return None
    page = account if account.is_page else account.linked_page
    if page is None:
        return None
    return page.external_id if any(p["id"] == page.external_id for p in pending.pages) else None


def owner_emails(*, tenant: Tenant) -> list[str]:
    """The email addresses of the restaurant's owners (those who have one)."""
    with scopes_disabled():
        emails = Membership.objects.filter(tenant=tenant, role=Membership.Role.OWNER).values_list(
            "user__email", flat=True
        )
        return [e for e in emails if e]


def pages_sharing_login(*, page: SocialAccount) -> int:
    """How many other connected pages (any restaurant) came through this page's Facebook login."""
    with scopes_disabled():
        return (
            SocialAccount.objects.filter(
                facebook_user_id=page.facebook_user_id,
                kind=SocialAccount.Kind.FACEBOOK_PAGE,
                status__in=SocialAccount.HOLDING_STATUSES,
            )
            .exclude(pk=page.pk)
            .count()
        )
