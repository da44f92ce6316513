"""The receiving end of Facebook's webhooks (design invariant 5, docs/webhooks.md).

Order matters and is the whole point of this module:

1. the raw body is read with a size cap (nothing parsed yet);
2. ``X-Hub-Signature-256`` is checked on those exact bytes with `hmac.compare_digest`: Meta
   signs the bytes it sends (non-ASCII escaped as ``\\uXXXX``), so re-serialised JSON would not
   match, and a forged body is never parsed;
3. the JSON is split into one `WebhookEvent` per change or messaging item, all inserted in one
   statement that skips items already stored (unique ``dedupe_key``,
   ``ON CONFLICT DO NOTHING``, the same SQL on PostgreSQL and SQLite);
4. one processing task per delivery is enqueued once that insert is committed (the statement
   runs in autocommit, so it is committed when it returns).

No outbound HTTP here; routing to a restaurant happens in the task.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from tenants.scoping import scopes_disabled
from webhooks.models import WebhookEvent

SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"
SIGNATURE_PREFIX = "sha256="


class BodyTooLarge(Exception):
    pass


class MalformedPayload(ValueError):
    """Signed, but not a webhook payload we can read (not JSON, or no ``entry`` list)."""


class EnqueueFailed(Exception):
    """The events were stored but the broker refused the processing task."""


@dataclass(frozen=True)
class Stored:
    delivery_id: uuid.UUID
    items: int  # items in the POST
    new: int  # items not seen before


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def body_read(*, declared: str, stream: Readable, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes without reading them all (``declared``:
    the request's Content-Length; ``stream`` reads no further than it)."""
    if length_plain(declared) and int(declared) > limit:
        raise BodyTooLarge
    # Read directly: Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not apply; this cap does.
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge
    return body


def length_plain(declared: str) -> bool:
    """Whether a Content-Length is plain ASCII digits (``str.isdigit`` alone also takes "²",
    which ``int`` refuses)."""
    return declared.isascii() and declared.isdigit()


