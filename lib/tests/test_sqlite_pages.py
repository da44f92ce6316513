"""`make run` on a laptop uses the embedded default, SQLite, while the suite runs on PostgreSQL:
a page whose query only PostgreSQL understands would answer 500 to a new user and pass every
other test (the analytics dashboard once did). Here every portal page the pages benchmark
measures, and every admin list, is requested on a fresh SQLite file with the benchmark's data
(a smaller size), in a process of its own with development settings, as `make run` has them."""

from __future__ import annotations

import pytest

from lib.testing import run_on_sqlite

SCRIPT = """
import json, django
django.setup()
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
call_command("migrate", verbosity=0)
from bench import bench_pages as bp
bp.ASSETS, bp.POSTS, bp.CONVERSATIONS, bp.THREAD = 12, 30, 12, 4
bp._refresh_search = lambda tenant: None  # the benchmark's shortcut is PostgreSQL's SQL
data = bp._seed()
owner, staff = Client(), Client()
owner.force_login(data.owner)
staff.force_login(data.staff)
statuses = {}
for page in bp.PORTAL_PAGES:
    url = reverse(page.url_name, kwargs={"tenant_slug": data.tenant.slug, **page.kwargs(data)})
    response = owner.get(f"{url}?{page.query}" if page.query else url)
    statuses[page.label] = response.status_code
for model in admin.site._registry:
    opts = model._meta
    response = staff.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    statuses[f"admin {opts.label_lower}"] = response.status_code
print(json.dumps({"vendor": connection.vendor, "statuses": statuses}))
"""


@pytest.mark.slow
def test_every_portal_page_and_admin_list_answers_on_sqlite(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path / "db.sqlite3", timeout=300)
    assert result["vendor"] == "sqlite"
    statuses = result["statuses"]
    assert len(statuses) >= 40  # every page of the benchmark and every admin list
    assert {label: status for label, status in statuses.items() if status != 200} == {}
