"""The only code that talks to Facebook (design invariant 7).

Plain values in (tokens, ids), typed results out; no ORM. Every call:

- goes through one `requests.Session` with connect/read timeouts from settings;
- uses the pinned version ``settings.FACEBOOK_GRAPH_VERSION``;
- sends the token in the ``Authorization`` header (or a POST body), never in our logs, and
  always with ``appsecret_proof`` (graph-api.md §2 SEC);
- turns Facebook's error envelope (§6) into the small hierarchy below, whose messages never
  contain a token (exceptions are raised ``from None`` so no URL-bearing cause is chained);
- records the usage headers (§7) in ``GraphClient.last_usage`` so callers can budget.

The one documented exception to "no token in a URL" is ``debug_token``'s ``input_token``,
which Meta only reads from the query string; the request goes only to Facebook over TLS and
urllib3's debug log line is masked below.

Reference: developers.facebook.com/docs/graph-api (see /work/shared/graph-api.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from django.conf import settings

from lib.logging import SecretMaskingFilter, mask_secrets

logger = logging.getLogger(__name__)
# urllib3 logs request lines (with query strings) at DEBUG; mask them at the source logger so
# no handler, test capture included, ever sees debug_token's input_token.
logging.getLogger("urllib3.connectionpool").addFilter(SecretMaskingFilter())

# graph-api.md §6: which codes mean what.
TOKEN_CODES = {102, 190, 2500}
PERMISSION_CODES = {3, 10} | set(range(200, 300))
RATE_LIMIT_CODES = {4, 17, 32, 341, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008}
TRANSIENT_CODES = {1, 2, -1, -2}
TRANSIENT_SUBCODES = {2207008}
DEFAULT_RETRY_AFTER = 300  # seconds, when Facebook gives no estimate

# graph-api.md §6 code 190 subcodes, in words an owner understands.
TOKEN_SUBCODE_WORDS = {
    458: "Tablecast was removed from the Facebook account that connected this page.",
    459: "Facebook has locked the account that connected this page (a security checkpoint).",
    460: "The password of the Facebook account that connected this page was changed.",
    463: "The Facebook login that connected this page has expired.",
    464: "The Facebook account that connected this page is not confirmed yet.",
    467: "Facebook no longer accepts this connection.",
    492: "The person who connected this page is no longer an admin of it.",
}


# -- errors ---------------------------------------------------------------------------------
class GraphError(Exception):
    """A failed Graph call. ``retryable`` says whether trying again later can help."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        error_type: str = "",
        fbtrace_id: str = "",
        http_status: int | None = None,
        usage: Usage | None = None,
    ) -> None:
        self.message = mask_secrets(message or "")
        self.code = code
        self.subcode = subcode
        self.error_type = error_type
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.usage = usage or Usage()
        super().__init__(self.describe())

    def describe(self) -> str:
        """For operators: the raw code and Facebook's message (token-free)."""
        codes = f"code {self.code}" if self.code is not None else "no code"
        if self.subcode:
            codes += f"/{self.subcode}"
        return f"{type(self).__name__} ({codes}): {self.message}"

    @property
    def user_message(self) -> str:
        """For restaurant owners: what happened, in plain words."""
        return "Facebook returned an error we did not expect. Please try again later."


class TokenInvalid(GraphError):
    """Code 190/102: the token is expired, revoked or otherwise dead; the owner must reconnect."""

    @property
    def user_message(self) -> str:
        return TOKEN_SUBCODE_WORDS.get(
            self.subcode or 0, "Facebook no longer accepts this connection; please reconnect."
        )


class PermissionMissing(GraphError):
    """Codes 3, 10, 200–299: a permission is missing or was removed."""

    @property
    def user_message(self) -> str:
        return "A permission Tablecast needs was not granted on Facebook."


