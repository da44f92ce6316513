"""Verifying Facebook's deauthorize and data-deletion callbacks (graph-api.md §10;
docs/security.md, "Facebook's signed_request").

Nothing in the payload is decoded before the signature over it is verified: the size is capped,
both parts must be canonical unpadded base64url, the HMAC-SHA256 is compared in constant time,
and only then is the payload parsed as JSON (any parsing failure, deep nesting included, is a
`SignedRequestInvalid`). ``issued_at`` must lie within ``FACEBOOK_SIGNED_REQUEST_MAX_AGE_SECONDS``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from typing import Any

from django.conf import settings

# Facebook's signed requests are a few hundred characters; anything longer is not one.
MAX_LENGTH = 4096
# Allowed clock difference for an issued_at slightly in the future.
CLOCK_SKEW_SECONDS = 300
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


class SignedRequestInvalid(ValueError):
    """A deauthorize / data-deletion ``signed_request`` that fails verification."""


def _b64url_decode(segment: str) -> bytes:
    """Strict unpadded base64url: other characters, padding or a non-canonical tail refused."""
    if not _B64URL.match(segment):
        raise SignedRequestInvalid("signed_request is not unpadded base64url")
    try:
        data = base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise SignedRequestInvalid("signed_request is not valid base64url") from None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != segment:
        raise SignedRequestInvalid("signed_request is not canonical base64url")
    return data


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: deeply nested arrays or objects
        raise SignedRequestInvalid("signed_request's payload is not JSON") from None


def parse_signed_request(
    signed_request: Any, *, app_secret: str | None = None, now: float | None = None
) -> dict[str, Any]:
    """Verify, then decode a deauthorize / data-deletion ``signed_request`` (§10).

    ``base64url(sig) "." base64url(payload)``, sig = HMAC-SHA256(app_secret, payload segment as
    received); the algorithm must be HMAC-SHA256, ``user_id`` present, ``issued_at`` recent."""
    secret = app_secret if app_secret is not None else settings.FACEBOOK_APP_SECRET
    if not isinstance(signed_request, str) or not signed_request:
        raise SignedRequestInvalid("signed_request is missing")
    if len(signed_request) > MAX_LENGTH:
        raise SignedRequestInvalid(f"signed_request is longer than {MAX_LENGTH} characters")
    if signed_request.count(".") != 1:
        raise SignedRequestInvalid("signed_request is not two dot-separated parts")
    sig_part, payload_part = signed_request.split(".")
    signature = _b64url_decode(sig_part)
    expected = hmac.new(secret.encode(), payload_part.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise SignedRequestInvalid("signed_request signature does not match")
    payload = _loads(_b64url_decode(payload_part))
    if not isinstance(payload, dict) or str(payload.get("algorithm", "")).upper() != "HMAC-SHA256":
        raise SignedRequestInvalid("signed_request uses an unexpected algorithm")
    if not payload.get("user_id") or not isinstance(payload["user_id"], str | int):
        raise SignedRequestInvalid("signed_request has no user_id")
    issued_at = payload.get("issued_at")
    if isinstance(issued_at, bool) or not isinstance(issued_at, int):
        raise SignedRequestInvalid("signed_request has no issued_at")
    now = time.time() if now is None else now
    if issued_at < now - settings.FACEBOOK_SIGNED_REQUEST_MAX_AGE_SECONDS:
        raise SignedRequestInvalid("signed_request is too old")
    if issued_at > now + CLOCK_SKEW_SECONDS:
        raise SignedRequestInvalid("signed_request is issued in the future")
    return payload
