"""The transport every Graph area module shares: `GraphClient.request` and `.paged`.

Every call:

- goes through one `requests.Session` with connect/read timeouts from settings;
- uses the pinned version ``settings.FACEBOOK_GRAPH_VERSION``;
- sends the token in the ``Authorization`` header (or a POST body), never in our logs, and
  always with ``appsecret_proof`` (graph-api.md §2 SEC);
- turns Facebook's error envelope (§6) into `social.graph.errors`, whose messages never
  contain a token (exceptions are raised ``from None`` so no URL-bearing cause is chained);
- records the usage headers (§7) in ``GraphClient.last_usage`` so callers can budget.

The one documented exception to "no token in a URL" is ``debug_token``'s ``input_token``,
which Meta only reads from the query string; the request goes only to Facebook over TLS and
urllib3's debug log line is masked below.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from django.conf import settings

from lib.logging import SecretMaskingFilter
from social.graph import errors
from social.graph.errors import GraphError, GraphTimeout, TransientError
from social.graph.usage import Usage

logger = logging.getLogger(__name__)
# urllib3 logs request lines (with query strings) at DEBUG; mask them at the source logger so
# no handler, test capture included, ever sees debug_token's input_token.
logging.getLogger("urllib3.connectionpool").addFilter(SecretMaskingFilter())


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """hex(HMAC-SHA256(key=app_secret, msg=access_token)) (§2)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def classify(body: Any, *, http_status: int | None, usage: Usage) -> GraphError:
    """Map Facebook's error envelope (§6) to our hierarchy; branch on code, not HTTP status."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if http_status is not None and http_status >= 500:
            return TransientError(
                f"HTTP {http_status} without an error body", http_status=http_status, usage=usage
            )
        return errors.UnknownGraphError(
            f"HTTP {http_status} without an error body", http_status=http_status, usage=usage
        )
    code = int_or_none(error.get("code"))
    subcode = int_or_none(error.get("error_subcode"))
    kw: dict[str, Any] = {
        "code": code,
        "subcode": subcode,
        "error_type": str(error.get("type", "")),
        "fbtrace_id": str(error.get("fbtrace_id", "")),
        "http_status": http_status,
        "usage": usage,
    }
    message = str(error.get("message", ""))
    if code in errors.TOKEN_CODES:
        return errors.TokenInvalid(message, **kw)
    if code in errors.RATE_LIMIT_CODES:
        return errors.RateLimited(
            message, retry_after=usage.regain_seconds or errors.DEFAULT_RETRY_AFTER, **kw
        )
    if (
        error.get("is_transient") is True
        or code in errors.TRANSIENT_CODES
        or subcode in errors.TRANSIENT_SUBCODES
    ):
        return TransientError(message, **kw)
    if code in errors.PERMISSION_CODES:
        return errors.PermissionMissing(message, **kw)
    if code == 100:
        return errors.InvalidParameter(message, **kw)
    if code == 506:
        return errors.DuplicatePost(message, **kw)
    if http_status is not None and http_status >= 500:
        return TransientError(message, **kw)
    return errors.UnknownGraphError(message, **kw)


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """One Graph call. ``params`` go in the query string, ``data`` in a form body (a
        multipart one when ``files`` are given: ``{field: (name, bytes, content type)}``); the
        token goes in the Authorization header with its appsecret_proof in the query."""
        query = dict(params or {})
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
            query["appsecret_proof"] = appsecret_proof(self.app_secret, token)
        url = f"{self.base_url}/{self.version}/{path.lstrip('/')}"
        try:
            response = self.session.request(
                method,
                url,
                params=query,
                data=data,
                files=files,
                headers=headers,
                timeout=self.timeout,
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
        self,
        path: str,
        *,
        token: str,
        params: dict[str, Any],
        max_pages: int = 50,
        complete: bool = False,
    ) -> list[dict[str, Any]]:
        """Follow cursor paging (§2): re-request with ``after`` until ``next`` is absent. We
        never fetch the ``next`` URL itself (it could point anywhere and carry a token). With
        ``complete``, a listing longer than ``max_pages`` raises `TransientError` instead of
        being cut short (a caller that concludes "absent" from it must have seen everything)."""
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
        else:  # every page read and there is more
            if complete:
                raise TransientError(f"GET /{path}: more than {max_pages} pages to read")
        return items
