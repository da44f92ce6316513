"""The embedded default runs on SQLite: the receiver's insert (the same ``ON CONFLICT DO NOTHING``
SQL as on PostgreSQL) must store each item once there too. Runs in a process of its own with
development settings on a fresh SQLite file, as `make run` does."""

from __future__ import annotations

import pytest

from lib.testing import run_on_sqlite

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
    result = run_on_sqlite(SCRIPT, tmp_path / "db.sqlite3")
    assert result == {"vendor": "sqlite", "statuses": [200, 200, 200], "rows": 2, "enqueued": 1}
