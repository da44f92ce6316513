"""A worker treats each task as Django treats a request (config/celery.py): connections are
kept between tasks, and one that is too old or unusable is closed."""

from __future__ import annotations

import time

import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from config.celery import app

pytestmark = pytest.mark.django_db(transaction=True)  # close_old_connections skips atomic blocks


def _task():
    app.loader.import_default_modules()
    return app.tasks["posting.publication_publish"]


def _run_task(fixup: DjangoWorkerFixup, task) -> None:
    """What a worker does around a task: Celery's fixup, then the signals' receivers."""
    fixup.on_task_prerun(sender=task)
    signals.task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    fixup.on_task_postrun(sender=task)
    signals.task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={}, retval=None)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next():
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    fixup, task = DjangoWorkerFixup(app), _task()
    first = _backend_pid()
    for _ in range(3):
        _run_task(fixup, task)
        assert _backend_pid() == first


def test_without_the_setting_celery_would_close_it_after_every_task(monkeypatch):
    """The control: Celery's own rule, which CELERY_DB_REUSE_MAX turns off."""
    fixup, task = DjangoWorkerFixup(app), _task()
    monkeypatch.setattr(fixup, "db_reuse_max", None)
    first = _backend_pid()
    _run_task(fixup, task)
    assert _backend_pid() != first


def test_a_connection_past_its_age_is_closed_after_a_task():
    fixup, task = DjangoWorkerFixup(app), _task()
    _backend_pid()
    connection.close_at = time.monotonic() - 1
    _run_task(fixup, task)
    assert connection.connection is None


def test_a_connection_an_error_left_unusable_is_closed_after_a_task(monkeypatch):
    fixup, task = DjangoWorkerFixup(app), _task()
    _backend_pid()
    connection.errors_occurred = True
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    _run_task(fixup, task)
    assert connection.connection is None


def test_an_eager_task_leaves_the_callers_connection_alone():
    task = _task()
    first = _backend_pid()
    connection.close_at = time.monotonic() - 1  # would be closed by a worker
    task.request_stack.push(type("Request", (), {"is_eager": True})())
    try:
        signals.task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    finally:
        task.request_stack.pop()
    assert connection.connection is not None and _backend_pid() == first