class RateLimited(GraphError):
    """Codes 4, 17, 32, 613, 80001…: too many calls; try again after ``retry_after`` seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: int = DEFAULT_RETRY_AFTER, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)

    @property
    def user_message(self) -> str:
        minutes = max(1, round(self.retry_after / 60))
        return f"Facebook is busy right now. Please try again in about {minutes} minutes."


class TransientError(GraphError):
    """Codes 1, 2, HTTP 5xx, connection errors, malformed answers: retry with backoff."""

    retryable = True

    @property
    def user_message(self) -> str:
        return "Facebook is not answering properly right now. Please try again in a minute."


class GraphTimeout(TransientError):
    """No answer in time. The call may still have taken effect at Facebook."""

    @property
    def user_message(self) -> str:
        return "Facebook took too long to answer. Please try again in a minute."


class InvalidParameter(GraphError):
    """Code 100: a bad id, a used or expired code, a bad schedule time, …"""


class DuplicatePost(GraphError):
    """Code 506: the same message was just posted."""


class UnknownGraphError(GraphError):
    """Anything else (e.g. 368 policy blocks): not retried automatically."""


class SignedRequestInvalid(ValueError):
    """A deauthorize / data-deletion ``signed_request`` that fails verification."""


# -- usage headers (§7) ---------------------------------------------------------------------
@dataclass(frozen=True)
class Usage:
    """The rate-limit headers of one response (absence is normal: all empty)."""

    app: dict[str, Any] = field(default_factory=dict)
    business: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_headers(cls, headers: Any) -> Usage:
        return cls(
            app=_json_header(headers, "X-App-Usage"),
            business=_json_header(headers, "X-Business-Use-Case-Usage"),
            page=_json_header(headers, "X-Page-Usage"),
        )

    @property
    def max_percent(self) -> int:
        """The highest usage percentage in any header (throttling starts at 100)."""
        values = [v for v in (*self.app.values(), *self.page.values()) if isinstance(v, int)]
        for entries in self.business.values():
            for entry in entries if isinstance(entries, list) else []:
                values += [
                    entry.get(k, 0)
                    for k in ("call_count", "total_cputime", "total_time")
                    if isinstance(entry.get(k, 0), int)
                ]
        return max(values, default=0)

    @property
    def regain_seconds(self) -> int:
        """``estimated_time_to_regain_access`` (minutes in the header), in seconds."""
        minutes = [
            entry.get("estimated_time_to_regain_access", 0)
            for entries in self.business.values()
            for entry in (entries if isinstance(entries, list) else [])
            if isinstance(entry.get("estimated_time_to_regain_access", 0), int)
        ]
        return max(minutes, default=0) * 60


def _json_header(headers: Any, name: str) -> dict[str, Any]:
    raw = headers.get(name) if headers is not None else None
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


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


# -- pure helpers ---------------------------------------------------------------------------
def appsecret_proof(app_secret: str, access_token: str) -> str:
    """hex(HMAC-SHA256(key=app_secret, msg=access_token)) (§2)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def pkce_verifier() -> str:
    """RFC 7636 §4.1: 43–128 characters; 32 random bytes give 43."""
    return secrets.token_urlsafe(32)


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 §4.2 S256 (the only method we use): BASE64URL(SHA256(verifier)), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def parse_signed_request(signed_request: str, *, app_secret: str | None = None) -> dict[str, Any]:
    """Verify and decode a deauthorize / data-deletion ``signed_request`` (§10).

    ``base64url(sig) "." base64url(payload)``, sig = HMAC-SHA256(app_secret, payload segment as
    received); unpadded base64url; constant-time compare; algorithm must be HMAC-SHA256."""
    secret = app_secret if app_secret is not None else settings.FACEBOOK_APP_SECRET
    if not isinstance(signed_request, str) or signed_request.count(".") != 1:
        raise SignedRequestInvalid("signed_request is not two dot-separated parts")
    sig_part, payload_part = signed_request.split(".")
    try:
        signature = _b64url_decode(sig_part)
        payload = json.loads(_b64url_decode(payload_part))
    except (ValueError, TypeError):
        raise SignedRequestInvalid("signed_request is not valid base64url JSON") from None
    expected = hmac.new(secret.encode(), payload_part.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise SignedRequestInvalid("signed_request signature does not match")
    if not isinstance(payload, dict) or str(payload.get("algorithm", "")).upper() != "HMAC-SHA256":
        raise SignedRequestInvalid("signed_request uses an unexpected algorithm")
    if not payload.get("user_id"):
        raise SignedRequestInvalid("signed_request has no user_id")
    return payload


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


def classify(body: Any, *, http_status: int | None, usage: Usage) -> GraphError:
    """Map Facebook's error envelope (§6) to our hierarchy; branch on code, not HTTP status."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if http_status is not None and http_status >= 500:
            return TransientError(
                f"HTTP {http_status} without an error body", http_status=http_status, usage=usage
            )
        return UnknownGraphError(
            f"HTTP {http_status} without an error body", http_status=http_status, usage=usage
        )
    code = _int_or_none(error.get("code"))
    subcode = _int_or_none(error.get("error_subcode"))
    kw: dict[str, Any] = {
        "code": code,
        "subcode": subcode,
        "error_type": str(error.get("type", "")),
        "fbtrace_id": str(error.get("fbtrace_id", "")),
        "http_status": http_status,
        "usage": usage,
    }
    message = str(error.get("message", ""))
    if code in TOKEN_CODES:
        return TokenInvalid(message, **kw)
    if code in RATE_LIMIT_CODES:
        return RateLimited(message, retry_after=usage.regain_seconds or DEFAULT_RETRY_AFTER, **kw)
    if (
        error.get("is_transient") is True
        or code in TRANSIENT_CODES
        or subcode in TRANSIENT_SUBCODES
    ):
        return TransientError(message, **kw)
    if code in PERMISSION_CODES:
        return PermissionMissing(message, **kw)
    if code == 100:
        return InvalidParameter(message, **kw)
    if code == 506:
        return DuplicatePost(message, **kw)
    if http_status is not None and http_status >= 500:
        return TransientError(message, **kw)
    return UnknownGraphError(message, **kw)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- the client -----------------------------------------------------------------------------
_session: requests.Session | None = None


def _shared_session() -> requests.Session:
    global _session
    if _session is None:
        _session = requests.Session()
        _session.headers["User-Agent"] = "Tablecast/1.0"
    return _session


class GraphClient:
    """One configured client; settings are read when it is created (tests override them)."""

    def __init__(self, *, session: requests.Session | None = None) -> None:
        self.base_url = settings.FACEBOOK_GRAPH_URL.rstrip("/")
        self.version = settings.FACEBOOK_GRAPH_VERSION
        self.app_id = settings.FACEBOOK_APP_ID
        self.app_secret = settings.FACEBOOK_APP_SECRET
        self.timeout = (settings.GRAPH_CONNECT_TIMEOUT, settings.GRAPH_READ_TIMEOUT)
        self.session = session or _shared_session()
        self.last_usage = Usage()

    @property
    def app_token(self) -> str:
        return f"{self.app_id}|{self.app_secret}"

    # -- transport ------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One Graph call. ``params`` go in the query string, ``data`` in a form body; the
        token goes in the Authorization header with its appsecret_proof in the query."""
        query = dict(params or {})
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
            query["appsecret_proof"] = appsecret_proof(self.app_secret, token)
        url = f"{self.base_url}/{self.version}/{path.lstrip('/')}"
        try:
            response = self.session.request(
                method, url, params=query, data=data, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise GraphTimeout(f"{method} /{path.split('?')[0]} timed out") from None
        except requests.RequestException as exc:
            raise TransientError(f"{method} /{path} failed: {type(exc).__name__}") from None
        usage = Usage.from_headers(response.headers)
        self.last_usage = usage
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise classify(body, http_status=response.status_code, usage=usage)
        if not isinstance(body, dict):
            raise TransientError(
                f"{method} /{path}: the answer was not JSON",
                http_status=response.status_code,
                usage=usage,
            )
        logger.debug(
            "graph %s /%s -> %s (usage %s%%)", method, path, response.status_code, usage.max_percent
        )
        return body

    def paged(
        self, path: str, *, token: str, params: dict[str, Any], max_pages: int = 50
    ) -> list[dict[str, Any]]:
        """Follow cursor paging (§2): re-request with ``after`` until ``next`` is absent. We
        never fetch the ``next`` URL itself (it could point anywhere and carry a token)."""
        items: list[dict[str, Any]] = []
        query = dict(params)
        for _ in range(max_pages):
            body = self.request("GET", path, token=token, params=query)
            data = body.get("data") or []
            items.extend(item for item in data if isinstance(item, dict))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next"):
                break
            if not after:
                after = parse_qs(urlparse(paging["next"]).query).get("after", [None])[0]
            if not after:
                break
            query["after"] = after
        return items

    # -- login and tokens (§2) --------------------------------------------------------------
    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None = None
    ) -> UserToken:
        """Code → short-lived user token. Sent as a POST form so secrets stay out of URLs."""
        data = {
            "client_id": self.app_id,
            "client_secret": self.app_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        }
        if code_verifier:
            data["code_verifier"] = code_verifier
        return _user_token(self.request("POST", "oauth/access_token", data=data))

    def exchange_long_lived(self, *, user_token: str) -> UserToken:
        """Short-lived (or aging long-lived) user token → a fresh ~60-day one (§2 LL)."""
        data = {
            "grant_type": "fb_exchange_token",
            "client_id": self.app_id,
            "client_secret": self.app_secret,
            "fb_exchange_token": user_token,
        }
        return _user_token(self.request("POST", "oauth/access_token", data=data))

    def me(self, *, user_token: str) -> dict[str, str]:
        body = self.request("GET", "me", token=user_token, params={"fields": "id,name"})
        return {"id": str(body.get("id", "")), "name": str(body.get("name", ""))}

    def list_pages(self, *, user_token: str) -> list[PageInfo]:
        """Every Page the user granted, Business-portfolio ones included, with linked IG (§2, §4)."""
        fields = (
            "id,name,access_token,tasks,category,picture{url},"
            "instagram_business_account{id,username,name,profile_picture_url}"
        )
        items = self.paged("me/accounts", token=user_token, params={"fields": fields, "limit": 25})
        return [_page_info(item) for item in items if item.get("id") and item.get("access_token")]

    def debug_token(self, *, input_token: str) -> TokenInfo:
        """§2 debug_token, called with the app token. Invalid tokens come back as data with
        ``is_valid: false`` and an ``error`` (not as an HTTP error)."""
        body = self.request(
            "GET", "debug_token", token=self.app_token, params={"input_token": input_token}
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
            granular_scopes=tuple(
                g for g in data.get("granular_scopes") or () if isinstance(g, dict)
            ),
            expires_at=_int_or_none(data.get("expires_at")) or None,
            data_access_expires_at=_int_or_none(data.get("data_access_expires_at")) or None,
            error_code=_int_or_none(error.get("code")),
            error_subcode=_int_or_none(error.get("subcode")),
            error_message=mask_secrets(str(error.get("message", ""))),
        )

    def permissions(self, *, user_token: str) -> Permissions:
        body = self.request("GET", "me/permissions", token=user_token)
        granted, declined = set(), set()
        for entry in body.get("data") or []:
            name, status = entry.get("permission"), entry.get("status")
            if status == "granted":
                granted.add(name)
            elif status in ("declined", "expired"):
                declined.add(name)
        return Permissions(frozenset(granted), frozenset(declined))

    def revoke_login(self, *, user_token: str) -> None:
        """DELETE /me/permissions: remove the app from the user's account."""
        self.request("DELETE", "me/permissions", token=user_token)

    # -- webhooks subscription (§8) ---------------------------------------------------------
    def subscribe_page(
        self, *, page_id: str, page_token: str, fields: Iterable[str] = ("feed", "messages")
    ) -> bool:
        body = self.request(
            "POST",
            f"{page_id}/subscribed_apps",
            token=page_token,
            data={"subscribed_fields": ",".join(fields)},
        )
        return bool(body.get("success"))

    def unsubscribe_page(self, *, page_id: str, page_token: str) -> bool:
        body = self.request("DELETE", f"{page_id}/subscribed_apps", token=page_token)
        return bool(body.get("success"))


def _user_token(body: dict[str, Any]) -> UserToken:
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise UnknownGraphError("the token answer had no access_token")
    return UserToken(access_token=token, expires_in=_int_or_none(body.get("expires_in")))


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
