"""The page picker's submit: turn a `PendingConnection` into connected accounts
(docs/reliability.md §1).

`connection_complete` verifies each chosen page token really is a page token of that page,
subscribes the page to webhooks and only then writes every row in one transaction, so a Graph
failure half-way stores nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from social import selectors
from social.graph import GraphClient, GraphError, PermissionMissing, connect
from social.graph.connect import PageInfo, TokenInfo
from social.models import PendingConnection, SocialAccount, TokenCheck
from social.services.records import check_record, from_unix
from tenants.models import Tenant

logger = logging.getLogger(__name__)
Status = SocialAccount.Status


class ConnectError(Exception):
    """A connect step failed; ``message`` is for the owner, nothing was stored."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.tenant: Tenant | None = None  # set once the state told us whose attempt it was


class ConnectCancelled(ConnectError):
    """The owner pressed Cancel on Facebook."""


def graph_failure(exc: GraphError, *, during: str) -> ConnectError:
    logger.warning("connect: Graph error during %s: %s", during, exc.describe())
    if exc.retryable:
        return ConnectError(
            f"{exc.user_message} Nothing was saved; please try connecting again.",
            reason="retry",
        )
    return ConnectError(
        f"Facebook refused the connection ({exc.user_message}) Nothing was saved.",
        reason="graph",
    )


@dataclass
class ConnectResult:
    accounts: list[SocialAccount]
    missing_scopes: list[str]
    next_path: str


def _verify_page_token(client: GraphClient, page: PageInfo) -> TokenInfo:
    info = connect.debug_token(client, input_token=page.access_token)
    if not info.is_valid or info.type != "PAGE" or info.profile_id != page.id:
        raise ConnectError(
            f"Facebook did not give us a working page token for {page.name}. Nothing was saved; "
            "please try again.",
            reason="not_page_token",
        )
    return info


def connection_complete(
    *, pending: PendingConnection, page_ids: list[str], user: Any
) -> ConnectResult:
    """Connect the chosen pages and their Instagram accounts. Graph calls first, then every
    write in one transaction: a failure part-way stores nothing (and keeps the picker)."""
    tenant = pending.tenant
    known = {p["id"]: p for p in pending.pages}
    chosen = [pid for pid in dict.fromkeys(page_ids) if pid in known]
    if not chosen:
        raise ConnectError("Tick at least one of your pages.", reason="none_chosen")
    held = held_elsewhere_message(tenant=tenant, page_ids=chosen)
    if held:
        raise ConnectError(held, reason="held")
    client = GraphClient()
    try:
        fresh = {p.id: p for p in connect.list_pages(client, user_token=pending.user_token)}
        verified: list[tuple[PageInfo, TokenInfo, bool]] = []
        for pid in chosen:
            page = fresh.get(pid)
            if page is None:
                raise ConnectError(
                    f"{known[pid]['name']} is no longer available to this Facebook account. "
                    "Nothing was saved.",
                    reason="page_gone",
                )
            info = _verify_page_token(client, page)
            try:
                subscribed = connect.subscribe_page(
                    client, page_id=page.id, page_token=page.access_token
                )
            except PermissionMissing:
                subscribed = False  # shown on the accounts page; "grant missing permissions"
            verified.append((page, info, subscribed))
    except GraphError as exc:
        raise graph_failure(exc, during="page connect") from None
    try:
        with transaction.atomic():
            accounts = _store_accounts(pending=pending, verified=verified, user=user)
            result = ConnectResult(
                accounts=accounts,
                missing_scopes=list(pending.declined_scopes),
                next_path=pending.next_path,
            )
            pending.delete()
    except IntegrityError:
        # Another restaurant connected the same page a moment ago (the partial unique index).
        raise ConnectError(
            held_message([known[pid]["name"] for pid in chosen]), reason="held"
        ) from None
    return result


def held_message(names: Any) -> str:
    listed = ", ".join(sorted(names))
    return (
        f"{listed} is already connected to another restaurant on Tablecast. A page can post "
        "for one restaurant at a time, so that messages and comments reach the right people. "
        "Ask the other restaurant to disconnect it, or contact us to move it. Nothing was saved."
    )


def held_elsewhere_message(*, tenant: Tenant, page_ids: list[str]) -> str:
    """The picker's check, run by its form and again by `connection_complete`: "" when no
    other restaurant holds any of these pages, else the sentence saying which."""
    held = selectors.pages_held_elsewhere(tenant=tenant, page_ids=page_ids)
    return held_message(held.values()) if held else ""


def _upsert(
    tenant: Tenant, kind: str, external_id: str, **values: Any
) -> tuple[SocialAccount, str]:
    """Create or update this tenant's account; returns it and its status before ("" if new)."""
    account = SocialAccount.objects.filter(
        tenant=tenant, kind=kind, external_id=external_id
    ).first()
    before = account.status if account is not None else ""
    if account is None:
        account = SocialAccount(tenant=tenant, kind=kind, external_id=external_id)
    for name, value in values.items():
        setattr(account, name, value)
    account.save()
    return account, before


def _store_accounts(
    *,
    pending: PendingConnection,
    verified: list[tuple[PageInfo, TokenInfo, bool]],
    user: Any,
) -> list[SocialAccount]:
    tenant = pending.tenant
    now = timezone.now()
    common = {
        "status": Status.ACTIVE,
        "facebook_user_id": pending.facebook_user_id,
        "last_checked_at": now,
        "last_error": "",
        "last_error_code": "",
        "broken_notified_at": None,
        "expiring_notified_at": None,
        "connected_by": user,
        "connected_at": now,
        "disconnected_at": None,
        "declined_scopes": list(pending.declined_scopes),
    }
    stored: list[SocialAccount] = []
    for page, info, subscribed in verified:
        granted = list(info.scopes) or list(pending.granted_scopes)
        account, before = _upsert(
            tenant,
            SocialAccount.Kind.FACEBOOK_PAGE,
            page.id,
            name=page.name,
            picture_url=page.picture_url,
            page_token=page.access_token,
            user_token=pending.user_token,
            user_token_expires_at=pending.user_token_expires_at,
            token_expires_at=from_unix(info.expires_at),
            data_access_expires_at=from_unix(info.data_access_expires_at),
            granted_scopes=granted,
            tasks=list(page.tasks),
            webhooks_subscribed=subscribed,
            linked_page=None,
            **common,
        )
        check_record(account, TokenCheck.Result.CONNECTED, before, "manual", "Connected.")
        stored.append(account)
        if page.instagram is not None:
            ig = page.instagram
            ig_account, before = _upsert(
                tenant,
                SocialAccount.Kind.INSTAGRAM,
                ig.id,
                name=ig.name or ig.username,
                username=ig.username,
                picture_url=ig.picture_url,
                linked_page=account,
                page_token="",
                user_token="",
                token_expires_at=account.token_expires_at,
                data_access_expires_at=account.data_access_expires_at,
                granted_scopes=granted,
                tasks=list(page.tasks),
                webhooks_subscribed=subscribed,
                **common,
            )
            check_record(
                ig_account,
                TokenCheck.Result.CONNECTED,
                before,
                "manual",
                f"Connected through {page.name}.",
            )
            stored.append(ig_account)
    return stored
