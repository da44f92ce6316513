from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from webhooks.tests.helpers import IG_ID, MARIA, PAGE_ID, SCOPES, Enqueued, account


@pytest.fixture
def enqueued(monkeypatch) -> Enqueued:
    """The receiver's enqueue, recorded instead of sent to the broker."""
    from webhooks import tasks

    recorder = Enqueued()
    monkeypatch.setattr(tasks, "delivery_enqueue", recorder)
    return recorder


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker (this test's Redis database as broker) consuming the default and
    webhooks queues in a thread, as the worker process does in production. Leftover messages
    of earlier tests are purged first."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import setup_logging, task_postrun
    from django.test import override_settings

    from config.celery import app

    with app.connection_for_write() as connection:
        for queue in ("default", "webhooks"):
            connection.default_channel.queue_purge(queue)  # type: ignore[attr-defined]  # kombu virtual channels have it
    # Left to itself, the worker would set up logging for the rest of this process: the root
    # logger emptied of its handlers (the suite-wide leak check's among them) and set to ERROR,
    # so later tests' log lines would go unchecked. A receiver of `setup_logging` stops that.
    # The first worker of a process also runs django.setup() again (Celery's Django fixup, when
    # it imports the task modules), which would apply settings.LOGGING afresh with the same
    # effect: LOGGING_CONFIG=None makes that setup leave logging alone.
    setup_logging.connect(_keep_the_suites_logging)
    # Workers keep their database connections between tasks (config/celery.py); this one's
    # threads end with the test, so they close theirs after each task, or the test database
    # could not be dropped at the end of the run.
    task_postrun.connect(_close_the_threads_connections)
    try:
        with (
            override_settings(LOGGING_CONFIG=None),
            start_worker(
                app,
                pool="threads",
                concurrency=2,
                perform_ping_check=False,
                queues=["default", "webhooks"],
            ) as worker,
        ):
            yield worker
    finally:
        setup_logging.disconnect(_keep_the_suites_logging)
        task_postrun.disconnect(_close_the_threads_connections)


def _keep_the_suites_logging(**kwargs: object) -> None:
    """Celery configures logging only when no receiver of `setup_logging` is connected."""


def _close_the_threads_connections(task: Any = None, **kwargs: object) -> None:
    from django.db import connections

    if task is not None and not getattr(task.request, "is_eager", False):  # a worker thread's
        connections.close_all()


@pytest.fixture
def world(live_server, graph_sandbox_factory, celery_worker_thread):
    """The restaurant with Trattoria da Maria's Page and Instagram connected to the sandbox,
    whose webhooks go to the live server; its owner, and a test client logged in as them."""
    from django.test import Client, override_settings

    from social.graph import GraphClient, connect
    from tenants.testing import make_member, make_tenant

    sb = graph_sandbox_factory(app_url=live_server.url)
    with override_settings(
        FACEBOOK_GRAPH_URL=sb.url,
        FACEBOOK_APP_ID=sb.app_id,
        FACEBOOK_APP_SECRET=sb.app_secret,
        FACEBOOK_WEBHOOK_VERIFY_TOKEN=sb.verify_token,
        WEBHOOK_AUTO_REPLY_INTERVAL_MINUTES=0,
        WEBHOOK_INBOX_POLL_SECONDS=1,
    ):
        tenant = make_tenant(
            "Trattoria da Maria",
            opening_hours={
                "mon": [],
                "tue": [],
                "wed": [],
                "thu": [],
                "fri": [],
                "sat": [{"open": "19:00", "close": "23:00"}],
                "sun": [{"open": "12:00", "close": "16:00"}],
            },
        )
        token = sb.mint_token(MARIA, SCOPES, page_id=PAGE_ID)["token"]
        page = account(
            tenant,
            external_id=PAGE_ID,
            name="Trattoria da Maria",
            page_token=token,
            webhooks_subscribed=True,
        )
        ig = account(
            tenant,
            kind="instagram",
            external_id=IG_ID,
            name="@trattoriadamaria",
            page_token="",
            linked_page=page,
        )
        assert connect.subscribe_page(
            GraphClient(), page_id=PAGE_ID, page_token=token, fields=("feed", "messages")
        )
        owner = make_member(tenant)
        client = Client()
        client.force_login(owner)
        yield SimpleNamespace(sb=sb, tenant=tenant, page=page, ig=ig, client=client, owner=owner)
