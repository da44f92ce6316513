"""Connecting, checking, refreshing and disconnecting Facebook Pages and Instagram accounts.

Writes and Graph calls live here (keyword-only ``<thing>_<action>`` functions); views and tasks
call one of them. All Graph traffic goes through `social.graph`.

Connect flow (RELIABILITY §1):
1. `oauth_start` stores an `OAuthState` (256-bit value, only its hash kept; bound to user,
   tenant and a per-session nonce; ten minutes; single use) and returns the dialog URL.
2. `oauth_callback` verifies the state *before* any token call, consumes it, handles a cancel,
   exchanges the code, gets the long-lived user token and the page list, and stores a
   `PendingConnection` (encrypted user token, pages without tokens) for the page picker.
3. `connection_complete` (the picker's submit) verifies each chosen page token really is a
   page token of that page, subscribes the page to webhooks and only then writes every row in
   one transaction, so a Graph failure half-way stores nothing.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from social.graph import GraphClient, GraphError, PermissionMissing, connect
from social.graph.connect import PageInfo, TokenInfo
from social.graph.errors import TOKEN_SUBCODE_WORDS
from social.models import (
    OAUTH_STATE_LIFETIME_SECONDS,
    DataDeletionRequest,
    OAuthState,
    PendingConnection,
    SocialAccount,
    TokenCheck,
)
from tenants.models import Membership, Tenant
from tenants.scoping import scopes_disabled, tenant_scope

logger = logging.getLogger(__name__)

SESSION_NONCE_KEY = "social_oauth_nonce"
PENDING_LIFETIME = timedelta(hours=1)
STATE_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
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


def callback_uri() -> str:
    """The one redirect_uri, built only from SITE_URL, never from the request (O6)."""
    return f"{settings.SITE_URL}/social/facebook/callback/"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _session_binding(session: SessionBase) -> str:
    nonce = session.get(SESSION_NONCE_KEY)
    if not nonce:
        nonce = secrets.token_urlsafe(32)
        session[SESSION_NONCE_KEY] = nonce
    return _sha256(nonce)


def safe_next_path(tenant: Tenant, next_path: str | None) -> str:
    """A ``next`` that stays on this site and inside this tenant, else "" (O7)."""
    if not next_path or "\\" in next_path or any(ord(c) < 32 for c in next_path):
        return ""
    if not url_has_allowed_host_and_scheme(next_path, allowed_hosts=None, require_https=False):
        return ""
    prefix = f"/t/{tenant.slug}/"
    return next_path if next_path.startswith(prefix) and not next_path.startswith("//") else ""


def _graph_failure(exc: GraphError, *, during: str) -> ConnectError:
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


# -- 1. start ---------------------------------------------------------------------------------
def oauth_start(
    *,
    tenant: Tenant,
    user: Any,
    session: SessionBase,
    purpose: str = OAuthState.Purpose.CONNECT,
    reconnect_account: SocialAccount | None = None,
    next_path: str = "",
) -> str:
    """Create a single-use state and return the Facebook dialog URL to redirect to."""
    state = secrets.token_urlsafe(32)  # 256 bits (O1: ≥ 128)
    verifier = connect.pkce_verifier() if settings.FACEBOOK_USE_PKCE else ""
    OAuthState.objects.create(
        tenant=tenant,
        state_hash=_sha256(state),
        user=user,
        session_binding=_session_binding(session),
        purpose=purpose,
        reconnect_account=reconnect_account,
        code_verifier=verifier,
        next_path=safe_next_path(tenant, next_path),
    )
    return connect.dialog_url(
        redirect_uri=callback_uri(),
        state=state,
        rerequest=purpose == OAuthState.Purpose.REREQUEST,
        code_challenge=connect.pkce_challenge(verifier) if verifier else None,
    )


# -- 2. callback ------------------------------------------------------------------------------
STATE_ERRORS = {
    "missing": "This link did not come from a Connect button we made (it has no state). Nothing was saved; start again from your accounts page.",
    "unknown": "We do not recognise this connection attempt. Nothing was saved; start again from your accounts page.",
    "session": "This connection was started in another browser session or by another user. Nothing was saved; start again from your accounts page.",
    "used": "This connection link was already used. Nothing more was saved; start again from your accounts page if something is missing.",
    "expired": "This connection attempt is more than ten minutes old. Nothing was saved; please start again.",
}


def _consume_state(*, state: str | None, user: Any, session: SessionBase) -> OAuthState:
    """Verify and consume the state: missing, malformed/tampered, unknown, another session or
    user, already used, or expired → `ConnectError`; nothing else happens (O2, O3)."""
    if not state:
        raise ConnectError(STATE_ERRORS["missing"], reason="missing")
    if len(state) != 43 or not set(state) <= STATE_ALPHABET:
        raise ConnectError(STATE_ERRORS["unknown"], reason="unknown")
    binding = _sha256(session.get(SESSION_NONCE_KEY) or secrets.token_urlsafe(32))
    with transaction.atomic(), scopes_disabled():
        # Unscoped on purpose: the tenant is what the state tells us.
        found = OAuthState.objects.select_for_update().filter(state_hash=_sha256(state)).first()
        if found is None:
            raise ConnectError(STATE_ERRORS["unknown"], reason="unknown")
        if found.user_id != getattr(user, "pk", None) or not secrets.compare_digest(
            found.session_binding, binding
        ):
            raise ConnectError(STATE_ERRORS["session"], reason="session")
        if found.used_at is not None:
            raise ConnectError(STATE_ERRORS["used"], reason="used")
        if timezone.now() > found.expires_at:
            raise ConnectError(STATE_ERRORS["expired"], reason="expired")
        found.used_at = timezone.now()
        found.save(update_fields=["used_at"])
    # The owner may have lost the owner role since starting.
    with scopes_disabled():
        still_owner = Membership.objects.filter(
            tenant_id=found.tenant_id, user=user, role=Membership.Role.OWNER
        ).first()
    if still_owner is None:
        raise ConnectError(STATE_ERRORS["session"], reason="session")
    return found


def _expiry(seconds: int | None) -> datetime | None:
    return timezone.now() + timedelta(seconds=seconds) if seconds else None


def _from_unix(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _page_summary(page: PageInfo) -> dict[str, Any]:
    ig = page.instagram
    return {
        "id": page.id,
        "name": page.name,
        "category": page.category,
        "picture_url": page.picture_url,
        "tasks": list(page.tasks),
        "instagram": (
            {"id": ig.id, "username": ig.username, "name": ig.name, "picture_url": ig.picture_url}
            if ig
            else None
        ),
    }


def oauth_callback(*, params: dict[str, str], user: Any, session: SessionBase) -> PendingConnection:
    """Handle Facebook's redirect. Returns the pending connection for the page picker."""
    state = _consume_state(state=params.get("state"), user=user, session=session)
    tenant = Tenant.objects.get(pk=state.tenant_id)
    try:
        return _callback_with_state(params=params, user=user, state=state, tenant=tenant)
    except ConnectError as exc:
        exc.tenant = tenant
        raise


