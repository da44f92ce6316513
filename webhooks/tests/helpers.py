"""Builders for the webhook tests: signed bodies as Meta sends them, connected accounts, and a
recorder that stands in for the broker."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings

from social.models import SocialAccount
from tenants.scoping import scopes_disabled

_ids = itertools.count(1)

# The sandbox's default world (sandbox/README.md).
PAGE_ID = "104512398765001"  # Trattoria da Maria (sandbox default world)
IG_ID = "17841400000000001"  # @trattoriadamaria
MARIA = "10160000000000001"
SCOPES = [
    "pages_show_list",
    "pages_messaging",
    "pages_manage_posts",
    "pages_manage_metadata",
    "pages_read_engagement",
    "instagram_basic",
    "instagram_manage_messages",
    "instagram_manage_comments",
]
SUNDAY_HOURS = "On Sunday we are open 12:00–16:00."


def meta_bytes(payload: dict[str, Any]) -> bytes:
    """JSON the way Meta sends it: compact, non-ASCII as \\uXXXX, ``/`` as ``\\/``."""
    return (
        json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()
    )


def sign(body: bytes, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.FACEBOOK_APP_SECRET).encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def post(client, body: bytes, signature: str | None = "auto", **extra: Any):
    headers = dict(extra)
    if signature == "auto":
        signature = sign(body)
    if signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.generic(
        "POST", "/webhooks/facebook", body, content_type="application/json", **headers
    )


def account(tenant, *, kind: str = "facebook_page", external_id: str | None = None, **fields):
    with scopes_disabled():
        return SocialAccount.objects.create(
            tenant=tenant,
            kind=kind,
            external_id=external_id or f"1045{next(_ids):011d}",
            name=fields.pop("name", f"Page of {tenant.name}"),
            page_token=fields.pop("page_token", "test-page-token"),
            **fields,
        )


def message_item(*, page_id: str, sender: str, text: str, mid: str | None = None) -> dict:
    return {
        "sender": {"id": sender},
        "recipient": {"id": page_id},
        "timestamp": int(time.time() * 1000),
        "message": {"mid": mid or f"m_{uuid.uuid4().hex}", "text": text},
    }


def messaging_payload(page_id: str, *items: dict, object_type: str = "page") -> dict:
    return {
        "object": object_type,
        "entry": [
            {"id": page_id, "time": int(time.time() * 1000), "messaging": [item]} for item in items
        ],
    }


def comment_change(
    *,
    page_id: str,
    post_id: str,
    comment_id: str,
    text: str,
    verb: str = "add",
    author: str = "2001",
) -> dict:
    return {
        "field": "feed",
        "value": {
            "from": {"id": author, "name": "Luca Verdi"},
            "post_id": post_id,
            "comment_id": comment_id,
            "parent_id": post_id,
            "message": text,
            "item": "comment",
            "verb": verb,
            "created_time": int(time.time()),
        },
    }


def feed_payload(page_id: str, *changes: dict) -> dict:
    return {
        "object": "page",
        "entry": [{"id": page_id, "time": int(time.time()), "changes": list(changes)}],
    }


class Enqueued:
    """Replaces the broker: records each delivery the receiver enqueues."""

    def __init__(self) -> None:
        self.deliveries: list[str] = []

    def __call__(self, delivery_id) -> None:
        self.deliveries.append(str(delivery_id))


def wait_for(check: Callable[[], object], *, timeout: float = 15.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def deliver(sb) -> None:
    """Have the sandbox POST every pending webhook now; all must be accepted."""
    results = sb.flush_webhooks()
    assert results and all(r.get("status") == "delivered" for r in results if "status" in r), (
        results
    )
