"""Connecting a restaurant (graph-api.md §1, §2, §4, §8): the Login dialog, code exchange,
long-lived user tokens, the pages a user granted, ``debug_token``, permissions, revoking the
login, and subscribing a page to webhooks. Functions over a `GraphClient`; no ORM."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from lib.logging import mask_secrets
from social.graph.errors import UnknownGraphError
from social.graph.transport import GraphClient, int_or_none


# -- results --------------------------------------------------------------------------------
@dataclass(frozen=True)
class UserToken:
    access_token: str = field(repr=False)
    expires_in: int | None  # seconds; None when Facebook does not say

    def __repr__(self) -> str:  # never show the token
        return f"UserToken(expires_in={self.expires_in})"


@dataclass(frozen=True)
class InstagramInfo:
    id: str
    username: str = ""
    name: str = ""
    picture_url: str = ""


@dataclass(frozen=True)
class PageInfo:
    id: str
    name: str
    access_token: str = field(repr=False)
    tasks: tuple[str, ...] = ()
    category: str = ""
    picture_url: str = ""
    instagram: InstagramInfo | None = None


@dataclass(frozen=True)
class TokenInfo:
    """debug_token's answer (§2)."""

    is_valid: bool
    type: str = ""
    app_id: str = ""
    user_id: str = ""
    profile_id: str = ""
    scopes: tuple[str, ...] = ()
    granular_scopes: tuple[dict[str, Any], ...] = ()
    expires_at: int | None = None  # unix; None = never
    data_access_expires_at: int | None = None
    error_code: int | None = None
    error_subcode: int | None = None
    error_message: str = ""

    def targets(self, scope: str) -> set[str] | None:
        """Ids a granular scope applies to; None when it applies to everything."""
        for entry in self.granular_scopes:
            if entry.get("scope") == scope:
                ids = entry.get("target_ids")
                return set(map(str, ids)) if ids is not None else None
        return set()


@dataclass(frozen=True)
class Permissions:
    granted: frozenset[str]
    declined: frozenset[str]


def pkce_verifier() -> str:
    """RFC 7636 §4.1: 43–128 characters; 32 random bytes give 43."""
    return secrets.token_urlsafe(32)


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 §4.2 S256 (the only method we use): BASE64URL(SHA256(verifier)), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def dialog_url(
    *,
    redirect_uri: str,
    state: str,
    scopes: Iterable[str] | None = None,
    rerequest: bool = False,
    code_challenge: str | None = None,
) -> str:
    """The Facebook Login dialog (§1). ``rerequest`` re-asks declined permissions."""
    params: dict[str, str] = {
        "client_id": settings.FACEBOOK_APP_ID,
        "redirect_uri": redirect_uri,
        "state": state,
        "response_type": "code",
        "scope": ",".join(scopes if scopes is not None else settings.FACEBOOK_SCOPES),
    }
    if rerequest:
        params["auth_type"] = "rerequest"
    if code_challenge:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    base = settings.FACEBOOK_DIALOG_URL.rstrip("/")
    return f"{base}/{settings.FACEBOOK_GRAPH_VERSION}/dialog/oauth?{urlencode(params)}"


# -- login and tokens (§2) --------------------------------------------------------------
def exchange_code(
    client: GraphClient, *, code: str, redirect_uri: str, code_verifier: str | None = None
) -> UserToken:
    """Code → short-lived user token. Sent as a POST form so secrets stay out of URLs."""
    data = {
        "client_id": client.app_id,
        "client_secret": client.app_secret,
        "redirect_uri": redirect_uri,
        "code": code,
    }
    if code_verifier:
        data["code_verifier"] = code_verifier
    return _user_token(client.request("POST", "oauth/access_token", data=data))


def exchange_long_lived(client: GraphClient, *, user_token: str) -> UserToken:
    """Short-lived (or aging long-lived) user token → a fresh ~60-day one (§2 LL)."""
    data = {
        "grant_type": "fb_exchange_token",
        "client_id": client.app_id,
        "client_secret": client.app_secret,
        "fb_exchange_token": user_token,
    }
    return _user_token(client.request("POST", "oauth/access_token", data=data))


def me(client: GraphClient, *, user_token: str) -> dict[str, str]:
    body = client.request("GET", "me", token=user_token, params={"fields": "id,name"})
    return {"id": str(body.get("id", "")), "name": str(body.get("name", ""))}


