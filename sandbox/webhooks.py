"""Webhook delivery to the app (graph-api.md §8) and the deauthorize / data-deletion
callbacks (§10).

Events are queued in `World.outbox` by whoever causes them (a post, a trigger, a
scheduled post going live). `deliver_due` batches them into signed POSTs (≤ `max_batch`
updates each), attempts them and retries failures on a backoff schedule measured in
"nominal" seconds, compressed by `webhook_time_scale`, dropping them after 36 h. The
background worker calls it continuously when `auto_deliver` is on; `POST
/_sandbox/webhooks/flush` calls it synchronously so tests know when deliveries happen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from typing import Any

import requests

from sandbox.outbound import outbound
from sandbox.state import App, World

logger = logging.getLogger(__name__)

# Nominal seconds after the first attempt: retried immediately, then less and less often,
# for up to 36 h (§8 "Delivery"); the exact Meta schedule is [U].
RETRY_SCHEDULE = [0, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 36 * 3600]
DROP_AFTER = 36 * 3600

_deliver_lock = threading.Lock()  # one delivery pass at a time (worker vs. flush)


def sign(secret: str, body: bytes) -> dict[str, str]:
    """§8: X-Hub-Signature-256 = sha256=<hex HMAC-SHA256(app_secret, raw body)>, plus the
    legacy SHA-1 header [C]."""
    return {
        "X-Hub-Signature-256": "sha256="
        + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def signed_request(secret: str, payload: dict[str, Any]) -> str:
    """§10: base64url(HMAC-SHA256(secret, payload segment)) + "." + base64url(JSON),
    both unpadded."""
    encoded = _b64url(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return _b64url(signature) + "." + encoded


def handshake(url: str, verify_token: str, timeout: float = 5.0) -> dict[str, Any]:
    """§8 verification: GET hub.mode=subscribe&hub.challenge&hub.verify_token; the app must
    answer 200 with exactly the challenge."""
    challenge = str(secrets.randbelow(10**9) + 10**9)
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    try:
        response = outbound().get(url, params=params, timeout=timeout)
    except requests.RequestException as exc:
        return {"ok": False, "url": url, "error": str(exc), "challenge": challenge}
    ok = response.status_code == 200 and response.text == challenge
    return {
        "ok": ok,
        "url": url,
        "status": response.status_code,
        "body": response.text[:500],
        "challenge": challenge,
        "error": None if ok else "the app must answer 200 with the challenge as the whole body",
    }


# -- deliveries --------------------------------------------------------------------------
def _entries(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group updates into `entry[]` items: `changes` are grouped per object id; each
    `messaging` item gets an entry of its own ("the array will only contain one messaging
    object" — Meta's Messenger webhook docs)."""
    entries: list[dict[str, Any]] = []
    index: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["messaging"]:
            entries.append(
                {
                    "id": event["entry_id"],
                    "time": int(event["time"] * 1000),
                    "messaging": [event["value"]],
                }
            )
            continue
        entry = index.get(event["entry_id"])
        if entry is None:
            entry = {"id": event["entry_id"], "time": int(event["time"]), "changes": []}
            index[event["entry_id"]] = entry
            entries.append(entry)
        entry["changes"].append({"field": event["field"], "value": event["value"]})
    return entries