def _callback_with_state(
    *, params: dict[str, str], user: Any, state: OAuthState, tenant: Tenant
) -> PendingConnection:
    if params.get("error"):
        if params.get("error") == "access_denied":
            raise ConnectCancelled(
                "You cancelled on Facebook, so nothing was connected. You can try again any time.",
                reason="cancelled",
            )
        raise ConnectError(
            "Facebook did not complete the connection. Nothing was saved; please try again.",
            reason="error",
        )
    code = (params.get("code") or "").removesuffix("#_=_")
    if not code:
        raise ConnectError(STATE_ERRORS["missing"], reason="no_code")
    client = GraphClient()
    try:
        short = connect.exchange_code(
            client,
            code=code,
            redirect_uri=callback_uri(),
            code_verifier=state.code_verifier or None,
        )
        long = connect.exchange_long_lived(client, user_token=short.access_token)
        me = connect.me(client, user_token=long.access_token)
        permissions = connect.permissions(client, user_token=long.access_token)
        pages = connect.list_pages(client, user_token=long.access_token)
    except GraphError as exc:
        raise _graph_failure(exc, during="callback") from None
    if not pages:
        raise ConnectError(
            "This Facebook account does not manage any Facebook Page we were allowed to see. "
            "Make sure you are an admin of your restaurant's Page and tick it on Facebook's "
            "screen (or create a Page first). Nothing was saved.",
            reason="no_pages",
        )
    with tenant_scope(tenant):
        return PendingConnection.objects.create(
            tenant=tenant,
            user=user,
            session_binding=state.session_binding,
            facebook_user_id=me["id"],
            facebook_user_name=me["name"],
            user_token=long.access_token,
            user_token_expires_at=_expiry(long.expires_in),
            pages=[_page_summary(p) for p in pages],
            granted_scopes=sorted(permissions.granted),
            declined_scopes=sorted(set(settings.FACEBOOK_SCOPES) - permissions.granted),
            reconnect_account=state.reconnect_account,
            next_path=state.next_path,
        )


