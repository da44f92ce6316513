"""/healthz and /readyz against the real PostgreSQL and Redis of the test run."""

from __future__ import annotations

import socket
import time

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

from config import health
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def break_broker(monkeypatch) -> None:
    """Point the Celery app at a closed port (Celery reads CELERY_BROKER_URL from the
    environment before its configuration)."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setattr(celery_app.conf, "broker_url", url)
    assert celery_app.conf.broker_write_url == url


class BrokenConnection:
    def cursor(self):
        raise OperationalError("connection to server at 127.0.0.1 failed")


def test_healthz_answers_without_a_database_or_broker(client, monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())
    break_broker(monkeypatch)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_postgresql_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": ["broker", "database"]}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_503_naming_the_database_when_it_fails(client, monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert list(body["failing"]) == ["database"]
    assert "database unreachable (OperationalError)" in body["failing"]["database"]


def test_readyz_is_503_naming_the_broker_when_it_is_unreachable(client, monkeypatch):
    break_broker(monkeypatch)
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert list(response.json()["failing"]) == ["broker"]


def test_readyz_names_both_parts_when_both_fail(client, monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())
    break_broker(monkeypatch)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert sorted(response.json()["failing"]) == ["broker", "database"]


def test_a_failing_check_logs_the_part_but_no_connection_details(client, monkeypatch, caplog):
    monkeypatch.setattr(health, "connection", BrokenConnection())
    client.get("/readyz")
    assert "readiness check database failed: OperationalError" in caplog.text
    assert "127.0.0.1" not in caplog.text


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^healthz$", r"^readyz$"])
def test_probes_answer_over_plain_http_while_pages_redirect_to_https(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get(reverse("login")).status_code == 301
