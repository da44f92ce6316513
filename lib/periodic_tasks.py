"""Periodic tasks as data migrations (docs/conventions.md, "Tasks"): one helper, so an app's
migration lists its tasks and nothing else.

Each task is ``(name shown in admin, registered task name, {"minute": …, "hour": …})`` on a UTC
crontab. Applying creates or updates the rows (and tells beat to reload); reversing deletes them.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

Task = tuple[str, str, dict[str, str]]


def schedule(tasks: list[Task]) -> migrations.RunPython:
    def create(apps: Any, schema_editor: Any) -> None:
        from django.utils import timezone

        crontabs = apps.get_model("django_celery_beat", "CrontabSchedule")
        periodic = apps.get_model("django_celery_beat", "PeriodicTask")
        for name, task, cron in tasks:
            crontab, _ = crontabs.objects.get_or_create(
                minute=cron["minute"],
                hour=cron["hour"],
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone="UTC",
            )
            periodic.objects.update_or_create(
                name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
            )
        apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
            ident=1, defaults={"last_update": timezone.now()}
        )

    def remove(apps: Any, schema_editor: Any) -> None:
        periodic = apps.get_model("django_celery_beat", "PeriodicTask")
        periodic.objects.filter(name__in=[name for name, _, _ in tasks]).delete()

    return migrations.RunPython(create, remove)
