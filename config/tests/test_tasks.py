"""The task conventions (docs/conventions.md, "Tasks") hold for every app's tasks.py, and the
periodic tasks beat reads from the database name registered tasks."""

from __future__ import annotations

import inspect
import re

import pytest

from config.celery import app
from tenants.tasks import TenantTask

NAME = re.compile(r"^[a-z]+\.[a-z]+(_[a-z]+)+$")


def our_tasks():
    app.loader.import_default_modules()  # every app's tasks.py, as a worker would
    return [
        task
        for name, task in sorted(app.tasks.items())
        if not name.startswith("celery.") and task.run.__module__.endswith(".tasks")
    ]


def test_there_are_tasks_to_check():
    names = {task.name for task in our_tasks()}
    assert {"social.account_check", "assets.asset_render"} <= names


@pytest.mark.parametrize("task", our_tasks(), ids=lambda t: t.name)
def test_a_task_is_named_app_dot_its_function_and_takes_keyword_only_arguments(task):
    app_label = task.run.__module__.split(".")[0]
    assert NAME.match(task.name), task.name
    assert task.name == f"{app_label}.{task.run.__name__}"
    parameters = list(inspect.signature(task.run).parameters.values())
    assert all(p.kind is p.KEYWORD_ONLY for p in parameters), parameters
    if isinstance(task, TenantTask):
        assert "tenant_id" in {p.name for p in parameters}


@pytest.mark.parametrize(
    ("name", "queue"),
    [
        ("posting.post_publish", "publish"),
        ("webhooks.event_process", "webhooks"),
        ("social.account_check", "default"),
        ("assets.asset_render", "default"),
    ],
)
def test_queues_are_routed_by_task_name(name, queue):
    assert app.amqp.router.route({}, name)["queue"].name == queue


def test_every_periodic_task_in_the_database_names_a_registered_task(db):
    from django_celery_beat.models import PeriodicTask

    registered = {task.name for task in our_tasks()}
    stored = set(PeriodicTask.objects.values_list("task", flat=True))
    assert stored
    assert stored <= registered, stored - registered