def list_pages(client: GraphClient, *, user_token: str) -> list[PageInfo]:
    """Every Page the user granted, Business-portfolio ones included, with linked IG (§2, §4)."""
    fields = (
        "id,name,access_token,tasks,category,picture{url},"
        "instagram_business_account{id,username,name,profile_picture_url}"
    )
    items = client.paged("me/accounts", token=user_token, params={"fields": fields, "limit": 25})
    return [_page_info(item) for item in items if item.get("id") and item.get("access_token")]


def debug_token(client: GraphClient, *, input_token: str) -> TokenInfo:
    """§2 debug_token, called with the app token. Invalid tokens come back as data with
    ``is_valid: false`` and an ``error`` (not as an HTTP error)."""
    body = client.request(
        "GET", "debug_token", token=client.app_token, params={"input_token": input_token}
    )
    data = body.get("data") or {}
    error = data.get("error") or {}
    return TokenInfo(
        is_valid=bool(data.get("is_valid")),
        type=str(data.get("type", "")),
        app_id=str(data.get("app_id", "")),
        user_id=str(data.get("user_id", "") or ""),
        profile_id=str(data.get("profile_id", "") or ""),
        scopes=tuple(data.get("scopes") or ()),
        granular_scopes=tuple(g for g in data.get("granular_scopes") or () if isinstance(g, dict)),
        expires_at=int_or_none(data.get("expires_at")) or None,
        data_access_expires_at=int_or_none(data.get("data_access_expires_at")) or None,
        error_code=int_or_none(error.get("code")),
        error_subcode=int_or_none(error.get("subcode")),
        error_message=mask_secrets(str(error.get("message", ""))),
    )


def permissions(client: GraphClient, *, user_token: str) -> Permissions:
    body = client.request("GET", "me/permissions", token=user_token)
    granted, declined = set(), set()
    for entry in body.get("data") or []:
        name, status = entry.get("permission"), entry.get("status")
        if status == "granted":
            granted.add(name)
        elif status in ("declined", "expired"):
            declined.add(name)
    return Permissions(frozenset(granted), frozenset(declined))


def revoke_login(client: GraphClient, *, user_token: str) -> None:
    """DELETE /me/permissions: remove the app from the user's account."""
    client.request("DELETE", "me/permissions", token=user_token)


# -- webhooks subscription (§8) ---------------------------------------------------------
def subscribe_page(
    client: GraphClient,
    *,
    page_id: str,
    page_token: str,
    fields: Iterable[str] = ("feed", "messages", "message_echoes", "messaging_postbacks"),
) -> bool:
    """Subscribe the app to the Page's webhooks (docs/graph-api.md §8). Echoes bring the replies
    the restaurant types in Facebook's own inbox into ours (our own sends dedupe by ``mid``)."""
    body = client.request(
        "POST",
        f"{page_id}/subscribed_apps",
        token=page_token,
        data={"subscribed_fields": ",".join(fields)},
    )
    return bool(body.get("success"))


def unsubscribe_page(client: GraphClient, *, page_id: str, page_token: str) -> bool:
    body = client.request("DELETE", f"{page_id}/subscribed_apps", token=page_token)
    return bool(body.get("success"))


def _user_token(body: dict[str, Any]) -> UserToken:
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise UnknownGraphError("the token answer had no access_token")
    return UserToken(access_token=token, expires_in=int_or_none(body.get("expires_in")))


def _picture_url(value: Any) -> str:
    if isinstance(value, dict):
        data = value.get("data")
        if isinstance(data, dict):
            return str(data.get("url", ""))
    return str(value) if isinstance(value, str) else ""


def _instagram_info(value: Any) -> InstagramInfo | None:
    if not isinstance(value, dict) or not value.get("id"):
        return None
    return InstagramInfo(
        id=str(value["id"]),
        username=str(value.get("username", "")),
        name=str(value.get("name", "")),
        picture_url=str(value.get("profile_picture_url", "")),
    )


def _page_info(item: dict[str, Any]) -> PageInfo:
    return PageInfo(
        id=str(item["id"]),
        name=str(item.get("name", "")),
        access_token=str(item["access_token"]),
        tasks=tuple(item.get("tasks") or ()),
        category=str(item.get("category", "")),
        picture_url=_picture_url(item.get("picture")),
        instagram=_instagram_info(item.get("instagram_business_account")),
    )
