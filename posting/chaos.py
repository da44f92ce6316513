"""The J1 chaos run (RELIABILITY J1, docs/publishing.md): real Celery worker processes and two
beat processes publish due publications to a Graph sandbox over HTTP while every publish task
is enqueued a second time and workers are killed with SIGKILL at random; then the sandbox must
hold exactly one post per publication.

Used by `posting/tests/test_j1_workers.py` (CI size) and `bench/bench_publishing.py` (full
size). Loopback only: the processes talk to the local PostgreSQL, Redis and sandbox.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from posting.models import Publication
from tenants.scoping import scopes_disabled

ROOT = Path(__file__).resolve().parent.parent
S = Publication.State


@dataclass
class ChaosResult:
    publications: int
    published: int
    seconds: float
    kills: int
    duplicates_sent: int
    states: dict[str, int] = field(default_factory=dict)
    claim_to_start: list[float] = field(default_factory=list)


def database_url() -> str:
    db = settings.DATABASES["default"]
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db.get('USER') or 'postgres'}@{host}:{port}/{db['NAME']}"


def schedule_fast_beat(seconds: int = 2) -> None:
    """Dispatcher and sweeper every few seconds instead of every minute (the run is short)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    every, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    # Last run long ago (not "when the row changed", django-celery-beat's default): due at once
    # even for processes whose clock is shifted into the past (J7, `posting.chaos_app`).
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    for task in ("posting.publications_dispatch", "posting.publications_sweep"):
        PeriodicTask.objects.update_or_create(
            name=f"chaos {task}",
            defaults={"task": task, "interval": every, "enabled": True, "last_run_at": long_ago},
        )
    PeriodicTask.objects.exclude(name__startswith="chaos ").update(enabled=False)
    PeriodicTasks.update_changed()