def pending_for(
    *, tenant: Tenant, pending_id: Any, user: Any, session: SessionBase
) -> PendingConnection | None:
    """The owner's own, fresh pending connection in this tenant and session, or None."""
    pending = PendingConnection.objects.filter(
        tenant=tenant, pk=pending_id, user=user, created_at__gte=timezone.now() - PENDING_LIFETIME
    ).first()
    if pending is None or pending.session_binding != _session_binding(session):
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


# -- 3. picker submit -------------------------------------------------------------------------
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
    held = pages_held_elsewhere(tenant=tenant, page_ids=chosen)
    if held:
        raise ConnectError(held_message(held.values()), reason="held")
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
        raise _graph_failure(exc, during="page connect") from None
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
            token_expires_at=_from_unix(info.expires_at),
            data_access_expires_at=_from_unix(info.data_access_expires_at),
            granted_scopes=granted,
            tasks=list(page.tasks),
            webhooks_subscribed=subscribed,
            linked_page=None,
            **common,
        )
        _record(account, TokenCheck.Result.CONNECTED, before, "manual", "Connected.")
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
            _record(
                ig_account,
                TokenCheck.Result.CONNECTED,
                before,
                "manual",
                f"Connected through {page.name}.",
            )
            stored.append(ig_account)
    return stored


def _record(
    account: SocialAccount, result: str, before: str, trigger: str, detail: str, code: str = ""
) -> TokenCheck:
    return TokenCheck.objects.create(
        tenant_id=account.tenant_id,
        account=account,
        result=result,
        status_before=before,
        status_after=account.status,
        trigger=trigger,
        detail=detail[:500],
        error_code=code,
    )


def reconnect_target_page(*, pending: PendingConnection) -> str | None:
    """For a reconnect: the page id to reconnect, if this Facebook login can still reach it."""
    account = pending.reconnect_account
    if account is None:
        return None
    page = account if account.is_page else account.linked_page
    if page is None:
        return None
    return page.external_id if any(p["id"] == page.external_id for p in pending.pages) else None


# -- token health -----------------------------------------------------------------------------
EXPIRY_WARNING = timedelta(days=7)
STATUS_WORDS = {Status.NEEDS_RECONNECT: "needs reconnecting", Status.EXPIRING: "expires soon"}


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
            d for d in (_from_unix(info.expires_at), _from_unix(info.data_access_expires_at)) if d
        ]
        if any(d <= soon for d in ends):
            result, status = TokenCheck.Result.EXPIRING, Status.EXPIRING
            words = f"Facebook access ends on {min(ends):%d %b %Y}; reconnect before then."
        else:
            result, status, words = TokenCheck.Result.OK, Status.ACTIVE, "Healthy."
    if info.is_valid:
        page.granted_scopes = list(info.scopes)
        page.token_expires_at = _from_unix(info.expires_at)
        page.data_access_expires_at = _from_unix(info.data_access_expires_at)
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
    changed = f"Status {before} → {status}. " if before != status else ""
    check = _record(account, result, before, trigger, changed + words, code)
    if notify and status in (Status.NEEDS_RECONNECT, Status.EXPIRING):
        transaction.on_commit(lambda: account_notify(account=account))
    return check