def signature_valid(*, body: bytes, header: str | None, secret: str) -> bool:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``, constant time."""
    if not header or not header.startswith(SIGNATURE_PREFIX) or not secret:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = header[len(SIGNATURE_PREFIX) :].strip().lower()
    return hmac.compare_digest(expected.encode(), given.encode("ascii", "replace"))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def dedupe_key(*, object_type: str, entry_id: str, field: str, item: Any) -> str:
    """The same item delivered again (any batch, any key order) gets the same key."""
    digest = hashlib.sha256()
    for part in (object_type, entry_id, field):
        digest.update(part.encode())
        digest.update(b"\x00")
    digest.update(_canonical(item))
    return digest.hexdigest()


def payload_events(*, body: bytes, delivery_id: uuid.UUID) -> list[dict[str, Any]]:
    """One row (a `WebhookEvent`'s column values) per change or messaging item of a POST body."""
    try:
        payload = json.loads(body)
    except RecursionError:  # nested about a thousand levels deep
        raise MalformedPayload(TOO_DEEP) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"the body is not JSON ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise MalformedPayload("the JSON has no entry list")
    # A body cannot nest deeper than it has brackets: a single message has about ten, so only
    # bigger bodies are walked (a 1,000-entry batch takes about a millisecond).
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _deeper_than(payload, MAX_DEPTH):
        raise MalformedPayload(TOO_DEEP)
    if b"\\u0000" in body:  # JSON escapes U+0000 so; PostgreSQL's jsonb cannot hold it
        payload = _nul_replaced(payload)
    object_type = str(payload.get("object") or "")[:40]
    events: list[dict[str, Any]] = []
    for entry in payload["entry"]:
        if not isinstance(entry, dict):
            raise MalformedPayload("an entry is not an object")
        entry_id = str(entry.get("id") or "")[:64]
        entry_time = entry.get("time")
        if not _fits_bigint(entry_time):  # anything else would have the whole POST refused
            entry_time = None
        items: list[tuple[str, bool, Any]] = []
        for change in entry.get("changes") or []:
            field = str(change.get("field") or "") if isinstance(change, dict) else ""
            value = change.get("value") if isinstance(change, dict) else change
            items.append((field[:64], False, value))
        for key in ("messaging", "standby"):
            for item in entry.get(key) or []:
                items.append((_messaging_field(item, key), True, item))
        if not items:  # keep what we cannot classify rather than drop it
            items.append(("", False, entry))
        for field, is_messaging, value in items:
            events.append(
                {
                    "dedupe_key": dedupe_key(
                        object_type=object_type, entry_id=entry_id, field=field, item=value
                    ),
                    "delivery_id": delivery_id,
                    "object": object_type,
                    "entry_id": entry_id,
                    "field": field,
                    "messaging": is_messaging,
                    "entry_time": entry_time,
                    "payload": value,
                }
            )
    return events


# Meta's payloads nest under ten levels. Deeper ones are refused: every later step (the
# dedupe key's JSON, the insert, the worker reading the row back) recurses once per level, and
# Python stops at about a thousand.
MAX_DEPTH = 64
TOO_DEEP = f"the JSON is nested more than {MAX_DEPTH} levels deep"


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests more than ``limit`` lists and objects deep (without recursing)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _fits_bigint(value: Any) -> bool:
    return type(value) is int and 0 <= value < 2**63  # not a bool (an int subclass)


def _nul_replaced(value: Any) -> Any:
    """``value`` with every U+0000 in its strings and keys turned into U+FFFD. PostgreSQL
    refuses U+0000 in jsonb, and one customer typing it would otherwise have the whole POST
    (up to 1,000 events of any restaurant) refused with a 5xx until Meta gives up."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_nul_replaced(item) for item in value]
    if isinstance(value, dict):
        return {_nul_replaced(k): _nul_replaced(v) for k, v in value.items()}
    return value


def _messaging_field(item: Any, key: str) -> str:
    """The webhook field a messaging item belongs to (Meta does not repeat it in the item)."""
    if key == "standby":
        return "standby"
    if not isinstance(item, dict):
        return "messaging"
    message = item.get("message")
    if isinstance(message, dict):
        return "message_echoes" if message.get("is_echo") else "messages"
    for name in ("postback", "reaction", "read", "delivery", "referral", "optin"):
        if name in item:
            return {"postback": "messaging_postbacks", "read": "message_reads"}.get(
                name, f"message_{name}s" if name in ("reaction", "delivery") else name
            )
    return "messaging"


# Rows per INSERT statement: Meta sends at most 1,000 updates per POST, so one statement
# normally; 1,000 × 13 parameters stays under SQLite's limits.
INSERT_CHUNK = 1000
# The columns an insert sets, with their PostgreSQL types for jsonb_to_recordset (the others
# are NULL: tenant, account, processed_at).
PG_COLUMNS = {
    "dedupe_key": "varchar",
    "delivery_id": "uuid",
    "object": "varchar",
    "entry_id": "varchar",
    "field": "varchar",
    "messaging": "boolean",
    "entry_time": "bigint",
    "payload": "jsonb",
    "received_at": "timestamptz",
    "status": "varchar",
    "attempts": "integer",
    "error": "varchar",
}


def events_insert(*, events: list[dict[str, Any]]) -> int:
    """``INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id``: the same statement shape
    on PostgreSQL and SQLite (≥ 3.35). One statement is atomic on its own, so a POST costs a
    single round trip in autocommit. Returns how many rows were new.

    That round trip is the only one: the connection's health check (``CONN_HEALTH_CHECKS``, a
    ``SELECT 1`` before the first query of every request) is skipped. Instead, when the INSERT
    fails on a connection that turns out to be dead (the server restarted, or dropped it while
    idle), it is made once more on a new connection, outside a transaction only; any other
    failure propagates (the view answers 503 and Meta retries).

    On PostgreSQL a delivery of up to `PG_VALUES_ROWS` items (nearly all of them: Messenger
    sends one message per POST) is a VALUES list with typed placeholders, written once per row
    count; a bigger one sends every row in one JSON parameter (``jsonb_to_recordset``), since a
    1,000-row VALUES list would mean 12,000 placeholders for the driver to fill in. The JSON
    form costs PostgreSQL about 0.1 ms more per statement, the VALUES form the driver about
    0.1 ms more per row (docs/performance.md, "Webhooks"). Other databases get multi-row VALUES
    with each value prepared by its model field."""
    now = timezone.now()
    for event in events:
        event.update(received_at=now, status=WebhookEvent.Status.PENDING, attempts=0, error="")
    # This thread's connection, looked up once (each read through django.db.connection looks
    # it up again).
    db = connections[DEFAULT_DB_ALIAS]
    # Django's own flag for "checked in this request" (django-stubs do not declare it).
    db.health_check_done = True  # type: ignore[attr-defined]
    try:
        return _rows_insert(db, events)
    except (OperationalError, InterfaceError):
        if db.in_atomic_block or db.is_usable():
            raise
        db.close()
        return _rows_insert(db, events)


def _rows_insert(connection: BaseDatabaseWrapper, events: list[dict[str, Any]]) -> int:
    if connection.vendor == "postgresql":
        return _pg_rows_insert(connection, events)
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        table = quote(WebhookEvent._meta.db_table)
        conflict = f"ON CONFLICT ({quote('dedupe_key')}) DO NOTHING RETURNING {quote('id')}"
        fields = [f for f in WebhookEvent._meta.concrete_fields if f.name in PG_COLUMNS]
        columns = ", ".join(quote(str(f.column)) for f in fields)  # in the fields' order
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        chunks = [events[i : i + INSERT_CHUNK] for i in range(0, len(events), INSERT_CHUNK)]
        new = 0
        with transaction.atomic(durable=True) if len(chunks) > 1 else nullcontext():
            for chunk in chunks:
                params = [
                    f.get_db_prep_save(event[f.name], connection) for event in chunk for f in fields
                ]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))} "  # noqa: S608 (names from the model, values as parameters)
                    f"{conflict}",
                    params,
                )
                new += len(cursor.fetchall())
        return new


def _pg_rows_insert(connection: BaseDatabaseWrapper, events: list[dict[str, Any]]) -> int:
    if len(events) <= PG_VALUES_ROWS:
        params = [event[name] for event in events for name in PG_COLUMNS]
        for index in range(PG_PAYLOAD_INDEX, len(params), len(PG_COLUMNS)):
            params[index] = json.dumps(params[index], cls=DjangoJSONEncoder)
        sql = _pg_values_sql(len(events))
    else:
        params = [json.dumps(events, cls=DjangoJSONEncoder, separators=(",", ":"))]
        sql = _pg_insert_sql()
    if connection.queries_logged:  # DEBUG, or a test capturing queries: Django's logging cursor
        logged = connection.make_debug_cursor(_pg_cursor(connection))
        logged.execute(sql, params)
        return len(logged.fetchall())
    cursor = _pg_cursor(connection)
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:  # psycopg's errors as Django's, as its cursors do
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def _pg_cursor(connection: BaseDatabaseWrapper) -> Any:
    """This thread's psycopg cursor for the INSERT, kept for as long as its connection lives.

    It sends parameters apart from the statement (server-side binding) instead of Django's
    default, which writes them into the SQL text. The text then stays the same from one
    delivery to the next, so psycopg prepares it after a few executions on a connection (its
    ``prepare_threshold``, 5) and PostgreSQL parses and plans the INSERT once per connection
    instead of once per delivery: about a third less of its CPU per delivery. Django's cursor
    wrapper around it would cost more than the rest of the client's side of the INSERT (about
    30 µs of 110 per delivery); `_pg_rows_insert` does what the wrapper does for this one
    statement: translates the driver's errors into Django's and logs the query when Django
    logs queries (docs/performance.md, "Webhooks")."""
    import psycopg

    connection.validate_thread_sharing()
    connection.ensure_connection()
    # `connections` hands each thread its own wrapper, so the cursor is this thread's too.
    cursor = getattr(connection, "_webhook_cursor", None)
    if cursor is None or cursor.connection is not connection.connection or cursor.closed:
        cursor = psycopg.Cursor(connection.connection)
        connection._webhook_cursor = cursor  # type: ignore[attr-defined]
    return cursor


# Up to this many rows, PostgreSQL gets a VALUES list (`events_insert`).
PG_VALUES_ROWS = 8
PG_PAYLOAD_INDEX = list(PG_COLUMNS).index("payload")


@functools.cache
def _pg_values_sql(rows: int) -> str:
    """The VALUES statement for ``rows`` rows, each value cast to its column's type (the driver
    sends them as literals), written once per process and row count."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    table = quote(WebhookEvent._meta.db_table)
    columns = ", ".join(quote(name) for name in PG_COLUMNS)
    row = "(" + ", ".join(f"%s::{kind}" for kind in PG_COLUMNS.values()) + ")"
    return (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)} "  # noqa: S608 (names from the code, values as parameters)
        f"ON CONFLICT ({quote('dedupe_key')}) DO NOTHING RETURNING {quote('id')}"
    )


