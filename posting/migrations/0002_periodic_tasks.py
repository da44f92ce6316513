"""Create the publishing engine's periodic tasks (django-celery-beat), editable in admin.

- every minute: claim due publications and enqueue one publish task each (posting.dispatch)
- every minute: sweep publications stuck in "publishing" (a worker died) to reconciliation,
  and re-enqueue reconciliation of those waiting for it
"""

from django.db import migrations

TASKS = [
    ("posting: dispatch due publications", "posting.publications_dispatch"),
    ("posting: sweep stuck publications", "posting.publications_sweep"),
]


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="*", hour="*", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="UTC",
    )
    for name, task in TASKS:
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task, "crontab": schedule, "enabled": True, "queue": "publish"},
        )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("posting", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
