"""Rename the social app's Celery tasks to "<app>.<thing>_<action>" (docs/conventions.md,
"Tasks"): the periodic tasks stored by 0002 follow, so beat keeps sending registered names."""

from django.db import migrations

RENAMES = {
    "social.check_all_tokens": "social.accounts_check",
    "social.refresh_user_tokens": "social.user_tokens_refresh",
    "social.purge_oauth_states": "social.oauth_states_purge",
}


def _rename(apps, mapping):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for old, new in mapping.items():
        PeriodicTask.objects.filter(task=old).update(task=new)
    # Tell a running beat that the schedule changed.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def forwards(apps, schema_editor):
    _rename(apps, RENAMES)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMES.items()})


class Migration(migrations.Migration):
    dependencies = [("social", "0002_periodic_tasks")]
    operations = [migrations.RunPython(forwards, backwards)]
