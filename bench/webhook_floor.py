"""The floor the webhook receiver is compared with (bench/bench_webhooks.py): the least any
receiver must do — HMAC-SHA256 verify of the raw body, JSON parse, one INSERT — as a bare WSGI
app under the same gunicorn setup as the real view. Not used by the product."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

import psycopg

SECRET = os.environ.get("FACEBOOK_APP_SECRET", "").encode()
DSN = os.environ.get("FLOOR_DSN", "")
_local = threading.local()


def _connection() -> psycopg.Connection:
    if getattr(_local, "connection", None) is None:
        _local.connection = psycopg.connect(DSN, autocommit=True)
    return _local.connection


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    given = environ.get("HTTP_X_HUB_SIGNATURE_256", "")
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"bad signature"]
    json.loads(body)
    _connection().execute(
        "INSERT INTO bench_floor (dedupe, body) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (hashlib.sha256(body).hexdigest(), body.decode()),
    )
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"OK"]
