"""For the URL-enumerating isolation test (tenants/tests/test_isolation.py)."""

from __future__ import annotations

PUBLIC_URLS = {
    "webhooks_facebook": "Facebook's webhook endpoint: every POST is authenticated by the X-Hub-Signature-256 HMAC of its raw body, the GET handshake by the verify token",
}
