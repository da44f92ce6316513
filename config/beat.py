"""Celery beat that refuses to run twice.

Celery's docs: "ensure only a single scheduler is running … otherwise you'd end up with duplicate
tasks". A second beat (a mistaken replica, an overlapping deploy) is a real risk, so the scheduler
holds a lock and only sends tasks while it holds it:

- PostgreSQL: a session advisory lock on a dedicated connection. If the process dies, the
  connection closes and PostgreSQL releases the lock, so a standby beat takes over.
- Anything else (SQLite in the embedded default): an exclusive `flock` on `var/beat.lock`, which
  the kernel releases when the process dies.

A beat without the lock keeps trying every few seconds and sends nothing meanwhile.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

# An arbitrary, fixed 64-bit key for pg_try_advisory_lock: "tablecast beat".
ADVISORY_LOCK_KEY = 0x7461626C65626561
RETRY_SECONDS = 5.0


class BeatLock:
    """A process-wide lock for the one beat that may run. `held()` tries to (re)acquire."""

    def __init__(self, alias: str = "default", lock_path: Path | None = None) -> None:
        self.alias = alias
        self.lock_path = lock_path or Path(settings.BASE_DIR) / "var" / "beat.lock"
        self._conn: Any = None
        self._fd: int | None = None

    @property
    def _postgres(self) -> bool:
        return settings.DATABASES[self.alias]["ENGINE"].endswith("postgresql")

    def held(self) -> bool:
        try:
            return self._try_postgres() if self._postgres else self._try_file()
        except Exception as exc:  # a dropped connection means we may have lost the lock
            logger.warning("beat lock check failed (%s); will retry", type(exc).__name__)
            self.release()
            return False

    def _try_postgres(self) -> bool:
        if self._conn is None:
            # A connection of our own: the lock lives exactly as long as it does.
            self._conn = connections.create_connection(self.alias)
            self._conn.ensure_connection()
        with self._conn.cursor() as cursor:
            # Re-entrant for the holder, so calling it on every tick also proves the session lives.
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            return bool(cursor.fetchone()[0])

    def _try_file(self) -> bool:
        if self._fd is not None:
            return True
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._conn is not None:
            try:
                # Unlock explicitly: a closed socket frees the lock only once the server's
                # backend notices, which a standby beat could race.
                with self._conn.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock_all()")
            except Exception:  # already broken: closing it releases the lock anyway
                logger.debug("beat lock connection was already gone")
            finally:
                self._conn.close()
                self._conn = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class SingleBeatScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler, sending only while it holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.beat_lock = BeatLock()
        self._waiting_logged = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self.beat_lock.held():
            if not self._waiting_logged:
                logger.warning("another beat holds the lock; standing by (sending nothing)")
                self._waiting_logged = True
            return RETRY_SECONDS
        if self._waiting_logged:
            logger.info("beat lock acquired; scheduling")
            self._waiting_logged = False
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.beat_lock.release()
