"""Shared fixtures. Like pretix's test suite, fixtures run with scopes disabled (they build
data for several tenants), while requests under test go through the real middleware and run
scoped."""

from __future__ import annotations

import os
import shutil

import pytest

from lib.browser_checks import PageWatch
from tenants.scoping import scopes_disabled

pytest_plugins = ["sandbox.pytest_plugin", "openai_sandbox.pytest_plugin"]


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    with scopes_disabled():
        return (yield)


@pytest.fixture(scope="session", autouse=True)
def live_server_serves_the_front_door():
    """The live server (end-to-end and browser tests) serves what gunicorn serves: Django's
    application behind the webhook receiver's front door (config/wsgi.py, webhooks/wsgi.py)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import testcases

    from webhooks.wsgi import ReceiverFront

    testcases.WSGIHandler = lambda: ReceiverFront(WSGIHandler())  # type: ignore[misc,assignment]
    yield
    testcases.WSGIHandler = WSGIHandler  # type: ignore[misc]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """With ``--reuse-db`` (`make mutation` runs the tests this way, docs/mutation.md) the test
    database comes from an earlier run whose transactional tests flushed every table, the beat
    schedule that the ``*_periodic_tasks`` data migrations store among them: replay those
    migrations then. A new test database has the schedule, and this only looks."""
    from django_celery_beat.models import PeriodicTask

    with django_db_blocker.unblock():
        if not PeriodicTask.objects.exists():
            _replay_schedule_migrations()


def _replay_schedule_migrations() -> None:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection)
    plan = dict.fromkeys(
        k for leaf in loader.graph.leaf_nodes() for k in loader.graph.forwards_plan(leaf)
    )
    for key in plan:  # in dependency order: social's 0003 renames what its 0002 stored
        if "periodic_tasks" in key[1]:
            apps = loader.project_state(key, at_end=False).apps
            for operation in loader.graph.nodes[key].operations:
                if isinstance(operation, RunPython):
                    with connection.schema_editor() as editor:
                        operation.code(apps, editor)


@pytest.fixture(autouse=True)
def no_issued_token_in_logs_or_task_arguments(monkeypatch):
    """Design invariant 2, across the whole suite: no token or app secret that a Graph sandbox
    issued during a test may reach a log record (raw, before any masking) or the arguments of
    a Celery task sent during that test."""
    from lib.testing import LeakRecorder
    from sandbox.pytest_plugin import ISSUED_SECRETS

    recorder = LeakRecorder()
    recorder.start(monkeypatch)
    try:
        yield
    finally:
        recorder.stop()
    # Sandboxes stop (and record what they issued) before this autouse fixture's teardown.
    leaks = recorder.leaks(ISSUED_SECRETS)
    if leaks:
        pytest.fail(f"a sandbox-issued token or secret appeared in: {leaks}")


@pytest.fixture(autouse=True)
def fresh_throttle_counts(settings):
    """Every test starts with no log-in, reset or sign-up attempts counted (lib/throttle.py)."""
    from django.core.cache import caches

    caches[settings.THROTTLE_CACHE].clear()


@pytest.fixture
def tenant(db):
    from tenants.testing import make_tenant

    return make_tenant("Trattoria Alba", slug="alba")


@pytest.fixture
def other_tenant(db):
    from tenants.testing import make_tenant

    return make_tenant("Bistro Bruno", slug="bruno", timezone="America/New_York")


@pytest.fixture
def owner(tenant):
    from tenants.testing import make_member

    return make_member(tenant, role="owner")


@pytest.fixture
def staff_member(tenant):
    from tenants.testing import make_member

    return make_member(tenant, role="staff")


@pytest.fixture
def outsider(other_tenant):
    """The owner of another restaurant: must never see ours (a 404, not a 403)."""
    from tenants.testing import make_member

    return make_member(other_tenant, role="owner")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def staff_client(client, staff_member):
    client.force_login(staff_member)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Playwright driving Debian's Chromium (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium is missing: `apt-get install -y chromium` (make test does this as root)."
            )
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread from here on, and
    # Django refuses ORM calls from a thread with a running loop unless told this is deliberate.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page_watch() -> PageWatch:
    """What the `page` fixture saw: pages visited, axe verdicts, console errors, static 404s."""
    return PageWatch()


@pytest.fixture
def page(browser, page_watch, request):
    """A fresh page at 1366 x 900. Every page it shows is checked with axe-core at the width it
    was shown at (WCAG 2.1 A/AA and best practice): a critical or serious violation, or a static
    file answering 404, fails the test; moderate ones are reported as warnings. The verdicts are
    saved under test-results/axe/ (docs/accessibility.md)."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page_watch.attach(page)
    yield page
    failures: list[str] = []
    try:
        if not page.is_closed():
            failures = page_watch.finish(page)
            page_watch.save(request.node.nodeid)
    finally:
        context.close()
    if failures:
        pytest.fail("accessibility check of the pages this test visited:\n" + "\n".join(failures))
