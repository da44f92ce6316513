"""The suite-wide check in the root conftest would notice a token in a log line or a task
argument, and knows every token a sandbox issued."""

import logging

from celery import shared_task

from lib.testing import LeakRecorder
from sandbox.pytest_plugin import ISSUED_SECRETS, _remember_secrets


@shared_task(name="lib.tests.echo")
def echo(*args, **kwargs):
    return None


def _mint(sb) -> str:
    minted = sb.mint_token(sb.user_by_name("Maria Rossi")["id"], ["pages_show_list"])
    return minted["token"]


def test_a_token_in_a_log_line_or_task_argument_is_reported(monkeypatch, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Not sandbox-issued, so the suite-wide fixture around this very test stays quiet.
    token = "EAAtest" + "x7" * 40
    recorder = LeakRecorder()
    recorder.start(monkeypatch)
    try:
        logging.getLogger("social.services").warning("calling Graph with %s", token)
        echo.apply_async(kwargs={"token": token})
        logging.getLogger("sandbox.graph").warning("Facebook's own side saw %s", token)
    finally:
        recorder.stop()
    assert recorder.leaks([token]) == ["log social.services", "task lib.tests.echo"]


def test_clean_records_and_id_only_tasks_report_nothing(monkeypatch, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    recorder = LeakRecorder()
    recorder.start(monkeypatch)
    try:
        logging.getLogger("social.services").warning("checked account %s", 42)
        echo.apply_async(kwargs={"account_id": 42})
    finally:
        recorder.stop()
    assert recorder.leaks(["EAAsecret-token-value"]) == []


def test_a_stopping_sandbox_records_every_token_it_issued(graph_sandbox):
    token = _mint(graph_sandbox)
    _remember_secrets(graph_sandbox.server)
    assert token in ISSUED_SECRETS
    assert graph_sandbox.app_secret in ISSUED_SECRETS