@functools.cache
def _pg_insert_sql() -> str:
    """The PostgreSQL statement, written once per process (names from the code)."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    table = quote(WebhookEvent._meta.db_table)
    columns = ", ".join(quote(name) for name in PG_COLUMNS)
    record = ", ".join(f"{quote(name)} {kind}" for name, kind in PG_COLUMNS.items())
    return (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608 (names from the code, values as one parameter)
        f"FROM jsonb_to_recordset(%s::jsonb) AS r({record}) "
        f"ON CONFLICT ({quote('dedupe_key')}) DO NOTHING RETURNING {quote('id')}"
    )


def events_store(*, body: bytes, enqueue: Any) -> Stored:
    """Store the body's events (`events_insert`) and, once they are committed, call
    ``enqueue(delivery_id)`` if any of them is new. If ``enqueue`` fails, this delivery's new
    rows are deleted again and `EnqueueFailed` is raised, so Meta's retry stores them afresh
    (a beat sweep re-enqueues anything left pending should that delete fail too). The receive
    view runs outside any transaction (``ATOMIC_REQUESTS`` is off), so "stored" means committed."""
    delivery_id = uuid.uuid4()
    events = payload_events(body=body, delivery_id=delivery_id)
    new = events_insert(events=events) if events else 0
    if new:
        try:
            enqueue(delivery_id)
        except Exception as exc:  # the broker's errors vary by transport
            with scopes_disabled():
                WebhookEvent.objects.filter(delivery_id=delivery_id).delete()
            raise EnqueueFailed(type(exc).__name__) from exc
    return Stored(delivery_id=delivery_id, items=len(events), new=new)


def max_body_bytes() -> int:
    return settings.WEBHOOK_MAX_BODY_BYTES
