"""An account's end: an owner disconnects it, or Facebook tells us (deauthorize, data deletion);
and the hourly purge of abandoned connect attempts."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from social import selectors
from social.graph import GraphClient, GraphError, connect
from social.models import (
    OAUTH_STATE_LIFETIME_SECONDS,
    PENDING_LIFETIME,
    DataDeletionRequest,
    OAuthState,
    PendingConnection,
    SocialAccount,
    TokenCheck,
)
from social.services.records import check_record
from tenants.scoping import scopes_disabled, tenant_scope

logger = logging.getLogger(__name__)
Status = SocialAccount.Status


def account_disconnect(
    *, account: SocialAccount, user: Any = None, trigger: str = "manual"
) -> None:
    """Stop using an account: unsubscribe the page and, when no other connection still needs
    the Facebook login, remove the app from it (best effort); delete the tokens; keep history."""
    page = account if account.is_page else None
    if page is not None and page.page_token:
        client = GraphClient()
        try:
            connect.unsubscribe_page(client, page_id=page.external_id, page_token=page.page_token)
        except GraphError as exc:
            logger.info("disconnect: unsubscribe failed: %s", exc.describe())
        if not selectors.pages_sharing_login(page=page) and page.user_token:
            try:
                connect.revoke_login(client, user_token=page.user_token)
            except GraphError as exc:
                logger.info("disconnect: revoking the login failed: %s", exc.describe())
    with transaction.atomic():
        targets = [account]
        if page is not None:
            targets += list(page.instagram_accounts.exclude(status=Status.REVOKED))
        who = getattr(user, "email", "") or "an owner"
        for target in targets:
            _mark_revoked(target, trigger=trigger, words=f"Disconnected by {who}.")


def _mark_revoked(account: SocialAccount, *, trigger: str, words: str) -> None:
    before = account.status
    account.status = Status.REVOKED
    account.page_token = ""
    account.user_token = ""
    account.webhooks_subscribed = False
    account.disconnected_at = timezone.now()
    account.last_error = words[:500]
    account.save()
    check_record(
        account,
        TokenCheck.Result.DISCONNECTED if trigger == "manual" else TokenCheck.Result.REVOKED,
        before,
        trigger,
        words,
    )


def facebook_user_deauthorize(*, facebook_user_id: str) -> int:
    """Deauthorize callback: that person removed the app; their connections are revoked."""
    count = 0
    with scopes_disabled():
        accounts = list(
            SocialAccount.objects.filter(facebook_user_id=facebook_user_id).exclude(
                status=Status.REVOKED
            )
        )
    for account in accounts:
        with tenant_scope(account.tenant), transaction.atomic():
            _mark_revoked(
                account,
                trigger="deauthorize",
                words="The person who connected it removed Tablecast from their Facebook account.",
            )
            count += 1
            for ig in account.instagram_accounts.exclude(status=Status.REVOKED):
                _mark_revoked(
                    ig, trigger="deauthorize", words="Its Facebook Page was disconnected."
                )
                count += 1
    return count


def data_deletion_request_hash(*, facebook_user_id: str, issued_at: int) -> str:
    return hashlib.sha256(f"{facebook_user_id}:{issued_at}".encode()).hexdigest()


def facebook_user_data_delete(*, facebook_user_id: str, issued_at: int) -> DataDeletionRequest:
    """Data-deletion callback: revoke, then forget the person (their id and tokens).

    The same signed request sent again (same user and issued_at) gets the row, and so the
    confirmation code, of the first one; nothing is done or stored twice."""
    request_hash = data_deletion_request_hash(
        facebook_user_id=facebook_user_id, issued_at=issued_at
    )
    earlier = DataDeletionRequest.objects.filter(request_hash=request_hash).first()
    if earlier is not None:
        return earlier
    try:
        return _data_delete(facebook_user_id=facebook_user_id, request_hash=request_hash)
    except IntegrityError:  # the same request, handled a moment ago by another process
        return DataDeletionRequest.objects.get(request_hash=request_hash)


def _data_delete(*, facebook_user_id: str, request_hash: str) -> DataDeletionRequest:
    affected = facebook_user_deauthorize(facebook_user_id=facebook_user_id)
    with scopes_disabled(), transaction.atomic():
        rows = list(SocialAccount.objects.filter(facebook_user_id=facebook_user_id))
        for account in rows:
            account.facebook_user_id = ""
            account.user_token = ""
            account.page_token = ""
            account.save()
        PendingConnection.objects.filter(facebook_user_id=facebook_user_id).delete()
        return DataDeletionRequest.objects.create(
            confirmation_code=secrets.token_hex(16),
            facebook_user_hash=hashlib.sha256(facebook_user_id.encode()).hexdigest(),
            request_hash=request_hash,
            status=DataDeletionRequest.Status.COMPLETED,
            accounts_affected=max(affected, len(rows)),
            completed_at=timezone.now(),
        )


def oauth_states_purge(*, now: datetime | None = None) -> int:
    """Delete OAuth states past their ten minutes and abandoned pending connections."""
    now = now or timezone.now()
    with scopes_disabled():
        states, _ = OAuthState.objects.filter(
            created_at__lt=now - timedelta(seconds=OAUTH_STATE_LIFETIME_SECONDS)
        ).delete()
        pending, _ = PendingConnection.objects.filter(
            created_at__lt=now - PENDING_LIFETIME
        ).delete()
    return states + pending
