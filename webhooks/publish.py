"""The receiver's enqueue: one ``webhooks.delivery_process`` message per delivery, with as
little work per delivery as the broker allows (docs/performance.md, "Webhooks").

``apply_async`` spends about 1 ms of CPU per call here (option merging, routing, signals, a
producer from the pool, and kombu's Redis transport building a new redis-py client for every
message): more than the rest of the receive path together. On a Redis broker, the one this
module takes, the delivery's message is instead

- the message Celery builds for the task (headers, properties and body made once per process
  by ``create_task_message``; per delivery only the task id, the kwargs and their repr change),
- wrapped the way kombu's Redis transport stores a message (base64 body, ``delivery_info``,
  a delivery tag): the whole JSON text is made once per process with slots for the ids,
- ``LPUSH``-ed onto the queue's list, as kombu does, on a connection each thread keeps from
  the process's redis-py pool (one round trip).

A worker consumes it like any other message; ``webhooks/tests/test_lean_path.py`` compares it
key by key with what ``apply_async`` sends, and the end-to-end tests have a real worker process
it. Other brokers
(development's filesystem broker, ``memory://``), eager mode, and Redis options this module
does not reproduce (a global key prefix, TLS options) go through ``apply_async``. A broker that
refuses, or does not answer within `BROKER_TIMEOUT_SECONDS` (twice), raises: the receiver
answers 503 and Meta retries.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import threading
import uuid

import redis
from celery import Task
from redis.backoff import NoBackoff
from redis.retry import Retry

# A hung broker turns into a 503 (Meta retries) instead of holding a web thread: each attempt
# waits this long, and a failed one is tried once more at once (a pooled connection the server
# closed is replaced; redis-py's default would try three more times with growing pauses).
BROKER_TIMEOUT_SECONDS = 5.0


def delivery_publish(task: Task, delivery_id: uuid.UUID) -> None:
    """Queue ``task`` (``webhooks.delivery_process``) for one delivery."""
    kwargs = {"delivery_id": str(uuid.UUID(str(delivery_id)))}  # a UUID's text needs no escaping
    client = _redis_client(task)
    if client is None:
        task.apply_async(kwargs=kwargs)
        return
    queue, body, message = _template(task)
    task_id = str(uuid.uuid4())
    encoded = base64.b64encode((body[0] + kwargs["delivery_id"] + body[1]).encode()).decode()
    _lpush(
        client,
        queue,
        message
        % {
            "body": encoded,
            "task_id": task_id,
            "kwargsrepr": repr(kwargs),
            "delivery_tag": str(uuid.uuid4()),
        },
    )


_local = threading.local()


def _lpush(client: redis.Redis, queue: str, message: str) -> None:
    """``LPUSH queue message`` on this thread's own connection of ``client``'s pool, kept for the
    process (no pool checkout, retry wrapper or command dispatch per delivery: half of
    ``client.lpush``'s CPU). A connection that fails or times out is closed and the command
    tried once more on a new one, as ``Retry(NoBackoff(), 1)`` does for the client; an error
    the server answers (say, the key holds something else) is raised as it is."""
    owner = (client, os.getpid())
    if getattr(_local, "owner", None) != owner:
        _local.owner, _local.connection = owner, client.connection_pool.get_connection()
    connection = _local.connection
    for attempt in (1, 2):
        try:
            connection.send_command("LPUSH", queue, message)
            connection.read_response()
            return
        except (redis.ConnectionError, redis.TimeoutError):
            connection.disconnect()
            if attempt == 2:
                raise


def _redis_client(task: Task) -> redis.Redis | None:
    """The process's client of the broker, or None when ``apply_async`` must publish."""
    if task.app.conf.task_always_eager:  # tests switch it on and off
        return None
    return _client_for(task)


@functools.cache
def _client_for(task: Task) -> redis.Redis | None:
    conf = task.app.conf
    url = str(conf.broker_url or "")
    if (
        not url.startswith(("redis://", "rediss://"))
        or (conf.broker_transport_options or {}).get("global_keyprefix")
        or conf.broker_use_ssl
    ):
        return None
    return _new_client(url)


def _new_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )


@functools.cache
def _template(task: Task) -> tuple[str, tuple[str, str], str]:
    """Queue name, the body's JSON around the delivery id, and the message's JSON with
    ``%(body)s``, ``%(task_id)s``, ``%(kwargsrepr)s`` and ``%(delivery_tag)s`` to fill in: the
    message Celery builds for ``apply_async`` (made once per process: the ``origin`` header names
    the process), wrapped as kombu's Redis transport stores it. Per message only the ids, the
    kwargs and ``kwargsrepr`` differ, and none of them needs escaping in JSON."""
    app = task.app
    route = app.amqp.router.route({}, task.name)
    queue = str(route["queue"].name)
    headers, properties, body, _ = app.amqp.create_task_message(
        "", task.name, (), {}, ignore_result=task.ignore_result
    )
    before, after = json.dumps([[], {"delivery_id": _MARK}, body[2]]).split(_MARK)
    message = {
        "body": _MARK + "body",
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            **headers,
            "id": _MARK + "task_id",
            "root_id": _MARK + "task_id",
            "kwargsrepr": _MARK + "kwargsrepr",
        },
        "properties": {
            **properties,
            "delivery_mode": 2,  # persistent, what kombu's producer sets by default
            "priority": 0,  # kombu's Redis transport: no priority, the queue's own list
            "correlation_id": _MARK + "task_id",
            "delivery_info": {"exchange": "", "routing_key": queue},
            "body_encoding": "base64",
            "delivery_tag": _MARK + "delivery_tag",
        },
    }
    text = json.dumps(message).replace("%", "%%")
    for name in ("body", "task_id", "kwargsrepr", "delivery_tag"):
        text = text.replace(_MARK + name, f"%({name})s")
    return queue, (before, after), text


_MARK = "tablecast-slot-7f3e9c-"  # plain ASCII (JSON keeps it as it is), in nothing Celery sends