def meta_json(payload: dict[str, Any]) -> bytes:
    """The bytes Meta sends (§8): compact separators, non-ASCII as \\uXXXX and `/` escaped
    as `\\/` (as PHP's json_encode does), so a receiver that re-serialises JSON before
    checking the signature fails here as it would on Meta. `/` only occurs inside strings."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode()


def _new_delivery(
    world: World, object_type: str, events: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    payload = {"object": object_type, "entry": _entries(events)}
    body = meta_json(payload)  # §8: Meta signs exactly the bytes it sends
    delivery: dict[str, Any] = {
        "id": "dlv" + secrets.token_hex(5),
        "object": object_type,
        "payload": payload,
        "body": body,
        "updates": len(events),
        "page_ids": sorted({e["entry_id"] for e in events}),
        "status": "pending",
        "attempts": [],
        "created_at": world.now(),
        "first_attempt_at": None,
        "next_due": world.now(),
        "duplicate_of": None,
        "bad_signature": False,
    }
    delivery.update(extra)
    world.deliveries.append(delivery)
    return delivery


def batch_outbox(world: World) -> list[dict[str, Any]]:
    """Turn queued events into deliveries: one POST per object type with up to
    `max_batch` updates (§8: batches of up to 1000, several Pages per POST)."""
    created: list[dict[str, Any]] = []
    with world.lock:
        events, world.outbox = world.outbox, []
        options = world.webhook_options
        size = max(1, min(int(options["max_batch"]), 1000))
        for object_type in ("page", "instagram"):
            mine = [e for e in events if e["object"] == object_type]
            for start in range(0, len(mine), size):
                delivery = _new_delivery(world, object_type, mine[start : start + size])
                if options["bad_signature_next"] > 0:
                    options["bad_signature_next"] -= 1
                    delivery["bad_signature"] = True
                created.append(delivery)
                if options["duplicate_next"] > 0:
                    options["duplicate_next"] -= 1
                    created.append(duplicate(world, delivery))
    return created


def duplicate(world: World, original: dict[str, Any]) -> dict[str, Any]:
    """A second delivery of exactly the same bytes (§8: "dedupe on your side")."""
    with world.lock:
        copy = dict(original, id="dlv" + secrets.token_hex(5), status="pending", attempts=[])
        copy.update(
            duplicate_of=original["id"],
            first_attempt_at=None,
            next_due=world.now(),
            created_at=world.now(),
        )
        world.deliveries.append(copy)
        return copy


def _attempt(world: World, app: App, delivery: dict[str, Any]) -> None:
    body: bytes = delivery["body"]
    secret = app.secret if not delivery["bad_signature"] else "not-the-app-secret"
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    signatures = sign(secret, body)
    headers["X-Hub-Signature-256"] = signatures["X-Hub-Signature-256"]
    if world.webhook_options.get("legacy_sha1", True):
        headers["X-Hub-Signature"] = signatures["X-Hub-Signature"]
    started = time.monotonic()
    attempt: dict[str, Any] = {"at": world.now(), "url": app.callback_url}
    try:
        response = outbound().post(
            app.callback_url or "", data=body, headers=headers, timeout=world.config.webhook_timeout
        )
        attempt.update(status=response.status_code, body=response.text[:300])
        ok = response.status_code == 200  # §8: non-200 is a failure
    except requests.RequestException as exc:
        attempt.update(status=None, error=type(exc).__name__ + ": " + str(exc)[:200])
        ok = False
    attempt["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    with world.lock:
        delivery["attempts"].append(attempt)
        if delivery["first_attempt_at"] is None:
            delivery["first_attempt_at"] = attempt["at"]
        if ok:
            delivery["status"] = "delivered"
            return
        if delivery["bad_signature"]:
            delivery["status"] = "rejected"  # a test hook: one attempt, no retries
            return
        failures = len(delivery["attempts"])
        if failures >= len(RETRY_SCHEDULE) + 1:
            delivery["status"] = "dropped"
            return
        offset = RETRY_SCHEDULE[failures - 1] / max(world.config.webhook_time_scale, 1e-9)
        delivery["next_due"] = delivery["first_attempt_at"] + offset


def deliver_due(world: World) -> list[dict[str, Any]]:
    """Batch the outbox and attempt every delivery whose time has come (catching up on all
    attempts a clock jump made due). Returns the deliveries attempted, as public dicts."""
    touched: dict[str, dict[str, Any]] = {}
    with _deliver_lock:
        batch_outbox(world)
        app = world.default_app()
        while True:
            now = world.now()
            with world.lock:
                due = [
                    d for d in world.deliveries if d["status"] == "pending" and d["next_due"] <= now
                ]
            if not due:
                break
            for delivery in due:
                if app is None or not app.callback_url:
                    delivery["status"] = "no_callback"
                    continue
                elapsed = (
                    now - (delivery["first_attempt_at"] or now)
                ) * world.config.webhook_time_scale
                if elapsed > DROP_AFTER:
                    delivery["status"] = "dropped"
                    continue
                _attempt(world, app, delivery)
                touched[delivery["id"]] = delivery
        touched_callbacks = deliver_callbacks(world)
    return [public_delivery(d) for d in touched.values()] + touched_callbacks


def public_delivery(delivery: dict[str, Any]) -> dict[str, Any]:
    """A delivery as the control API shows it (body as text, not bytes)."""
    out = {k: v for k, v in delivery.items() if k != "body"}
    out["body"] = delivery["body"].decode()
    out["kind"] = "webhook"
    return out


# -- deauthorize and data deletion (§10) ---------------------------------------------------
def queue_signed_callback(world: World, kind: str, user_id: str) -> dict[str, Any]:
    """Queue a `signed_request` POST (kind "deauthorize" or "data_deletion")."""
    app = world.default_app()
    assert app is not None
    now = int(world.now())
    payload = {
        "algorithm": "HMAC-SHA256",
        "expires": now + 3600,
        "issued_at": now,
        "user_id": user_id,
    }
    url = app.deauthorize_url if kind == "deauthorize" else app.data_deletion_url
    record = {
        "id": "cbk" + secrets.token_hex(5),
        "kind": kind,
        "user_id": user_id,
        "url": url,
        "payload": payload,
        "signed_request": signed_request(app.secret, payload),
        "status": "pending",
        "created_at": world.now(),
    }
    with world.lock:
        world.callbacks.append(record)
    return record


def send_callback(world: World, record: dict[str, Any]) -> dict[str, Any]:
    """POST form `signed_request`; for data deletion the app must answer JSON with `url`
    and `confirmation_code` (§10), which is recorded."""
    if not record["url"]:
        record.update(status="failed", ok=False, error="no callback URL configured")
        return record
    try:
        response = outbound().post(
            record["url"],
            data={"signed_request": record["signed_request"]},
            timeout=world.config.webhook_timeout,
        )
    except requests.RequestException as exc:
        record.update(status="failed", ok=False, error=str(exc)[:300])
        return record
    record.update(response_status=response.status_code, response_body=response.text[:1000])
    ok = response.status_code == 200
    error = None if ok else f"HTTP {response.status_code}"
    if ok and record["kind"] == "data_deletion":
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if (
            not isinstance(answer, dict)
            or not answer.get("url")
            or not answer.get("confirmation_code")
        ):
            ok, error = False, "the app must answer JSON with url and confirmation_code"
        else:
            record.update(status_url=answer["url"], confirmation_code=answer["confirmation_code"])
    record.update(status="done" if ok else "failed", ok=ok, error=error)
    return record


def deliver_callbacks(world: World) -> list[dict[str, Any]]:
    with world.lock:
        pending = [c for c in world.callbacks if c["status"] == "pending"]
        for record in pending:
            record["status"] = "sending"
    return [dict(send_callback(world, record)) for record in pending]


class Worker(threading.Thread):
    """Delivers webhooks and callbacks in the background (when `auto_deliver` is on) and
    lets scheduled posts go live on time."""

    def __init__(self, world: World, interval: float = 0.05) -> None:
        super().__init__(name="sandbox-webhooks", daemon=True)
        self.world = world
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.world.tick()
                if self.world.config.auto_deliver:
                    deliver_due(self.world)
            except Exception:  # keep the worker alive, but say what went wrong
                logger.exception("sandbox webhook worker: tick failed")
                time.sleep(self.interval)

    def stop(self) -> None:
        self.stopping.set()
