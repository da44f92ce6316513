"""Only one beat sends tasks (RELIABILITY §4: duplicate schedulers fire duplicate tasks)."""

import time

import pytest
from django.db import connection

from config.beat import BeatLock, SingleBeatScheduler


@pytest.mark.django_db(transaction=True)
def test_a_second_beat_cannot_take_the_postgres_lock_until_the_first_dies():
    first, second = BeatLock(), BeatLock()
    try:
        assert first.held() is True
        assert first.held() is True  # the holder keeps it on every tick
        assert second.held() is False
        first.release()  # the process died: its connection closed
        assert second.held() is True
    finally:
        first.release()
        second.release()


@pytest.mark.django_db(transaction=True)
def test_a_killed_holder_frees_the_lock_for_the_standby_and_knows_it_lost_it():
    first, second = BeatLock(), BeatLock()
    try:
        assert first.held() is True
        with connection.cursor() as cursor:  # the holder's server session dies abruptly
            cursor.execute(
                "SELECT pg_terminate_backend(%s)", [first._conn.connection.info.backend_pid]
            )
        deadline = time.monotonic() + 10
        while not second.held() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.held() is True
        assert first.held() is False
    finally:
        first.release()
        second.release()


def test_the_file_lock_is_exclusive_and_released_with_its_holder(tmp_path, monkeypatch):
    monkeypatch.setattr(BeatLock, "_postgres", property(lambda self: False))  # as on SQLite
    first, second = (
        BeatLock(lock_path=tmp_path / "beat.lock"),
        BeatLock(lock_path=tmp_path / "beat.lock"),
    )
    try:
        assert first.held() is True
        assert second.held() is False
        first.release()
        assert second.held() is True
    finally:
        first.release()
        second.release()


def test_a_beat_without_the_lock_sends_nothing(monkeypatch):
    sent = []
    scheduler = SingleBeatScheduler.__new__(SingleBeatScheduler)
    scheduler._waiting_logged = False
    scheduler.beat_lock = type("NeverHeld", (), {"held": lambda self: False})()
    monkeypatch.setattr(
        "django_celery_beat.schedulers.DatabaseScheduler.tick", lambda self, *a, **k: sent.append(1)
    )
    assert scheduler.tick() == 5.0
    assert sent == []


def test_beat_uses_the_locking_scheduler(settings):
    assert settings.CELERY_BEAT_SCHEDULER == "config.beat:SingleBeatScheduler"
