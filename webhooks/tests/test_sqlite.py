"""The embedded default runs on SQLite: the receiver's insert (the same ``ON CONFLICT DO NOTHING``
SQL as on PostgreSQL) must store each item once there too. Runs in a process of its own with
development settings on a fresh SQLite file, as `make run` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, os, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.db import connection
from django.test import Client
from tenants.scoping import scopes_disabled
from webhooks import tasks
from webhooks.models import WebhookEvent
from webhooks.tests.helpers import message_item, messaging_payload, meta_bytes, sign
sent = []
tasks.delivery_enqueue = sent.append
body = meta_bytes(messaging_payload("1", message_item(page_id="1", sender="2", text="Città"),
                                    message_item(page_id="1", sender="3", text="Hi")))
statuses = [Client().generic("POST", "/webhooks/facebook", body, content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=sign(body)).status_code for _ in range(3)]
with scopes_disabled():
    print(json.dumps({"vendor": connection.vendor, "statuses": statuses,
                      "rows": WebhookEvent.objects.count(), "enqueued": len(sent)}))
"""


@pytest.mark.slow
def test_on_sqlite_a_replayed_delivery_is_stored_once(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TABLECAST_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"vendor": "sqlite", "statuses": [200, 200, 200], "rows": 2, "enqueued": 1}
