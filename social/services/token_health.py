"""Token health: checking a page's token and applying the verdict to the page and its Instagram
accounts, and renewing long-lived user tokens before they end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from social.graph import GraphClient, connect
from social.graph.errors import TOKEN_SUBCODE_WORDS
from social.models import SocialAccount, TokenCheck
from social.services.owner_emails import account_notify
from social.services.records import check_record, expiry_after, from_unix

Status = SocialAccount.Status


EXPIRY_WARNING = timedelta(days=7)


def account_check(*, account: SocialAccount, trigger: str = "scheduled") -> TokenCheck:
    """Check a page's token (debug_token + permissions) and apply the result to the page and
    its Instagram accounts. Retryable Graph errors propagate (the task retries; the view says
    "try again"); everything else becomes a status."""
    page = account if account.is_page else account.linked_page
    if page is None or not page.page_token:
        return _apply_check(
            account,
            result=TokenCheck.Result.BROKEN,
            status=Status.NEEDS_RECONNECT,
            words="The Facebook Page this account is linked to is no longer connected.",
            trigger=trigger,
        )
    client = GraphClient()
    info = connect.debug_token(client, input_token=page.page_token)
    targets = info.targets("pages_show_list") if info.is_valid else set()
    if not info.is_valid:
        words = TOKEN_SUBCODE_WORDS.get(
            info.error_subcode or 0, "Facebook no longer accepts this connection."
        )
        code = f"{info.error_code}/{info.error_subcode}" if info.error_code else "invalid"
        result, status = TokenCheck.Result.BROKEN, Status.NEEDS_RECONNECT
    elif info.type != "PAGE" or info.profile_id != page.external_id:
        words, code = "The stored token is not a token for this page.", "not_page_token"
        result, status = TokenCheck.Result.BROKEN, Status.NEEDS_RECONNECT
    elif targets is not None and page.external_id not in targets:
        words, code = "Tablecast's access to this page was removed on Facebook.", "page_not_granted"
        result, status = TokenCheck.Result.BROKEN, Status.NEEDS_RECONNECT
    else:
        code = ""
        soon = timezone.now() + EXPIRY_WARNING
        ends = [
            d for d in (from_unix(info.expires_at), from_unix(info.data_access_expires_at)) if d
        ]
        if any(d <= soon for d in ends):
            result, status = TokenCheck.Result.EXPIRING, Status.EXPIRING
            words = f"Facebook access ends on {min(ends):%d %b %Y}; reconnect before then."
        else:
            result, status, words = TokenCheck.Result.OK, Status.ACTIVE, "The connection works."
    if info.is_valid:
        page.granted_scopes = list(info.scopes)
        page.token_expires_at = from_unix(info.expires_at)
        page.data_access_expires_at = from_unix(info.data_access_expires_at)
    checks = [
        _apply_check(page, result=result, status=status, words=words, trigger=trigger, code=code)
    ]
    for ig in page.instagram_accounts.filter(status__in=SocialAccount.HOLDING_STATUSES):
        ig.granted_scopes = page.granted_scopes
        ig.token_expires_at, ig.data_access_expires_at = (
            page.token_expires_at,
            page.data_access_expires_at,
        )
        # One breakage, one email: the page's email names its Instagram accounts.
        checks.append(
            _apply_check(
                ig,
                result=result,
                status=status,
                words=words,
                trigger=trigger,
                code=code,
                notify=False,
            )
        )
    return next(c for c in checks if c.account_id == account.pk)


def account_mark_broken(*, account: SocialAccount, words: str, code: str, trigger: str) -> None:
    """A Graph call found the account's token dead (code 190): mark its Page and the Instagram
    accounts that use the Page's token as needing reconnecting, the way a failed check does
    (history row, one owner email with the reconnect link)."""
    page = account if account.is_page else (account.linked_page or account)
    broken: dict[str, Any] = {"result": TokenCheck.Result.BROKEN, "status": Status.NEEDS_RECONNECT}
    _apply_check(page, words=words, trigger=trigger, code=code, **broken)
    if page.is_page:
        for ig in page.instagram_accounts.filter(status__in=SocialAccount.HOLDING_STATUSES):
            _apply_check(ig, words=words, trigger=trigger, code=code, notify=False, **broken)


def _apply_check(
    account: SocialAccount,
    *,
    result: str,
    status: str,
    words: str,
    trigger: str,
    code: str = "",
    notify: bool = True,
) -> TokenCheck:
    before = account.status
    if before == Status.REVOKED:
        status = Status.REVOKED  # a disconnected account stays disconnected
    account.status = status
    account.last_checked_at = timezone.now()
    account.last_error = "" if status == Status.ACTIVE else words[:500]
    account.last_error_code = code
    if status == Status.ACTIVE:
        account.broken_notified_at = None
        account.expiring_notified_at = None
    account.save()
    changed = status_change_sentence(before, status)
    check = check_record(account, result, before, trigger, changed + words, code)
    if notify and status in (Status.NEEDS_RECONNECT, Status.EXPIRING):
        transaction.on_commit(lambda: account_notify(account=account))
    return check


def account_refresh_user_token(*, account: SocialAccount, within: timedelta | None = None) -> bool:
    """Exchange a long-lived user token that ends within ``within`` for a fresh one, where
    Facebook allows it (an expired token cannot be exchanged: the check will flag it).

    Concurrent refreshes make one exchange (docs/reliability.md §4, J8): the rows of this
    restaurant that came through the same Facebook login are locked (in id order, so two
    refreshes never deadlock) and the expiry is read again under the lock; a caller that waited
    finds the fresh token and returns without calling Facebook. Every row holding the same
    token gets the new one, so pages picked in one login never race each other's refresh."""
    within = within or timedelta(days=settings.SOCIAL_USER_TOKEN_REFRESH_DAYS)
    if not _user_token_due(account, within):
        return False
    with transaction.atomic():
        login = SocialAccount.objects.filter(tenant_id=account.tenant_id, kind=account.kind)
        if account.facebook_user_id:
            login = login.filter(facebook_user_id=account.facebook_user_id)
        else:
            login = login.filter(pk=account.pk)
        rows = list(login.select_for_update().order_by("pk"))
        locked = next((row for row in rows if row.pk == account.pk), None)
        if locked is None or not _user_token_due(locked, within):
            return False  # gone, or another refresh renewed it while this one waited
        old = locked.user_token
        fresh = connect.exchange_long_lived(GraphClient(), user_token=old)
        expires_at = expiry_after(fresh.expires_in)
        for row in rows:
            if row.user_token != old or row.status == Status.REVOKED:
                continue
            row.user_token, row.user_token_expires_at = fresh.access_token, expires_at
            row.save(update_fields=["user_token", "user_token_expires_at", "updated_at"])
            check_record(
                row, TokenCheck.Result.REFRESHED, row.status, "scheduled", "Facebook login renewed."
            )
    account.user_token, account.user_token_expires_at = fresh.access_token, expires_at
    return True


def _user_token_due(account: SocialAccount, within: timedelta) -> bool:
    """A page's user token that ends within ``within`` and has not ended yet."""
    if not account.is_page or not account.user_token or account.status == Status.REVOKED:
        return False
    ends, now = account.user_token_expires_at, timezone.now()
    return ends is not None and now < ends <= now + within


def status_change_sentence(before: str, after: str) -> str:
    """ "The status changed from active to needs reconnecting. " in the words the accounts page
    shows for each status (never the stored codes); "" when nothing changed or it is new."""
    if not before or before == after:
        return ""
    return (
        f"The status changed from {Status(before).label.lower()} to {Status(after).label.lower()}. "
    )
