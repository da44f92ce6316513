"""The receiver's front door (webhooks/wsgi.py): the ordinary POST answered before Django's
handler, with Django's answer, headers included; everything else left to Django."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenants.scoping import scopes_disabled
from webhooks import receive
from webhooks.models import WebhookEvent
from webhooks.tests.helpers import account, message_item, messaging_payload, meta_bytes, sign
from webhooks.wsgi import RECEIVER_PATH, ReceiverFront

# The front closes obsolete connections as Django's request signals do, which a test's own
# transaction would not survive.
pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTION_HEADERS = {
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
}


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.body = status, body
        self.headers = dict(headers)
        assert len(self.headers) == len(headers), headers  # no header twice


class Spy:
    """Django's WSGI application, counting the requests the front passes on to it."""

    def __init__(self) -> None:
        self.django, self.calls = WSGIHandler(), 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.django(environ, start_response)


def call(app: Any, body: bytes, *, method: str = "POST", signature: str | None = "auto",
         path: str = RECEIVER_PATH, **extra: Any) -> Answer:  # fmt: skip
    headers = dict(extra)
    if signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body) if signature == "auto" else signature
    environ = (
        RequestFactory()
        .generic(method, path, body, content_type="application/json", **headers)
        .environ
    )
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen.update(status=status, headers=headers)

    chunks = app(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return Answer(seen["status"], seen["headers"], content)


def _delivery(page_id: str, text: str) -> bytes:
    return meta_bytes(
        messaging_payload(page_id, message_item(page_id=page_id, sender="2001", text=text))
    )


def _rows() -> int:
    with scopes_disabled():
        return WebhookEvent.objects.count()


def test_the_front_door_path_is_the_routed_path_and_gunicorn_serves_the_front():
    from config.wsgi import application

    assert reverse("webhooks_facebook") == RECEIVER_PATH
    assert isinstance(application, ReceiverFront)


CASES = {
    "stored": lambda page: _delivery(page, "Open today?"),
    "bad signature": lambda page: _delivery(page, "Forged?"),
    "not a payload": lambda page: b'{"object": "page"}',
    "too large": lambda page: _delivery(page, "x" * 2_000),
    "broker down": lambda page: _delivery(page, "Queued?"),
}


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("case", CASES)
@override_settings(WEBHOOK_MAX_BODY_BYTES=1_000, **PRODUCTION_HEADERS)
def test_the_front_answers_as_django_does(tenant, enqueued, monkeypatch, case, secure):
    page = account(tenant).external_id
    if case == "broker down":

        def refused(delivery_id: object) -> None:
            raise ConnectionError("the broker refused")

        from webhooks import tasks

        monkeypatch.setattr(tasks, "delivery_enqueue", refused)
    spy = Spy()
    front = ReceiverFront(spy)
    extra: dict[str, Any] = {"HTTP_X_FORWARDED_PROTO": "https"} if secure else {}
    if case == "bad signature":
        extra["signature"] = "sha256=" + "0" * 64
    # Each gets a body of its own, as two deliveries would (the first stored is new for both).
    ours = call(front, CASES[case](page).replace(b"2001", b"2002"), **extra)
    assert spy.calls == 0  # the front answered it
    django = call(spy.django, CASES[case](page).replace(b"2001", b"2003"), **extra)
    assert (ours.status, ours.body) == (django.status, django.body)
    assert ours.headers == django.headers
    expected = {
        "stored": "200 OK",
        "bad signature": "403 Forbidden",
        "not a payload": "400 Bad Request",
        "too large": "413 Request Entity Too Large",
        "broker down": "503 Service Unavailable",
    }
    assert ours.status == expected[case]
    assert ("Strict-Transport-Security" in ours.headers) is secure
    assert _rows() == (2 if case == "stored" else 0)


def test_a_delivery_costs_one_query_and_never_loads_a_session(tenant, enqueued):
    page = account(tenant)
    front = ReceiverFront(Spy())
    with CaptureQueriesContext(connection) as queries:
        answer = call(
            front,
            _delivery(page.external_id, "Open?"),
            HTTP_COOKIE="sessionid=a-session-the-receiver-never-loads",
        )
    assert answer.status == "200 OK" and answer.body == b"OK"
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert len(enqueued.deliveries) == 1
    assert "Set-Cookie" not in answer.headers and "Vary" not in answer.headers


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_a_refused_host_is_left_to_django_which_answers_400(tenant, enqueued):
    page = account(tenant)
    spy = Spy()
    answer = call(ReceiverFront(spy), _delivery(page.external_id, "Hi"), HTTP_HOST="evil.example")
    assert spy.calls == 1 and answer.status.startswith("400")
    assert _rows() == 0 and enqueued.deliveries == []


@override_settings(SECURE_SSL_REDIRECT=True, **PRODUCTION_HEADERS)
def test_plain_http_is_left_to_django_which_redirects(tenant, enqueued):
    page = account(tenant)
    spy = Spy()
    answer = call(ReceiverFront(spy), _delivery(page.external_id, "Hi"))
    assert spy.calls == 1 and answer.status.startswith("301")
    assert answer.headers["Location"] == f"https://testserver{RECEIVER_PATH}"
    assert _rows() == 0
    # Over HTTPS (the proxy says so) the front takes it.
    answer = call(
        ReceiverFront(spy), _delivery(page.external_id, "Hi"), HTTP_X_FORWARDED_PROTO="https"
    )
    assert spy.calls == 1 and answer.status == "200 OK" and _rows() == 1


def test_the_handshake_other_paths_and_bodies_without_a_length_go_to_django(tenant, enqueued):
    page = account(tenant)
    spy = Spy()
    front = ReceiverFront(spy)
    answer = call(front, b"", method="GET", signature=None)
    assert spy.calls == 1 and answer.status.startswith("403")  # no verify token
    answer = call(front, b"{}", path=RECEIVER_PATH + "/")
    assert spy.calls == 2 and answer.status.startswith("404")
    assert answer.headers["Content-Type"].startswith("text/html")  # an ordinary page
    body = _delivery(page.external_id, "Chunked?")
    answer = call(front, body, CONTENT_LENGTH="")  # chunked: Django reads it as empty
    assert spy.calls == 3 and answer.status == "403 Forbidden" and _rows() == 0
    # Not plain digits ("²" passes str.isdigit, not int): Django reads no body either.
    for length in ("²", "-1", " 12", "1e3"):
        answer = call(front, body, CONTENT_LENGTH=length)
        assert answer.status == "403 Forbidden" and _rows() == 0, length
    assert spy.calls == 7


def test_an_obsolete_connection_is_closed_first_and_the_delivery_stored_on_a_new_one(
    tenant, enqueued, monkeypatch
):
    page = account(tenant)
    connection.ensure_connection()
    old = connection.connection
    used = []
    insert = receive._pg_rows_insert

    def recorded(db: Any, events: Any) -> int:
        used.append(db.connection)
        return insert(db, events)

    monkeypatch.setattr(receive, "_pg_rows_insert", recorded)
    connection.close_at = 0  # past CONN_MAX_AGE, as request_started would find it
    answer = call(ReceiverFront(Spy()), _delivery(page.external_id, "Fresh?"))
    assert answer.status == "200 OK" and _rows() == 1
    assert old.closed and used and used[0] is not old


def test_an_unexpected_error_is_logged_as_django_logs_it_and_answered_500(
    tenant, enqueued, monkeypatch, caplog
):
    page = account(tenant)

    def broken(**kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(receive, "events_store", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        answer = call(ReceiverFront(Spy()), _delivery(page.external_id, "Hi"))
    assert answer.status == "500 Internal Server Error"
    assert answer.headers["Content-Length"] == str(len(answer.body))
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == f"Internal Server Error: {RECEIVER_PATH}"
    assert "RuntimeError: a bug" in caplog.text  # the traceback (the masking filter formats it)


def test_the_live_server_serves_the_front_door(live_server, tenant, enqueued, monkeypatch):
    """The end-to-end tests' deliveries go through the front, as gunicorn's do."""
    import requests

    from webhooks import wsgi

    taken = []
    served_here = wsgi._served_here

    def recorded(environ: dict[str, Any]) -> bool | None:
        taken.append(served_here(environ))
        return taken[-1]

    monkeypatch.setattr(wsgi, "_served_here", recorded)
    body = _delivery(account(tenant).external_id, "Over HTTP?")
    response = requests.post(
        live_server.url + RECEIVER_PATH,
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)},
        timeout=10,
    )
    assert response.status_code == 200 and taken == [False]  # taken by the front, over HTTP
