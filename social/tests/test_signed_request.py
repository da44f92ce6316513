"""RELIABILITY A4: Facebook's signed_request (deauthorize and data-deletion callbacks) is
verified before anything in it is decoded; whatever is malformed gets a 400, never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from social.graph.signed_request import MAX_LENGTH, SignedRequestInvalid, parse_signed_request
from social.models import DataDeletionRequest

SECRET = "sandbox-app-secret-change-me"  # the development default (config/settings.py)
ENDPOINTS = ["/facebook/deauthorize", "/facebook/data-deletion"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(body: str, secret: str = SECRET) -> str:
    return b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()) + "." + body


def signed(payload: dict | None = None, *, secret: str = SECRET, **changes) -> str:
    payload = payload or {
        "algorithm": "HMAC-SHA256",
        "issued_at": int(time.time()),
        "user_id": "10160000000000077",
    }
    return sign(b64(json.dumps({**payload, **changes}).encode()), secret)


NESTED = b64(b"[" * 1100 + b"]" * 1100)
NESTED_OBJECTS = b64(b'{"a":' * 1100 + b"1" + b"}" * 1100)

MALFORMED = {
    "unsigned, 1,100-deep nested JSON": "." + NESTED,
    "a bad signature over 1,100-deep nested JSON": b64(b"0" * 32) + "." + NESTED,
    "signed 1,100-deep nested arrays": sign(NESTED),
    "signed 1,100-deep nested objects": sign(NESTED_OBJECTS),
    "garbage base64": "!!!.???",
    "padding": signed() + "==",
    "a non-canonical signature": "A" * 42 + "B." + "e30",
    "signed garbage base64 payload": sign("e30$$$"),
    "signed, not JSON": sign(b64(b"not json")),
    "signed JSON that is not an object": sign(b64(b"[1, 2]")),
    "the wrong secret": signed(secret="not-the-secret"),
    "the wrong algorithm": signed(algorithm="none"),
    "no algorithm": signed(algorithm=None),
    "no user_id": signed(user_id=None),
    "a user_id that is an object": signed(user_id={"id": 1}),
    "no issued_at": signed(issued_at=None),
    "issued_at as text": signed(issued_at=str(int(time.time()))),
    "a stale issued_at": signed(issued_at=int(time.time()) - 3601),
    "an issued_at in the future": signed(issued_at=int(time.time()) + 3600),
    "too long": signed(padding="x" * MAX_LENGTH),
    "three parts": signed() + ".x",
    "one part": "abc",
    "empty": "",
}


@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
def test_a4_malformed_signed_requests_are_refused(value):
    with pytest.raises(SignedRequestInvalid):
        parse_signed_request(value)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
def test_a4_each_endpoint_answers_400_to_malformed_signed_requests(endpoint, value, db):
    client = Client(raise_request_exception=False)
    response = client.post(endpoint, {"signed_request": value})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid signed_request"}
    assert not DataDeletionRequest.objects.exists()


def test_a4_a_huge_signed_request_is_refused_without_decoding_it(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("decoded an oversized signed_request")

    monkeypatch.setattr("social.graph.signed_request._b64url_decode", never)
    with pytest.raises(SignedRequestInvalid, match="longer than"):
        parse_signed_request("x" * (MAX_LENGTH + 1))


def test_a4_nothing_is_json_decoded_before_the_signature_is_checked(monkeypatch):
    def never(raw):
        raise AssertionError("decoded the payload of an unsigned request")

    monkeypatch.setattr("social.graph.signed_request._loads", never)
    with pytest.raises(SignedRequestInvalid, match="signature"):
        parse_signed_request(signed(secret="not-the-secret"))


def test_a4_the_age_window_is_a_setting(settings):
    settings.FACEBOOK_SIGNED_REQUEST_MAX_AGE_SECONDS = 60
    now = time.time()
    assert parse_signed_request(signed(issued_at=int(now) - 59), now=now)["user_id"]
    with pytest.raises(SignedRequestInvalid, match="too old"):
        parse_signed_request(signed(issued_at=int(now) - 61), now=now)


def test_a4_a_fresh_signed_request_is_accepted():
    payload = parse_signed_request(signed())
    assert payload["user_id"] == "10160000000000077"


def test_a4_a_replayed_data_deletion_returns_the_same_code_and_adds_no_row(db):
    client = Client()
    request = signed()
    first = client.post("/facebook/data-deletion", {"signed_request": request})
    again = client.post("/facebook/data-deletion", {"signed_request": request})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert DataDeletionRequest.objects.count() == 1
    later = client.post(
        "/facebook/data-deletion", {"signed_request": signed(issued_at=int(time.time()) + 1)}
    )
    assert later.json()["confirmation_code"] != first.json()["confirmation_code"]
    assert DataDeletionRequest.objects.count() == 2


def test_a4_a_replayed_deauthorize_is_harmless(db):
    client = Client()
    request = signed()
    assert client.post("/facebook/deauthorize", {"signed_request": request}).json() == {
        "success": True
    }
    assert client.post("/facebook/deauthorize", {"signed_request": request}).status_code == 200