def account_notify(*, account: SocialAccount) -> bool:
    """Email the restaurant's owners once per breakage (and once per expiry warning), with a
    one-click reconnect link. Returns whether an email went out."""
    field = (
        "broken_notified_at" if account.status == Status.NEEDS_RECONNECT else "expiring_notified_at"
    )
    if account.status not in STATUS_WORDS:
        return False
    tenant = Tenant.objects.get(pk=account.tenant_id)
    with tenant_scope(tenant), transaction.atomic():
        # Claim the notification under a row lock so parallel checks send one email.
        locked = SocialAccount.objects.select_for_update().filter(tenant=tenant).get(pk=account.pk)
        if getattr(locked, field) is not None or locked.status != account.status:
            return False
        setattr(locked, field, timezone.now())
        locked.save(update_fields=[field])
        instagram = (
            list(locked.instagram_accounts.filter(status=locked.status)) if locked.is_page else []
        )
    with scopes_disabled():
        owners = list(
            Membership.objects.filter(tenant=tenant, role=Membership.Role.OWNER).values_list(
                "user__email", flat=True
            )
        )
    recipients = [e for e in owners if e]
    if not recipients:
        return False
    context = {
        "tenant": tenant,
        "account": locked,
        "status_words": STATUS_WORDS[locked.status],
        "reconnect_url": settings.SITE_URL
        + reverse("social:reconnect", kwargs={"tenant_slug": tenant.slug, "account_id": locked.pk}),
        "instagram": instagram,
        "accounts_url": settings.SITE_URL
        + reverse("social:accounts", kwargs={"tenant_slug": tenant.slug}),
    }
    subject = f"{tenant.name}: {locked} {STATUS_WORDS[locked.status]}"
    send_mail(
        subject,
        render_to_string("social/email/connection_problem.txt", context),
        None,
        recipients,
    )
    return True


def account_refresh_user_token(*, account: SocialAccount, within: timedelta | None = None) -> bool:
    """Exchange a long-lived user token that ends within ``within`` for a fresh one, where
    Facebook allows it (an expired token cannot be exchanged: the check will flag it)."""
    within = within or timedelta(days=settings.SOCIAL_USER_TOKEN_REFRESH_DAYS)
    if not account.is_page or not account.user_token or account.status == Status.REVOKED:
        return False
    ends = account.user_token_expires_at
    if ends is None or ends > timezone.now() + within or ends <= timezone.now():
        return False
    fresh = connect.exchange_long_lived(GraphClient(), user_token=account.user_token)
    account.user_token = fresh.access_token
    account.user_token_expires_at = _expiry(fresh.expires_in)
    account.save()
    _record(
        account, TokenCheck.Result.REFRESHED, account.status, "scheduled", "Facebook login renewed."
    )
    return True


# -- disconnecting and Facebook's callbacks ---------------------------------------------------
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
        with scopes_disabled():
            others = (
                SocialAccount.objects.filter(
                    facebook_user_id=page.facebook_user_id,
                    kind=SocialAccount.Kind.FACEBOOK_PAGE,
                    status__in=SocialAccount.HOLDING_STATUSES,
                )
                .exclude(pk=page.pk)
                .count()
            )
        if not others and page.user_token:
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
    _record(
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


def facebook_user_data_delete(*, facebook_user_id: str) -> DataDeletionRequest:
    """Data-deletion callback: revoke, then forget the person (their id and tokens)."""
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
            facebook_user_hash=_sha256(facebook_user_id),
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


# -- operators moving accounts between restaurants (admin) ------------------------------------
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
        names = ", ".join(f"{a.name} (page: {a.linked_page.name})" for a in orphans)
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
            _record(
                account,
                TokenCheck.Result.DISCONNECTED,
                before,
                "admin",
                f"Moved from {source} to {target} by {who}; tokens deleted.",
            )
    return len(moving)
