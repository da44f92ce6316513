"""Enqueue Celery tasks with as little work per message as the broker allows
(docs/performance.md, "Webhooks" and "Publishing pipeline").

``apply_async`` spends about 0.5 ms of CPU per call here (option merging, routing, signals, a
producer, kombu's message handling) and one broker round trip per message. The webhook receiver
enqueues one task per delivery and the dispatcher one per claimed publication (up to 1,000 at a
time), so on a Redis broker, the one this module takes, `tasks_publish` instead stores

- the message Celery builds for the task (headers, properties and body made once per process
  by ``create_task_message``; per message only the task id, the parent and root ids, the
  kwargs and their repr change),
- wrapped the way kombu's Redis transport stores a message (base64 body, ``delivery_info``,
  a delivery tag): the whole JSON text is made once per process with slots for the rest,
- with one ``LPUSH`` of all the messages onto the queue's list (one round trip however many,
  and in their order: the worker pops the oldest first, as kombu does), on a connection each
  thread keeps from the process's redis-py pool.

A worker consumes them like any other message: ``webhooks/tests/test_lean_path.py`` and
``lib/tests/test_task_publish.py`` compare them key by key with what ``apply_async`` sends, and
end-to-end tests have real worker processes run them. Called from inside a task, the messages
name it as their parent, as ``apply_async`` does, and Celery's ``before_task_publish`` and
``after_task_publish`` signals are sent when something listens. Other brokers (development's
filesystem broker, ``memory://``), eager mode, and Redis options this module does not reproduce
(a global key prefix, TLS) go through ``apply_async``. A broker that refuses, or does not
answer within `BROKER_TIMEOUT_SECONDS` (twice), raises: nothing of the batch was stored.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import redis
from celery import Task
from celery import signals as celery_signals
from redis.backoff import NoBackoff
from redis.retry import Retry

# A hung broker turns into an error (the webhook receiver answers 503 and Meta retries) instead
# of holding a thread: each attempt waits this long, and a failed one is tried once more at once
# (a pooled connection the server closed is replaced; redis-py's default would try three more
# times with growing pauses).
BROKER_TIMEOUT_SECONDS = 5.0

Kwargs = Mapping[str, str | int]


def tasks_publish(task: Task, kwargs_list: Sequence[Kwargs]) -> None:
    """Queue one message of ``task`` per item of ``kwargs_list`` (string and integer values
    only, so that every message is plain JSON)."""
    if not kwargs_list:
        return
    # A ``shared_task`` is a proxy that looks the task up again on every attribute read.
    task = getattr(task, "_get_current_object", lambda: task)()
    client = _redis_client(task)
    if client is None:
        for kwargs in kwargs_list:
            task.apply_async(kwargs=dict(kwargs))
        return
    queue, (before, after), template, headers_template = _template(task)
    current = task.app.current_worker_task
    parent_id = current.request.id if current is not None else None
    root_id = (current.request.root_id or parent_id) if current is not None else None
    listened = celery_signals.before_task_publish.receivers or (
        celery_signals.after_task_publish.receivers
    )
    messages, published = [], []
    for kwargs in kwargs_list:
        values = dict(kwargs)
        task_id = str(uuid.uuid4())
        body = before + json.dumps(values, separators=(", ", ": ")) + after
        slots = {
            "body": base64.b64encode(body.encode()).decode(),
            "task_id": task_id,
            "root_id": json.dumps(root_id or task_id),
            "parent_id": json.dumps(parent_id),
            "kwargsrepr": json.dumps(repr(values))[1:-1],
            "delivery_tag": str(uuid.uuid4()),
        }
        messages.append(template % slots)
        if listened:  # what Celery passes its publish signals: the headers, the decoded body
            headers, decoded = json.loads(headers_template % slots), json.loads(body)
            published.append((headers, decoded))
            celery_signals.before_task_publish.send(
                sender=task.name, body=decoded, exchange="", routing_key=queue,
                headers=headers, properties={}, declare=[], retry_policy=None,
            )  # fmt: skip
    _lpush(client, queue, messages)
    for headers, decoded in published:
        celery_signals.after_task_publish.send(
            sender=task.name, body=decoded, headers=headers, exchange="", routing_key=queue
        )


_local = threading.local()


def _lpush(client: redis.Redis, queue: str, messages: list[str]) -> None:
    """``LPUSH queue m1 m2 …`` on this thread's own connection of ``client``'s pool, kept for
    the process (no pool checkout, retry wrapper or command dispatch per call). A connection
    that fails or times out is closed and the command tried once more on a new one, as
    ``Retry(NoBackoff(), 1)`` does for the client; an error the server answers (say, the key
    holds something else) is raised as it is. LPUSH with several values is one command:
    all of them are stored, or none."""
    owner = (client, os.getpid())
    previous = getattr(_local, "owner", None)
    if previous != owner:
        if previous is not None and previous[1] == owner[1]:  # back to its own pool
            previous[0].connection_pool.release(_local.connection)
        _local.owner, _local.connection = owner, client.connection_pool.get_connection()
    connection = _local.connection
    for attempt in (1, 2):
        try:
            connection.send_command("LPUSH", queue, *messages)
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
    return _client_at(url)


@functools.cache
def _client_at(url: str) -> redis.Redis:
    """One client (one pool) per broker URL, whichever tasks publish through it: a thread then
    keeps one connection, not one per task it happens to enqueue."""
    return _new_client(url)


def _new_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )


@functools.cache
def _template(task: Task) -> tuple[str, tuple[str, str], str, str]:
    """Queue name, the body's JSON around its kwargs, the message's JSON with ``%(name)s``
    slots (body, task_id, root_id, parent_id, kwargsrepr, delivery_tag) and the headers' JSON
    alone with the same slots: the message Celery builds for ``apply_async`` (made once per
    process: the ``origin`` header names the process), wrapped as kombu's Redis transport
    stores it. The slots are filled with JSON text (ids are plain ASCII; ``root_id`` and
    ``parent_id`` come with their quotes or as ``null``)."""
    app = task.app
    route = app.amqp.router.route({}, task.name)
    queue = str(route["queue"].name)
    headers, properties, body, _ = app.amqp.create_task_message(
        "", task.name, (), {}, ignore_result=task.ignore_result
    )
    before, after = json.dumps([[], _MARK, body[2]]).split(f'"{_MARK}"')
    headers = {
        **headers,
        "id": _MARK + "task_id",
        "root_id": _MARK + "root_id",
        "parent_id": _MARK + "parent_id",
        "kwargsrepr": _MARK + "kwargsrepr",
    }
    message = {
        "body": _MARK + "body",
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": headers,
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
    return queue, (before, after), _slotted(message), _slotted(headers)


def _slotted(value: dict[str, Any]) -> str:
    text = json.dumps(value).replace("%", "%%")
    for name in ("root_id", "parent_id"):  # JSON values of their own: "…" or null
        text = text.replace(f'"{_MARK}{name}"', f"%({name})s")
    for name in ("body", "task_id", "kwargsrepr", "delivery_tag"):
        text = text.replace(_MARK + name, f"%({name})s")
    return text


_MARK = "tablecast-slot-7f3e9c-"  # plain ASCII (JSON keeps it as it is), in nothing Celery sends
