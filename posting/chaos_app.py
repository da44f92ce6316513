"""The Celery app of the worker-process J tests (J3, J4, J6, J7, J9; docs/reliability.md §4):
the project's app, plus what a test needs to watch real worker processes from outside. Loaded
only by `posting.chaos.Chaos(app="posting.chaos_app")`; never by a real worker.

Switched on by the environment the harness gives the processes (`posting.chaos.chaos_env`):

- ``CHAOS_SPY_FILE``: every process appends one JSON line per event to this file: a task
  message sent (name, id, parent task id, kwargs, its ETA as ``due``, the sender's clock), a task started
  and finished (id, kwargs, return value, redelivered flag), a worker ready.
- ``CHAOS_CLOCK_OFFSET``: seconds added to the wall clock of every process (time-machine,
  ticking), so workers and beat live through a chosen moment — a daylight-saving change (J7).
  One offset for all processes: they share one timeline.
- ``CHAOS_VISIBILITY_TIMEOUT`` / ``CHAOS_MAX_COUNTDOWN_SECONDS``: the broker's visibility timeout
  and the longest countdown the app may send (J6: a short timeout makes a too-long countdown
  show up as a redelivery within seconds).

It also registers ``chaos.transition_matrix`` (J4): attempt a list of state changes through
`posting.states.transition`, starting at a given instant so two workers race.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

_OFFSET = float(os.environ.get("CHAOS_CLOCK_OFFSET") or 0)
if _OFFSET:
    import time_machine

    # Before Django and Celery read the clock; tick=True: time flows on from there.
    time_machine.travel(datetime.now(UTC) + timedelta(seconds=_OFFSET), tick=True).start()

import django  # noqa: E402 (after the clock)
from celery import signals  # noqa: E402

from config.celery import app  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

if os.environ.get("CHAOS_VISIBILITY_TIMEOUT"):
    app.conf.broker_transport_options = {
        "visibility_timeout": int(os.environ["CHAOS_VISIBILITY_TIMEOUT"])
    }
if os.environ.get("CHAOS_MAX_COUNTDOWN_SECONDS"):
    settings.CELERY_MAX_COUNTDOWN_SECONDS = int(os.environ["CHAOS_MAX_COUNTDOWN_SECONDS"])

SPY_FILE = os.environ.get("CHAOS_SPY_FILE", "")


def spy(event: str, **fields: Any) -> None:
    """One JSON line, appended in one write (lines of concurrent processes do not mix)."""
    if not SPY_FILE:
        return
    line = json.dumps(
        {"event": event, "pid": os.getpid(), "at": time.time(), **fields}, default=str
    )
    with open(SPY_FILE, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


@signals.before_task_publish.connect
def _sent(sender: str | None = None, headers: Any = None, body: Any = None, **_: Any) -> None:
    headers = headers or {}
    kwargs = body[1] if isinstance(body, list | tuple) and len(body) > 1 else {}
    spy(
        "sent",
        task=sender,
        id=headers.get("id"),
        parent=headers.get("parent_id"),
        due=headers.get("eta"),  # the message's ETA
        kwargs=kwargs,
    )


@signals.task_prerun.connect
def _started(task_id: str | None = None, task: Any = None, kwargs: Any = None, **_: Any) -> None:
    delivery = getattr(task.request, "delivery_info", None) or {}
    spy(
        "run",
        task=task.name,
        id=task_id,
        kwargs=kwargs or {},
        redelivered=bool(delivery.get("redelivered")),
    )


@signals.task_postrun.connect
def _finished(task_id: str | None = None, task: Any = None, retval: Any = None, **_: Any) -> None:
    spy("done", task=task.name, id=task_id, retval=retval)


@signals.worker_ready.connect
def _ready(**_: Any) -> None:
    spy("ready")


@app.task(name="chaos.transition_matrix", queue="publish")
def transition_matrix(*, cells: list[list[Any]], start_at: float) -> list[list[Any]]:
    """For each ``[source, target, publication id]``: ``transition`` it, and report
    ``[source, target, id, rows moved]`` (``"illegal"`` when it raised)."""
    from posting import states

    time.sleep(max(0.0, start_at - time.time()))
    results: list[list[Any]] = []
    for source, target, pk in cells:
        try:
            moved: Any = states.transition(ids=[pk], source=source, target=target)
        except states.IllegalTransition:
            moved = "illegal"
        results.append([source, target, pk, moved])
    return results


__all__ = ["app", "spy"]
