"""Test support: catch tokens and secrets that reach log records or Celery task arguments; check
markup drawn in Python (`html_tags`).

The root conftest runs every test under a `LeakRecorder` and checks it against every token a
Graph sandbox issued (design invariant 2, across the whole suite)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from html.parser import HTMLParser
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


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Peak resident memory above the starting level while the block runs."""

    def __enter__(self) -> PeakRSS:
        self.base = self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(0.002)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.base) / 1024**2


def flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested dict as one level, keys joined with dots (``{"a": {"b": 1}}`` → ``{"a.b": 1}``):
    two task messages compared key by key (lib/task_publish.py's tests)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict) and item:
            out.update(flat(item, f"{prefix}{key}."))
        else:
            out[prefix + key] = item
    return out


class HtmlTags(HTMLParser):
    """Every start tag with its attributes, checking each end tag closes the element it should
    (for markup drawn in Python: webhooks/thread_html.py, posting/publication_html.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.started.append((tag, dict(attrs)))
        if tag not in ("input", "br", "img"):  # void elements
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.started.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag, f"</{tag}> closes something else"


def html_tags(markup: str) -> HtmlTags:
    """``markup``'s tags, asserting every element is closed."""
    tags = HtmlTags()
    tags.feed(markup)
    assert tags.open == [], "an element is left open"
    return tags


def plan_nodes(sql: str) -> list[dict[str, Any]]:
    """Every node of PostgreSQL's executed plan for ``sql`` (``EXPLAIN (ANALYZE, FORMAT JSON)``
    on the default connection), the root first: for tests that hold a query to its index."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        [[[plan]]] = cursor.fetchall()
    nodes, pending = [], [plan["Plan"]]
    while pending:
        node = pending.pop(0)
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    return nodes


def run_on_sqlite(script: str, database: Any, *, timeout: int = 120) -> Any:
    """Run ``script`` (Python that prints a JSON line last) in a process of its own with
    development settings on a fresh SQLite file at ``database``, as `make run` has them on a
    laptop; returns that JSON. The suite itself runs on PostgreSQL."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TABLECAST_ENV": "development",
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_URL": "locmemcache://sqlite-run",
        "CELERY_BROKER_URL": "memory://",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "CRITICAL",
    }
    done = subprocess.run(  # noqa: S603 - a test's own script, with this Python
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
