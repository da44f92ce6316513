"""Start-up (issue 9 item 14): the app's URLs follow `--app-url` instead of a fixed port
8000, nothing in the package shadows the standard library, and the app asks for exactly the
permissions the sandbox's Login for Business configuration grants."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.conf import settings

from sandbox.__main__ import parse_args
from sandbox.config import SandboxConfig
from sandbox.state import TABLECAST_SCOPES

SANDBOX_DIR = Path(__file__).resolve().parent.parent


def test_app_urls_follow_the_app_url_flag(monkeypatch):
    for name in ("SANDBOX_WEBHOOK_URL", "SANDBOX_REDIRECT_URIS", "SANDBOX_APP_URL"):
        monkeypatch.delenv(name, raising=False)
    args = parse_args(["--port", "8101", "--app-url", "http://127.0.0.1:8100/"])
    config = SandboxConfig.from_env(**vars(args))
    assert config.port == 8101
    assert config.webhook_url == "http://127.0.0.1:8100/webhooks/facebook"
    assert config.deauthorize_url == "http://127.0.0.1:8100/facebook/deauthorize"
    assert config.data_deletion_url == "http://127.0.0.1:8100/facebook/data-deletion"
    assert config.redirect_uris == ["http://127.0.0.1:8100/social/facebook/callback/"]


def test_app_url_from_the_environment_and_explicit_urls_win(monkeypatch):
    monkeypatch.setenv("SANDBOX_APP_URL", "http://app.test:9000")
    monkeypatch.delenv("SANDBOX_WEBHOOK_URL", raising=False)
    config = SandboxConfig.from_env(webhook_url="http://hooks.test/in")
    assert config.webhook_url == "http://hooks.test/in"
    assert config.deauthorize_url == "http://app.test:9000/facebook/deauthorize"


def test_an_empty_webhook_url_means_none(graph_sandbox_factory):
    sandbox = graph_sandbox_factory(webhook_url="")
    app = next(a for a in sandbox.world()["apps"] if a["id"] == sandbox.app_id)
    assert app["callback_url"] is None


def test_a_sandbox_started_for_another_app_port_sends_webhooks_there(graph_sandbox_factory):
    sandbox = graph_sandbox_factory(app_url="http://127.0.0.1:8200")
    assert sandbox.control("GET", "webhooks")["callback_url"] == (
        "http://127.0.0.1:8200/webhooks/facebook"
    )


def test_running_from_inside_the_package_does_not_shadow_the_standard_library():
    code = "import http.client, email.utils, json; print(http.client.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=SANDBOX_DIR,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert not result.stdout.strip().startswith(str(SANDBOX_DIR))
    stdlib = {"http", "email", "json", "logging", "types", "string", "secrets", "time"}
    shadowing = {p.stem for p in SANDBOX_DIR.glob("*.py")} & stdlib
    assert shadowing == set()


def test_the_app_asks_for_the_permissions_the_sandbox_grants():
    """settings.FACEBOOK_SCOPES (the dialog's scope) == the sandbox's Tablecast configuration."""
    assert sorted(settings.FACEBOOK_SCOPES) == sorted(TABLECAST_SCOPES)
    assert len(set(TABLECAST_SCOPES)) == len(TABLECAST_SCOPES)