class Chaos:
    """Start ``workers`` worker processes and ``beats`` beat processes with ``env``; kill
    workers at random while publications drain; every publish task is sent twice."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        workers: int = 4,
        beats: int = 2,
        kills: int = 5,
        kill_window: float = 20.0,
        log_dir: Path,
        seed: int = 1,
        duplicate: bool = True,
        beat_args: tuple[str, ...] = (),
        threads: int = 1,
        app: str = "config",
        respawn: bool = False,
    ) -> None:
        self.env = {**os.environ, **env}
        self.n_workers, self.n_beats, self.n_kills = workers, beats, kills
        self.kill_window = kill_window
        self.log_dir = log_dir
        self.random = random.Random(seed)
        self.duplicate = duplicate
        self.beat_args = beat_args
        # The Celery app the processes load (`posting.chaos_crash`: workers that die after
        # Facebook accepted a post, J2); with ``respawn`` a worker that died is replaced while
        # waiting for the drain, and counted in ``deaths``.
        self.app, self.respawn = app, respawn
        self.deaths = 0
        # One process per worker; with threads > 1 each runs that many tasks at once.
        self.pool = (
            ["--pool", "solo"] if threads <= 1 else ["--pool", "threads", "-c", str(threads)]
        )
        self.workers: list[subprocess.Popen[bytes]] = []
        self.beats: list[subprocess.Popen[bytes]] = []
        self.kills_done = 0
        self.duplicates_sent = 0
        self._seen: set[tuple[Any, int]] = set()
        self._stop = threading.Event()
        self._counter = 0

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"chaos-{name}.log", "ab")  # noqa: SIM115 (lives with the process)
        return subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
            [sys.executable, "-m", "celery", "-A", self.app, *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _worker(self) -> subprocess.Popen[bytes]:
        self._counter += 1
        name = f"w{self._counter}"
        return self._spawn(
            [
                "worker", "-Q", "publish", *self.pool, "-n", f"{name}@chaos",
                "--without-heartbeat", "--without-gossip", "--without-mingle",
                "--loglevel", "WARNING",
            ],
            name,
        )  # fmt: skip

    def start(self) -> None:
        self.workers = [self._worker() for _ in range(self.n_workers)]
        self.beats = [
            self._spawn(
                [
                    "beat",
                    "--loglevel",
                    "WARNING",
                    "-s",
                    str(self.log_dir / f"beat-{i}.db"),
                    *self.beat_args,
                ],
                f"beat{i}",
            )
            for i in range(self.n_beats)
        ]
        if self.duplicate:
            threading.Thread(target=self._duplicate_every_claim, daemon=True).start()

    def _duplicate_every_claim(self) -> None:
        """Send each claim's publish task a second time (J1: every task enqueued twice)."""
        from posting.tasks import publication_publish

        try:
            while not self._stop.is_set():
                with scopes_disabled():
                    rows = list(
                        # Published too: a claim can be published within one poll, and its
                        # duplicate must still be sent (and then do nothing).
                        Publication.objects.filter(
                            state__in=(S.PUBLISHING, S.PUBLISHED)
                        ).values_list("pk", "tenant_id", "attempt_count")
                    )
                for pk, tenant_id, number in rows:
                    if (pk, number) not in self._seen:
                        self._seen.add((pk, number))
                        publication_publish.apply_async(
                            kwargs={"tenant_id": tenant_id, "publication_id": pk}
                        )
                        self.duplicates_sent += 1
                time.sleep(0.1)
        finally:
            connections.close_all()

    def kill_some(self) -> None:
        """``kills`` SIGKILLs at random moments within ``kill_window`` seconds, each victim
        replaced by a fresh worker so the pool keeps its size."""
        moments = sorted(self.random.uniform(1, self.kill_window) for _ in range(self.n_kills))
        started = time.monotonic()
        for moment in moments:
            time.sleep(max(0.0, moment - (time.monotonic() - started)))
            victim = self.random.randrange(len(self.workers))
            os.killpg(self.workers[victim].pid, signal.SIGKILL)
            self.workers[victim].wait()
            self.kills_done += 1
            self.workers[victim] = self._worker()

    def wait_until_drained(self, *, expected: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.respawn:
                self.respawn_dead()
            with scopes_disabled():
                done = Publication.objects.filter(state=S.PUBLISHED).count()
            if done >= expected:
                return True
            time.sleep(0.5)
        return False

    def wait_for(self, done: Callable[[], bool], *, timeout: float, step: float = 0.3) -> bool:
        """Poll ``done()`` until it is true (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return True
            time.sleep(step)
        return bool(done())

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The spy's events (`posting.chaos_app`, ``CHAOS_SPY_FILE``), optionally of one kind."""
        path = self.env.get("CHAOS_SPY_FILE")
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines() if path else []
        except FileNotFoundError:
            lines = []
        events = [json.loads(line) for line in lines if line.strip()]
        return [e for e in events if kind is None or e["event"] == kind]

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Every worker started so far reported ready (needs the spy)."""
        return self.wait_for(lambda: len(self.events("ready")) >= self._counter, timeout=timeout)

    def drain(self, *, expected: int, timeout: float) -> bool:
        """Start, make the ``kills`` (if any), wait until ``expected`` publications are
        published, and stop every process whatever happened."""
        try:
            self.start()
            if self.n_kills:
                self.kill_some()
            drained = self.wait_until_drained(expected=expected, timeout=timeout)
            if drained and self.duplicate:
                self._wait_for_duplicates(expected)
            return drained
        finally:
            self.stop()

    def _wait_for_duplicates(self, expected: int, timeout: float = 10.0) -> None:
        """Every claim's second task is sent, and the workers get a moment to take the last ones
        (which must do nothing) before they are stopped."""
        deadline = time.monotonic() + timeout
        while self.duplicates_sent < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)

    def logs(self, tail: int = 2000) -> str:
        """The last ``tail`` characters of each process's log, for a failure message."""
        logs = sorted(self.log_dir.glob("chaos-*.log"))
        return "\n".join(log.read_text(errors="replace")[-tail:] for log in logs)

    def respawn_dead(self) -> None:
        """Replace every worker that exited on its own by a fresh one."""
        for index, process in enumerate(self.workers):
            if process.poll() is not None:
                self.deaths += 1
                self.workers[index] = self._worker()

    def stop(self) -> None:
        self._stop.set()
        for process in self.workers + self.beats:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.workers + self.beats:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def purge_publish_queue() -> None:
    from config.celery import app

    with app.connection_for_write() as connection:
        channel: Any = connection.default_channel
        channel.queue_purge("publish")
        # Messages a killed worker held (J1, J2) wait in the transport's "unacked" set and would
        # come back, redelivered, into the next run: drop them too.
        if hasattr(channel, "unacked_key"):
            channel.client.delete(channel.unacked_key, channel.unacked_index_key)


def chaos_env(*, sandbox: Any, **overrides: Any) -> dict[str, str]:
    """The worker and beat processes' environment: this test database, this broker, the
    sandbox as Facebook, short stuck / reconcile delays so a run takes seconds."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "TABLECAST_ENV": "test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "FACEBOOK_GRAPH_URL": sandbox.url,
        "FACEBOOK_APP_ID": sandbox.app_id,
        "FACEBOOK_APP_SECRET": sandbox.app_secret,
        # A call lasts at most connect + read timeout (5 s) < "stuck" (8 s): a live worker
        # is never taken for a dead one.
        "PUBLISH_STUCK_AFTER_SECONDS": "8",
        "PUBLISH_RECONCILE_DELAY_SECONDS": "1",
        "PUBLISH_BACKOFF_BASE_SECONDS": "1",
        "PUBLISH_BACKOFF_MAX_SECONDS": "2",
        "GRAPH_CONNECT_TIMEOUT": "2",
        "GRAPH_READ_TIMEOUT": "3",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    if os.environ.get("CACHE_URL"):  # the same cache, so Page budgets are shared
        env["CACHE_URL"] = os.environ["CACHE_URL"]
    env.update({k: str(v) for k, v in overrides.items()})
    return env
