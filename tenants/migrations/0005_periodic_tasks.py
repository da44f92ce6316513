"""The tenants app's periodic task (django-celery-beat), visible and editable in admin: daily at
03:17 UTC, remove sign-ups never confirmed within SIGNUP_UNCONFIRMED_DAYS."""

from django.db import migrations

from lib.periodic_tasks import schedule


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_pending_signup"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule(
            [("tenants: remove unconfirmed sign-ups", "tenants.signups_purge", {"minute": "17", "hour": "3"})]
        )
    ]
