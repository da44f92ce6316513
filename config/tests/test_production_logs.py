"""RELIABILITY A3: gunicorn with the production settings and config/gunicorn.py, real requests
whose URLs carry OAuth codes, access tokens, password-reset and invitation tokens: no secret in
any line it writes (access log, error log, Django's JSON records)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")

CODE = "AQDsecretOAuthCode0123456789"
ENCODED_CODE = "AQDencodedCodeInNext987654"
ACCESS_TOKEN = "EAAGsecretAccessToken0123456789abcdef"
RESET_TOKEN = "cv1xyz-4f0d9c2be8a17e3b5d6c4a2f1e0d9c8b"
INVITE_TOKEN = "Zq7_secretInvitationToken-0123456789ab"
SIGNUP_TOKEN = "d1z58d-a417be3fd848f94380fd5f9c67bebf64"
REFERER_CODE = "AQDrefererCode5555555555"
SECRETS = [CODE, ENCODED_CODE, ACCESS_TOKEN, RESET_TOKEN, INVITE_TOKEN, SIGNUP_TOKEN, REFERER_CODE]

REQUESTS = [
    f"/social/facebook/callback/?code={CODE}&state=abc",
    f"/login/?next=/social/facebook/callback/%3Fcode%3D{ENCODED_CODE}%26state%3Dabc",
    f"/no-such-page/?access_token={ACCESS_TOKEN}",
    f"/password-reset/MQ/{RESET_TOKEN}/",
    f"/invitations/{INVITE_TOKEN}/",
    f"/signup/confirm/Mg/{SIGNUP_TOKEN}/",
    "/healthz",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _production_env(port: int) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "PYTEST_")) and k not in ("LOG_FORMAT", "DEBUG")
        },
        "DJANGO_SETTINGS_MODULE": "config.tests.production_static_settings",
        "TABLECAST_ENV": "production",
        "SECRET_KEY": "production-logging-test-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "FIELD_ENCRYPTION_KEYS": "p1:cHJvZHVjdGlvbi1sb2dnaW5nLXRlc3Qta2V5LTMyISE=",
        "FACEBOOK_APP_ID": "1234567890123456",
        "FACEBOOK_APP_SECRET": "0123456789abcdef0123456789abcdef",
        "FACEBOOK_WEBHOOK_VERIFY_TOKEN": "production-logging-test-verify",
    }


def _get(port: int, path: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={
            "X-Forwarded-Proto": "https",  # as the TLS-terminating proxy would say
            "Referer": f"https://127.0.0.1/social/facebook/callback/?code={REFERER_CODE}",
        },
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a3_production_logs_carry_no_secret(tmp_path):
    port = _free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}", "-w", "1"],
            cwd=ROOT,
            env=_production_env(port),
            stdout=stdout,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if _get(port, "/healthz") == 200:
                        break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail(f"gunicorn did not start: {err.read_text()[-2000:]}")
            statuses = {path: _get(port, path) for path in REQUESTS}
        finally:
            server.terminate()
            server.wait(timeout=30)
    logs = out.read_text() + err.read_text()
    lines = logs.splitlines()

    # The requests really went through the views (not a redirect to https or a 400).
    assert statuses[REQUESTS[0]] == 400, statuses  # "you were logged out" page
    assert statuses[REQUESTS[2]] == 404, statuses
    assert statuses[REQUESTS[3]] == 200, statuses  # "invalid link" page
    assert statuses[REQUESTS[4]] == 302, statuses  # to the token-free address
    # Every request has its (masked) access-log line.
    for path in ("/social/facebook/callback/?code=[masked]", "/password-reset/MQ/[masked]/"):
        assert any(path in line for line in lines), path
    assert any("/invitations/[masked]/" in line for line in lines)
    assert any("%3Fcode%3D[masked]" in line for line in lines)
    # Django's JSON record of the 404 carries the request, masked.
    records = [json.loads(line) for line in lines if line.startswith("{")]
    requests = {r["message"]: r["request"] for r in records if r.get("logger") == "django.request"}
    assert "access_token=[masked]" in requests["Not Found: /no-such-page/"]
    assert "code=[masked]" in requests["Bad Request: /social/facebook/callback/"]

    leaked = [line for line in lines if any(secret in line for secret in SECRETS)]
    assert leaked == []
