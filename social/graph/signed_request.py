"""Verifying Facebook's deauthorize and data-deletion callbacks (graph-api.md §10)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings


class SignedRequestInvalid(ValueError):
    """A deauthorize / data-deletion ``signed_request`` that fails verification."""


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
