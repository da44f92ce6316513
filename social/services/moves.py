"""Agency operators moving accounts between restaurants (the admin's "Move" action)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from social.models import OAuthState, PendingConnection, SocialAccount, TokenCheck
from social.services.records import check_record
from tenants.models import Tenant
from tenants.scoping import scopes_disabled

Status = SocialAccount.Status


class MoveRefused(Exception):
    """An operator's move would break an invariant; ``message`` says which account and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _accounts_with_their_instagram(accounts: list[SocialAccount]) -> list[SocialAccount]:
    """The chosen accounts plus every Instagram account linked to a chosen page: an Instagram
    account follows its page, so webhook routing and ``linked_page`` stay inside one tenant."""
    chosen = {a.pk for a in accounts}
    orphans = [a for a in accounts if a.linked_page_id and a.linked_page_id not in chosen]
    if orphans:
        names = ", ".join(
            f"{a.name} (page: {a.linked_page.name if a.linked_page else ''})" for a in orphans
        )
        raise MoveRefused(
            f"Instagram accounts move with their Facebook Page; select the page instead: {names}."
        )
    followers = [
        ig
        for page in accounts
        if page.is_page
        for ig in page.instagram_accounts.all()
        if ig.pk not in chosen
    ]
    return accounts + followers


def _move_conflicts(accounts: list[SocialAccount], target: Tenant) -> list[str]:
    problems = []
    for account in accounts:
        if account.tenant_id == target.pk:
            problems.append(f"{account.name} is already in {target}.")
            continue
        same = SocialAccount.objects.filter(kind=account.kind, external_id=account.external_id)
        if same.filter(tenant=target).exists():
            problems.append(
                f"{target} already has {account.get_kind_display()} {account.name} "
                f"(id {account.external_id}); disconnect or delete that one first."
            )
        elif same.exclude(pk=account.pk).filter(status__in=SocialAccount.HOLDING_STATUSES).exists():
            problems.append(
                f"{account.get_kind_display()} {account.name} (id {account.external_id}) is "
                "connected in another restaurant; a Facebook account is held by one at a time."
            )
    return problems


def accounts_move(*, accounts: list[SocialAccount], target: Tenant, operator: Any = None) -> int:
    """Move accounts (each page with its Instagram accounts) to another restaurant, for agency
    operators. Tokens are bound to their tenant (encryption context) and were granted for the
    old restaurant, so they are deleted and the accounts need reconnecting by the new owners;
    the history moves along, with a row saying who moved it from where. All or nothing."""
    with scopes_disabled(), transaction.atomic():
        moving = _accounts_with_their_instagram(list(accounts))
        problems = _move_conflicts(moving, target)
        if problems:
            raise MoveRefused("Nothing was moved. " + " ".join(problems))
        chosen = {a.pk for a in accounts}
        who = getattr(operator, "get_username", lambda: "")() or "an operator"
        # A Connect/reconnect in flight in the old restaurant must not land on a moved account.
        OAuthState.objects.filter(reconnect_account__in=moving).delete()
        PendingConnection.objects.filter(reconnect_account__in=moving).delete()
        for account in moving:
            before, source = account.status, account.tenant
            account.tenant = target
            account.page_token = ""
            account.user_token = ""
            if account.pk in chosen or account.is_holding:  # disconnected history stays so
                account.status = Status.NEEDS_RECONNECT
            account.last_error = "Moved here by Tablecast support: reconnect to start posting."
            account.broken_notified_at = None
            account.expiring_notified_at = None
            account.save()
            TokenCheck.objects.filter(account=account).update(tenant=target)
            check_record(
                account,
                TokenCheck.Result.DISCONNECTED,
                before,
                "admin",
                f"Moved from {source} to {target} by {who}; tokens deleted.",
            )
    return len(moving)
