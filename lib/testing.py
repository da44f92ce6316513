"""Test support: catch tokens and secrets that reach log records or Celery task arguments.

The root conftest runs every test under a `LeakRecorder` and checks it against every token a
Graph sandbox issued (design invariant 2, across the whole suite)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery.app.task import Task

# The sandbox plays Facebook: its own logs are Facebook's side, not ours.
NOT_OURS = ("sandbox", "werkzeug")


def _traceback_of(record: logging.LogRecord) -> str:
    if record.exc_text:
        return record.exc_text
    return logging.Formatter().formatException(record.exc_info) if record.exc_info else ""


class LeakRecorder(logging.Handler):
    """Records every log line (raw: before any handler's masking filter rewrites the record)
    and every task sent."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.lines: list[tuple[str, str]] = []  # (logger name, message + traceback)
        self.tasks_sent: list[str] = []
        # django.server does not propagate to the root logger.
        self._loggers = [logging.getLogger(), logging.getLogger("django.server")]

    def emit(self, record: logging.LogRecord) -> None:
        # Snapshot now: a later handler's filter (the console's masking) mutates the record.
        self.lines.append((record.name, f"{record.getMessage()}\n{_traceback_of(record)}"))

    def start(self, monkeypatch: Any) -> None:
        for logger in self._loggers:
            # First in line, so it sees each record before any other handler's filter does.
            logger.handlers.insert(0, self)
        original = Task.apply_async
        sent = self.tasks_sent

        def recording_apply_async(task, args=None, kwargs=None, *rest, **options):
            sent.append(f"{task.name} {args!r} {kwargs!r}")
            return original(task, args, kwargs, *rest, **options)

        monkeypatch.setattr(Task, "apply_async", recording_apply_async)

    def stop(self) -> None:
        for logger in self._loggers:
            logger.removeHandler(self)

    def leaks(self, secrets: Iterable[str]) -> list[str]:
        """Where any of ``secrets`` appeared: ``["log <logger>", "task <name>", …]``."""
        places = [
            (f"log {name}", text) for name, text in self.lines if not name.startswith(NOT_OURS)
        ] + [(f"task {text.split(' ', 1)[0]}", text) for text in self.tasks_sent]
        secrets = [s for s in secrets if s]
        return sorted({where for where, text in places for s in secrets if s in text})
