"""The Celery app. Workers, beat and the web process share settings via Django."""

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tablecast")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_checked(task: Any = None, **kwargs: Any) -> None:
    """Each task is treated as Django treats a request: before and after it, a connection
    older than ``CONN_MAX_AGE``, or one an error left unusable, is closed, and the others are
    kept (checked before their next query, ``CONN_HEALTH_CHECKS``). Celery's own rule, which
    settings turn off (``CELERY_DB_REUSE_MAX``), closes every connection before and after every
    task, so each task paid for a new PostgreSQL connection: a new server process, TLS and
    authentication in production (docs/performance.md, "Publishing pipeline")."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # run in the caller's thread: its connections are the caller's business
    from django.db import close_old_connections

    close_old_connections()
