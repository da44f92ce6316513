"""Test helpers for publishing against the Graph sandbox's default world (posting/tests and
posting/browser_tests): point the app at a sandbox, run Celery tasks in-process, and connect
Maria Rossi's "Trattoria da Maria" Page with its Instagram account to a restaurant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from posting.tests.factories import make_instagram, make_page

MARIA = "10160000000000001"
PAGE_ID = "104512398765001"
IG_ID = "17841400000000001"
SCOPES = [
    "pages_manage_posts",
    "pages_read_engagement",
    "instagram_basic",
    "instagram_content_publish",
]


def point_at_sandbox(settings: Any, sb: Any, live_server: Any) -> None:
    """The app talks to `sb` as Facebook; the sandbox fetches renditions from `live_server`."""
    settings.FACEBOOK_GRAPH_URL = sb.url
    settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET = sb.app_id, sb.app_secret
    settings.SITE_URL = live_server.url
    settings.PUBLIC_MEDIA_BASE_URL = ""
    settings.GRAPH_READ_TIMEOUT = 1.0
    sb.control("POST", "limits", json={"container_processing_seconds": 0})


@contextmanager
def tasks_in_process() -> Iterator[None]:
    """Celery tasks run eagerly in the test's process (the worker processes are exercised by
    posting/tests/test_j1_workers.py)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


def connect_maria(sb: Any, tenant: Any) -> tuple[Any, Any]:
    """The sandbox's Page and its Instagram account, connected to `tenant` with a real token."""
    token = sb.mint_token(MARIA, SCOPES, page_id=PAGE_ID)["token"]
    page = make_page(tenant, external_id=PAGE_ID, name="Trattoria da Maria", token=token)
    ig = make_instagram(tenant, page=page, external_id=IG_ID, name="trattoriadamaria")
    return page, ig
