"""The receiver's lean path (docs/performance.md, "Webhooks"): the one-round-trip insert without a health check, and the LPUSH publish of lib/task_publish.py."""

from __future__ import annotations

import base64
import json
import logging

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lib import task_publish as publish
from lib.testing import flat
from tenants.scoping import scopes_disabled
from webhooks import receive, tasks
from webhooks.models import WebhookEvent
from webhooks.tests.helpers import (
    account,
    message_item,
    messaging_payload,
    meta_bytes,
    post,
    wait_for,
)

pytestmark = pytest.mark.django_db


def _delivery(page_id: str, text: str = "Are you open?") -> bytes:
    return meta_bytes(
        messaging_payload(page_id, message_item(page_id=page_id, sender="2001", text=text))
    )


def _rows() -> int:
    with scopes_disabled():
        return WebhookEvent.objects.count()


@pytest.mark.django_db(transaction=True)  # request_started's check runs outside transactions
def test_no_health_check_query_before_the_insert(client, tenant, enqueued, monkeypatch):
    """What request_started does in production (the test client leaves it out): the next
    query would first run the CONN_HEALTH_CHECKS ``SELECT 1``. The receiver skips it."""
    page = account(tenant)
    connection.ensure_connection()
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    connection.close_if_unusable_or_obsolete()
    assert post(client, _delivery(page.external_id)).status_code == 200
    assert checks == [] and _rows() == 1
    # The control: any other query after request_started does check.
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert checks == [1]


def test_the_insert_is_prepared_after_the_threshold_on_each_connection(client, tenant, enqueued):
    """docs/performance.md, "Webhooks": the receiver's cursor binds on the server, so psycopg
    prepares its INSERT after ``prepare_threshold`` executions, as it does Django's queries
    (settings bind them on the server too)."""
    page = account(tenant)
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold == settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] == 5

    def inserts() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [s for (s,) in cursor.fetchall() if s.startswith('INSERT INTO "webhooks_')]

    for n in range(threshold):
        assert post(client, _delivery(page.external_id, f"Open {n}?")).status_code == 200
        _rows()  # a Django query between deliveries
    assert inserts() == []
    assert post(client, _delivery(page.external_id, "Open at last?")).status_code == 200
    statements = inserts()
    assert len(statements) == 1
    assert statements[0].startswith('INSERT INTO "webhooks_webhookevent"')
    assert _rows() == threshold + 1


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_is_replaced_and_the_delivery_stored(
    client, tenant, enqueued
):
    page = account(tenant)
    # The receiver keeps its INSERT cursor for the connection's life: one delivery first, so
    # that the cursor kept is the dead connection's.
    assert post(client, _delivery(page.external_id, "Before?")).status_code == 200
    kept = receive._pg_cursor(connection)
    assert receive._pg_cursor(connection) is kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
        port=db["PORT"], autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert post(client, _delivery(page.external_id)).status_code == 200
    assert _rows() == 2 and len(enqueued.deliveries) == 2
    assert receive._pg_cursor(connection) is not kept


@pytest.fixture
def broker():
    client = redis.Redis.from_url(tasks.delivery_process.app.conf.broker_url)
    client.delete("webhooks")
    yield client
    client.delete("webhooks")


def test_the_published_message_is_the_one_apply_async_sends(broker):
    assert publish._redis_client(tasks.delivery_process) is not None  # the LPUSH path runs
    tasks.delivery_process.apply_async(kwargs={"delivery_id": "reference"})
    tasks.delivery_enqueue("00000000-0000-0000-0000-000000000001")
    reference, ours = (json.loads(m) for m in reversed(broker.lrange("webhooks", 0, -1)))
    assert set(flat(reference)) == set(flat(ours))
    differing = {k for k, v in flat(reference).items() if flat(ours)[k] != v}
    # Ids are per message; reply_to is apply_async's per-thread id (no result is ever sent).
    assert differing == {
        "body",
        "headers.id",
        "headers.root_id",
        "headers.kwargsrepr",
        "properties.correlation_id",
        "properties.delivery_tag",
        "properties.reply_to",
    }
    assert (
        ours["headers"]["id"] == ours["headers"]["root_id"] == ours["properties"]["correlation_id"]
    )
    assert (
        ours["headers"]["kwargsrepr"] == "{'delivery_id': '00000000-0000-0000-0000-000000000001'}"
    )
    args, kwargs, embed = json.loads(base64.b64decode(ours["body"]))
    reference_args, _, reference_embed = json.loads(base64.b64decode(reference["body"]))
    assert (args, kwargs, embed) == (
        reference_args,
        {"delivery_id": "00000000-0000-0000-0000-000000000001"},
        reference_embed,
    )


def test_other_brokers_and_eager_mode_publish_through_apply_async(monkeypatch):
    task = tasks.delivery_process
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")  # Celery's conf.broker_url reads it first
    monkeypatch.setitem(task.app.conf, "broker_url", "memory://")
    assert publish._client_for.__wrapped__(task) is None
    monkeypatch.setitem(task.app.conf, "task_always_eager", True)
    assert publish._redis_client(task) is None
    sent = []
    monkeypatch.setattr(task, "apply_async", lambda **options: sent.append(options))
    tasks.delivery_enqueue("00000000-0000-0000-0000-000000000002")
    assert sent == [{"kwargs": {"delivery_id": "00000000-0000-0000-0000-000000000002"}}]


