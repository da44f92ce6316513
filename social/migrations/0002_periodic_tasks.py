"""Create the social app's periodic tasks (django-celery-beat), visible and editable in admin.

- daily token check at 03:17 UTC (spreads per-account checks over SOCIAL_TOKEN_CHECK_WINDOW_SECONDS)
- daily refresh of long-lived user tokens close to their end, at 04:07 UTC
- hourly purge of expired OAuth states and abandoned page pickers
"""

from django.db import migrations

TASKS = [
    ("social: daily token check", "social.check_all_tokens", {"minute": "17", "hour": "3"}),
    ("social: refresh long-lived user tokens", "social.refresh_user_tokens", {"minute": "7", "hour": "4"}),
    ("social: purge expired OAuth states", "social.purge_oauth_states", {"minute": "5", "hour": "*"}),
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
    # Tell a running beat that the schedule changed.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("social", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
