"""lib/task_publish.py: the messages it stores are the ones apply_async would send, parent and
root ids included, in order, in one round trip; Celery's publish signals still fire."""

from __future__ import annotations

import base64
import json

import pytest
import redis
from celery import signals
from celery._state import _task_stack
from django.conf import settings

from config.celery import app
from lib import task_publish
from lib.testing import flat

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://"), reason="needs the Redis broker"
)


def _tasks():
    app.loader.import_default_modules()
    return app.tasks["posting.publication_publish"], app.tasks["posting.publications_dispatch"]


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("publish")
    yield client
    client.delete("publish")


@pytest.fixture
def inside_a_task():
    """As in a worker running the dispatcher: the current task has an id and a root id."""
    _publish, dispatcher = _tasks()
    dispatcher.push_request(
        id="dispatcher-task-id", root_id="root-task-id", is_eager=False, called_directly=False
    )
    _task_stack.push(dispatcher)
    yield
    _task_stack.pop()
    dispatcher.pop_request()


def _body(message: dict) -> list:
    return json.loads(base64.b64decode(message["body"]))


def test_a_batch_is_what_apply_async_sends_parent_and_root_included(broker, inside_a_task):
    publish, _ = _tasks()
    assert task_publish._redis_client(publish) is not None  # the LPUSH path runs
    publish.apply_async(kwargs={"tenant_id": 7, "publication_id": 41})
    task_publish.tasks_publish(
        publish, [{"tenant_id": 7, "publication_id": 42}, {"tenant_id": 8, "publication_id": 43}]
    )
    # The worker pops from the tail: the reference first, then the batch in its order.
    popped = [json.loads(broker.rpop("publish")) for _ in range(3)]
    assert broker.llen("publish") == 0
    assert [_body(m)[1]["publication_id"] for m in popped] == [41, 42, 43]
    reference, *ours = popped
    for message in ours:
        assert set(flat(message)) == set(flat(reference))
        differing = {k for k, v in flat(reference).items() if flat(message)[k] != v}
        assert differing <= {
            "body",
            "headers.id",
            "headers.kwargsrepr",
            "properties.correlation_id",
            "properties.delivery_tag",
            "properties.reply_to",
        }
        assert message["headers"]["parent_id"] == "dispatcher-task-id"
        assert message["headers"]["root_id"] == "root-task-id"
        assert message["headers"]["id"] == message["properties"]["correlation_id"]
        assert _body(message)[0] == _body(reference)[0] and _body(message)[2] == _body(reference)[2]
    assert reference["headers"]["parent_id"] == "dispatcher-task-id"
    assert ours[0]["headers"]["kwargsrepr"] == "{'tenant_id': 7, 'publication_id': 42}"
    assert len({m["headers"]["id"] for m in popped}) == 3


def test_outside_a_task_the_message_is_its_own_root(broker):
    publish, _ = _tasks()
    task_publish.tasks_publish(publish, [{"tenant_id": 1, "publication_id": 5}])
    message = json.loads(broker.rpop("publish"))
    assert message["headers"]["parent_id"] is None
    assert message["headers"]["root_id"] == message["headers"]["id"]


def test_nothing_to_send_asks_nothing_of_the_broker(monkeypatch):
    publish, _ = _tasks()
    monkeypatch.setattr(task_publish, "_lpush", lambda *a: pytest.fail("no round trip"))
    task_publish.tasks_publish(publish, [])


def test_the_publish_signals_fire_with_the_headers_and_body(broker, inside_a_task):
    publish, _ = _tasks()
    before, after = [], []

    def on_before(sender=None, headers=None, body=None, **kwargs):
        before.append((sender, headers["id"], headers["parent_id"], body[1]))

    def on_after(sender=None, headers=None, body=None, **kwargs):
        after.append((sender, headers["id"], body[1]))

    signals.before_task_publish.connect(on_before)
    signals.after_task_publish.connect(on_after)
    try:
        task_publish.tasks_publish(publish, [{"tenant_id": 3, "publication_id": 9}])
    finally:
        signals.before_task_publish.disconnect(on_before)
        signals.after_task_publish.disconnect(on_after)
    stored = json.loads(broker.rpop("publish"))
    task_id = stored["headers"]["id"]
    kwargs = {"tenant_id": 3, "publication_id": 9}
    assert before == [("posting.publication_publish", task_id, "dispatcher-task-id", kwargs)]
    assert after == [("posting.publication_publish", task_id, kwargs)]


def test_a_broker_error_stores_none_of_the_batch(broker):
    publish, _ = _tasks()
    broker.set("publish", "not a list")
    with pytest.raises(redis.ResponseError):
        task_publish.tasks_publish(
            publish, [{"tenant_id": 1, "publication_id": n} for n in range(3)]
        )
    assert broker.get("publish") == b"not a list"


def test_tasks_share_one_client_and_a_thread_keeps_one_connection(broker):
    """The dispatcher and the sweeper enqueue different tasks from the same worker threads:
    alternating between them must not take a new connection from the pool each time."""
    publish, _ = _tasks()
    reconcile = app.tasks["posting.publication_reconcile"]
    assert task_publish._redis_client(publish) is task_publish._redis_client(reconcile)
    pool = task_publish._redis_client(publish).connection_pool
    task_publish.tasks_publish(publish, [{"tenant_id": 1, "publication_id": 0}])
    in_use = len(pool._in_use_connections)  # other threads of this process may hold theirs
    for n in range(5):
        for task in (publish, reconcile):
            task_publish.tasks_publish(task, [{"tenant_id": 1, "publication_id": n}])
    assert len(pool._in_use_connections) == in_use
    broker.delete("publish")


def test_a_thread_that_switches_clients_gives_the_old_connection_back(broker):
    first = task_publish._new_client(settings.CELERY_BROKER_URL)
    second = task_publish._new_client(settings.CELERY_BROKER_URL)
    for client in (first, second, first):
        task_publish._lpush(client, "publish", ["{}"])
    assert len(first.connection_pool._in_use_connections) == 1
    assert len(second.connection_pool._in_use_connections) == 0
    broker.delete("publish")
