"""Create the webhooks app's periodic tasks (django-celery-beat), visible and editable in admin.

- daily purge of webhook events past WEBHOOK_RETENTION_DAYS (never under 7 days), at 02:41 UTC
- every 5 minutes, re-enqueue deliveries whose events are still pending (a lost task)
"""

from django.db import migrations

TASKS = [
    ("webhooks: purge old events", "webhooks.events_purge", {"minute": "41", "hour": "2"}),
    ("webhooks: re-enqueue stuck deliveries", "webhooks.events_sweep", {"minute": "*/5", "hour": "*"}),
]


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, task, cron in TASKS:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=cron["minute"], hour=cron["hour"], day_of_week="*", day_of_month="*",
            month_of_year="*", timezone="UTC",
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "enabled": True}
        )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
