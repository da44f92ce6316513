"""Reads for the accounts page and the scheduled tasks."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from social.models import SocialAccount, TokenCheck
from tenants.models import Tenant
from tenants.scoping import scopes_disabled


def accounts_for_tenant(*, tenant: Tenant) -> QuerySet[SocialAccount]:
    """This restaurant's accounts, pages first, each Instagram account after its page."""
    return (
        SocialAccount.objects.filter(tenant=tenant)
        .select_related("linked_page")
        .order_by("status", "kind", "name")
    )


def recent_checks(*, tenant: Tenant, limit: int = 20) -> QuerySet[TokenCheck]:
    return TokenCheck.objects.filter(tenant=tenant).select_related("account")[:limit]


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
