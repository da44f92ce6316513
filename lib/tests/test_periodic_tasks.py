"""lib.periodic_tasks: the data-migration helper creates, updates and removes beat's rows."""

from __future__ import annotations

from django.apps import apps
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from lib.periodic_tasks import schedule


def test_schedule_creates_updates_and_removes_the_rows(db):
    operation = schedule(
        [("lib: a test task", "tenants.signups_purge", {"minute": "5", "hour": "4"})]
    )
    operation.code(apps, None)
    row = PeriodicTask.objects.get(name="lib: a test task")
    assert (row.task, row.crontab.minute, row.crontab.hour, str(row.crontab.timezone)) == (
        "tenants.signups_purge",
        "5",
        "4",
        "UTC",
    )
    assert row.enabled
    changed_at = PeriodicTasks.objects.get(ident=1).last_update
    moved = schedule([("lib: a test task", "tenants.signups_purge", {"minute": "6", "hour": "4"})])
    moved.code(apps, None)  # applied again with another time: the same row, moved
    row = PeriodicTask.objects.get(name="lib: a test task")
    assert row.crontab.minute == "6"
    assert PeriodicTasks.objects.get(ident=1).last_update >= changed_at
    moved.reverse_code(apps, None)
    assert not PeriodicTask.objects.filter(name="lib: a test task").exists()


def test_the_tenants_purge_is_scheduled_daily(db):
    row = PeriodicTask.objects.get(task="tenants.signups_purge")
    assert (row.crontab.minute, row.crontab.hour, row.crontab.day_of_week) == ("17", "3", "*")
