"""The first two steps of connecting (docs/reliability.md §1, O1–O8); the third is
`social.services.connections`.

1. `oauth_start` stores an `OAuthState` (256-bit value, only its hash kept; bound to user,
   tenant and a per-session nonce; ten minutes; single use) and returns the dialog URL.
2. `oauth_callback` verifies the state *before* any token call, consumes it, handles a cancel,
   exchanges the code, gets the long-lived user token and the page list, and stores a
   `PendingConnection` (encrypted user token, pages without tokens) for the page picker; a
   reconnect whose page this login still reaches is completed at once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone

from social import selectors
from social.graph import GraphClient, GraphError, connect
from social.graph.connect import PageInfo
from social.models import SESSION_NONCE_KEY, OAuthState, PendingConnection, SocialAccount
from social.services.connections import (
    ConnectCancelled,
    ConnectError,
    ConnectResult,
    connection_complete,
    graph_failure,
)
from social.services.records import expiry_after
from tenants.models import Membership, Tenant
from tenants.redirects import safe_next_path
from tenants.scoping import scopes_disabled, tenant_scope

logger = logging.getLogger(__name__)

STATE_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


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


STATE_ERRORS = {
    "missing": "This link did not come from a Connect button in Tablecast. Nothing was saved; start again from your accounts page.",
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


@dataclass
class CallbackResult:
    """What the callback did. Either ``connected`` (a reconnect completed at once), or the
    ``pending`` connection for the page picker, with a ``message`` (error or warning) to show."""

    tenant: Tenant
    pending: PendingConnection | None = None
    connected: ConnectResult | None = None
    message: str = ""
    message_is_error: bool = False


def oauth_callback(*, params: dict[str, str], user: Any, session: SessionBase) -> CallbackResult:
    """Handle Facebook's redirect. Raises `ConnectError` (with ``tenant`` set once the state
    told us whose attempt it was) when nothing was stored."""
    state = _consume_state(state=params.get("state"), user=user, session=session)
    tenant = Tenant.objects.get(pk=state.tenant_id)
    try:
        pending = _callback_with_state(params=params, user=user, state=state, tenant=tenant)
    except ConnectError as exc:
        exc.tenant = tenant
        raise
    with tenant_scope(tenant):
        target = selectors.reconnect_target_page(pending=pending)
        if target is not None:
            try:
                connected = connection_complete(pending=pending, page_ids=[target], user=user)
            except ConnectError as exc:
                logger.info("facebook connect ended without a connection: %s", exc.reason)
                return CallbackResult(
                    tenant, pending=pending, message=exc.message, message_is_error=True
                )
            return CallbackResult(tenant, connected=connected)
        if pending.reconnect_account is not None:
            return CallbackResult(
                tenant,
                pending=pending,
                message=(
                    f"The Facebook account you used does not manage "
                    f"{pending.reconnect_account.name}. Pick the pages it does manage, or go back "
                    "and log in to Facebook as the page's admin."
                ),
            )
    return CallbackResult(tenant, pending=pending)


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
        raise graph_failure(exc, during="callback") from None
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
            user_token_expires_at=expiry_after(long.expires_in),
            pages=[_page_summary(p) for p in pages],
            granted_scopes=sorted(permissions.granted),
            declined_scopes=sorted(set(settings.FACEBOOK_SCOPES) - permissions.granted),
            reconnect_account=state.reconnect_account,
            next_path=state.next_path,
        )