def test_a_worker_processes_what_the_receiver_published(client, tenant, celery_worker_thread):
    page = account(tenant)
    assert post(client, _delivery(page.external_id, "Do you deliver?")).status_code == 200

    def processed() -> bool:
        with scopes_disabled():
            return WebhookEvent.objects.filter(status=WebhookEvent.Status.PROCESSED).count() == 1

    wait_for(processed, what="the worker to process the published delivery")


def test_a_worker_thread_leaves_the_suites_logging_alone(celery_worker_thread, caplog):
    """Celery's worker would empty the root logger and raise it to ERROR for the rest of the
    process, blinding the suite-wide leak check (root conftest) in every later test."""
    from lib.testing import LeakRecorder

    root = logging.getLogger()
    assert any(isinstance(handler, LeakRecorder) for handler in root.handlers)
    logging.getLogger("social.services").warning("still heard")
    assert "still heard" in caplog.text


def test_a_broker_that_never_answers_gives_503_within_two_timeouts(
    client, tenant, monkeypatch, caplog
):
    """A listening socket that never replies: two attempts of BROKER_TIMEOUT_SECONDS, then 503
    and no orphan rows (Meta retries)."""
    import socket
    import time

    page = account(tenant)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setattr(publish, "BROKER_TIMEOUT_SECONDS", 0.5)
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        monkeypatch.setattr(publish, "_client_for", lambda task: publish._new_client(url))
        started = time.monotonic()
        response = post(client, _delivery(page.external_id))
        took = time.monotonic() - started
    assert response.status_code == 503
    assert "task queue unavailable" in caplog.text
    assert _rows() == 0
    assert took < 4 * 0.5 + 1


def _stored(mids: list[str]) -> list[tuple]:
    """(mid, the columns the insert sets or leaves empty, payload), by mid."""
    with scopes_disabled():
        rows = WebhookEvent.objects.filter(payload__message__mid__in=mids)
        return sorted(
            (
                *(e.payload["message"]["mid"], e.object, e.entry_id, e.field, e.messaging),
                *(e.status, e.attempts, e.error, e.tenant_id, e.processed_at, len(e.dedupe_key)),
                e.payload,
            )
            for e in rows
        )


@pytest.mark.parametrize("extra", [0, 1])
def test_a_small_delivery_and_a_large_one_store_the_same_rows(client, tenant, enqueued, extra):
    """Up to receive.PG_VALUES_ROWS items go in as a VALUES list, more as one JSON parameter
    (docs/performance.md, "Webhooks"): the rows are the same either way, non-ASCII, quotes,
    nulls and nested values included."""
    from webhooks import receive

    page = account(tenant)
    count = receive.PG_VALUES_ROWS + extra
    texts = ["Habt ihr heute offen? 🍝", 'A "quoted" \\ back\\slash', "", "L'été", "x" * 300]
    items = [
        {
            **message_item(page_id=page.external_id, sender=f"20{n}", text=texts[n % len(texts)]),
            "message": {
                "mid": f"m_size{extra}_{n}",
                "text": texts[n % len(texts)],
                "attachments": [{"type": "image", "payload": {"url": None, "sticker_id": n}}],
            },
        }
        for n in range(count)
    ]
    with CaptureQueriesContext(connection) as queries:
        assert (
            post(client, meta_bytes(messaging_payload(page.external_id, *items))).status_code == 200
        )
    insert = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT"))
    assert ("jsonb_to_recordset" in insert) == (extra == 1)
    stored = _stored([item["message"]["mid"] for item in items])
    assert [row[0] for row in stored] == sorted(item["message"]["mid"] for item in items)
    by_mid = {item["message"]["mid"]: item for item in items}
    for row in stored:
        assert row[1:5] == ("page", page.external_id, "messages", True)
        assert row[5:11] == ("pending", 0, "", None, None, 64)
        assert row[11] == by_mid[row[0]]  # the item as sent, unicode, quotes and nulls included
    again = post(client, meta_bytes(messaging_payload(page.external_id, *items)))
    assert again.status_code == 200
    assert len(_stored(list(by_mid))) == count


def test_a_broker_connection_the_server_dropped_is_replaced_once(broker):
    """The thread keeps its broker connection between deliveries (lib/task_publish.py). When
    Redis has closed it (a restart, a timeout), the LPUSH is made once more on a new one."""
    tasks.delivery_enqueue("00000000-0000-0000-0000-000000000003")
    killed = broker.client_kill_filter(_type="normal", skipme=True)
    assert killed >= 1
    tasks.delivery_enqueue("00000000-0000-0000-0000-000000000004")
    sent = [json.loads(m) for m in broker.lrange("webhooks", 0, -1)]
    assert sorted(json.loads(base64.b64decode(m["body"]))[1]["delivery_id"][-1] for m in sent) == [
        "3",
        "4",
    ]


def test_a_broker_that_refuses_the_command_gives_503_and_keeps_no_rows(
    client, tenant, broker, caplog
):
    """An error Redis answers (here the queue's key holds a string) is not retried."""
    page = account(tenant)
    broker.set("webhooks", "not a list")
    response = post(client, _delivery(page.external_id))
    assert response.status_code == 503
    assert "task queue unavailable: ResponseError" in caplog.text
    assert _rows() == 0
