"""social.graph against recorded Facebook answers (graph-api.md §2, §6, §7, §10)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.test import override_settings

from social import graph
from social.graph import GraphClient, connect
from social.graph.signed_request import SignedRequestInvalid, parse_signed_request
from social.tests.fakegraph import error_body, session_with

SECRET = "recorded-app-secret"
TOKEN = "EAAGrecordedUserTokenValue1234567890"
pytestmark = pytest.mark.usefixtures("graph_settings")


@pytest.fixture
def graph_settings():
    with override_settings(
        FACEBOOK_GRAPH_URL="https://graph.example.test",
        FACEBOOK_APP_ID="111",
        FACEBOOK_APP_SECRET=SECRET,
        FACEBOOK_GRAPH_VERSION="v24.0",
    ):
        yield


def client_with(*answers):
    session, adapter = session_with(*answers)
    return GraphClient(session=session), adapter


@pytest.mark.parametrize(
    ("code", "subcode", "expected"),
    [
        (190, 460, graph.TokenInvalid),
        (190, 463, graph.TokenInvalid),
        (102, None, graph.TokenInvalid),
        (10, None, graph.PermissionMissing),
        (200, None, graph.PermissionMissing),
        (4, None, graph.RateLimited),
        (17, None, graph.RateLimited),
        (32, None, graph.RateLimited),
        (613, 1996, graph.RateLimited),
        (1, None, graph.TransientError),
        (2, None, graph.TransientError),
        (100, None, graph.InvalidParameter),
        (506, None, graph.DuplicatePost),
        (368, None, graph.UnknownGraphError),
    ],
)
def test_it_parses_each_error_code_into_its_type(code, subcode, expected):
    client, _ = client_with((400, error_body(code, subcode)))
    with pytest.raises(expected) as caught:
        connect.me(client, user_token=TOKEN)
    assert caught.value.code == code
    assert caught.value.subcode == subcode
    assert caught.value.fbtrace_id == "AbCdEf123"
    assert caught.value.user_message


def test_it_treats_is_transient_as_retryable_whatever_the_code():
    client, _ = client_with((400, error_body(9004, 2207052, is_transient=True)))
    with pytest.raises(graph.TransientError):
        connect.me(client, user_token=TOKEN)


def test_it_reads_retry_after_from_the_business_usage_header():
    buc = {
        "104": [
            {
                "type": "pages",
                "call_count": 104,
                "total_cputime": 20,
                "total_time": 30,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    client, _ = client_with(
        (
            400,
            error_body(80001, message="There have been too many calls to this Page account"),
            {"X-Business-Use-Case-Usage": json.dumps(buc)},
        )
    )
    with pytest.raises(graph.RateLimited) as caught:
        connect.me(client, user_token=TOKEN)
    assert caught.value.retry_after == 7 * 60
    assert caught.value.usage.max_percent == 104
    assert caught.value.retryable


def test_it_exposes_the_usage_headers_of_the_last_call():
    client, _ = client_with(
        (
            200,
            {"id": "1", "name": "Maria"},
            {"X-App-Usage": '{"call_count": 42, "total_cputime": 5, "total_time": 9}'},
        )
    )
    connect.me(client, user_token=TOKEN)
    assert client.last_usage.app["call_count"] == 42
    assert client.last_usage.max_percent == 42


def test_absent_usage_headers_are_normal():
    client, _ = client_with((200, {"id": "1", "name": "Maria"}))
    connect.me(client, user_token=TOKEN)
    assert client.last_usage.max_percent == 0
    assert client.last_usage.regain_seconds == 0


def test_a_5xx_without_an_envelope_is_transient():
    client, _ = client_with((502, "<html>Bad gateway</html>"))
    with pytest.raises(graph.TransientError):
        connect.me(client, user_token=TOKEN)


def test_malformed_json_on_success_is_transient():
    client, _ = client_with((200, '{"id": "1234567890", "success": tr'))
    with pytest.raises(graph.TransientError):
        connect.me(client, user_token=TOKEN)


def test_a_timeout_becomes_a_graph_timeout_without_the_url_in_the_text():
    client, _ = client_with(
        requests.ReadTimeout(f"https://graph.example.test/v24.0/debug_token?input_token={TOKEN}")
    )
    with pytest.raises(graph.GraphTimeout) as caught:
        connect.debug_token(client, input_token=TOKEN)
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_connection_error_is_transient_and_token_free():
    client, _ = client_with(requests.ConnectionError(f"reset while sending access_token={TOKEN}"))
    with pytest.raises(graph.TransientError) as caught:
        connect.me(client, user_token=TOKEN)
    assert TOKEN not in str(caught.value)


def test_error_messages_that_echo_a_token_are_masked():
    client, _ = client_with((400, error_body(190, 467, message=f"Malformed access token {TOKEN}")))
    with pytest.raises(graph.TokenInvalid) as caught:
        connect.me(client, user_token=TOKEN)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caught.value.message


def test_every_call_carries_the_token_in_a_header_with_its_proof_and_the_pinned_version():
    client, adapter = client_with((200, {"id": "1", "name": "Maria"}))
    connect.me(client, user_token=TOKEN)
    sent = adapter.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    query = parse_qs(urlparse(sent.url).query)
    expected = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert query["appsecret_proof"] == [expected]
    assert TOKEN not in sent.url
    assert urlparse(sent.url).path == "/v24.0/me"


def test_the_code_exchange_posts_its_secrets_in_the_body():
    client, adapter = client_with(
        (200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600})
    )
    result = connect.exchange_code(client, code="the-code", redirect_uri="http://x/cb/")
    sent = adapter.requests[0]
    assert sent.method == "POST"
    assert SECRET not in sent.url and "the-code" not in sent.url
    assert parse_qs(sent.body)["client_secret"] == [SECRET]
    assert result.access_token == TOKEN and result.expires_in == 3600
    assert TOKEN not in repr(result)


def test_paging_follows_the_after_cursor_until_next_is_absent_even_past_an_empty_page():
    page = lambda i: {"id": str(i), "name": f"P{i}", "access_token": f"page-token-{i}"}  # noqa: E731
    client, adapter = client_with(
        (
            200,
            {
                "data": [page(1)],
                "paging": {
                    "cursors": {"after": "A1"},
                    "next": "https://evil.example/next?after=A1",
                },
            },
        ),
        (
            200,
            {
                "data": [],
                "paging": {
                    "cursors": {"after": "A2"},
                    "next": "https://evil.example/next?after=A2",
                },
            },
        ),
        (200, {"data": [page(2)], "paging": {"cursors": {"before": "B"}}}),
    )
    pages = connect.list_pages(client, user_token=TOKEN)
    assert [p.id for p in pages] == ["1", "2"]
    assert all(urlparse(r.url).hostname == "graph.example.test" for r in adapter.requests)
    assert parse_qs(urlparse(adapter.requests[2].url).query)["after"] == ["A2"]


def test_debug_token_reads_an_invalid_token_answer():
    body = {
        "data": {
            "error": {"code": 190, "subcode": 460, "message": "password changed"},
            "is_valid": False,
            "scopes": [],
        }
    }
    client, adapter = client_with((200, body))
    info = connect.debug_token(client, input_token=TOKEN)
    assert not info.is_valid and info.error_code == 190 and info.error_subcode == 460
    assert adapter.requests[0].headers["Authorization"] == f"Bearer 111|{SECRET}"


def test_granular_scope_targets_none_means_everything():
    info = connect.TokenInfo(
        is_valid=True,
        granular_scopes=({"scope": "pages_show_list", "target_ids": ["1"]}, {"scope": "email"}),
    )
    assert info.targets("pages_show_list") == {"1"}
    assert info.targets("email") is None
    assert info.targets("business_management") == set()


def test_pkce_s256_matches_the_rfc_7636_appendix_b_vector():
    assert (
        connect.pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_pkce_verifiers_are_long_enough_and_unique():
    verifiers = {connect.pkce_verifier() for _ in range(1000)}
    assert len(verifiers) == 1000
    assert all(43 <= len(v) <= 128 for v in verifiers)


def test_the_dialog_url_sends_a_challenge_only_when_given_and_only_s256():
    with override_settings(
        FACEBOOK_DIALOG_URL="https://www.example.test", FACEBOOK_SCOPES=["a", "b"]
    ):
        plain = parse_qs(
            urlparse(connect.dialog_url(redirect_uri="https://x/cb/", state="s")).query
        )
        pkce = parse_qs(
            urlparse(
                connect.dialog_url(
                    redirect_uri="https://x/cb/", state="s", code_challenge="c", rerequest=True
                )
            ).query
        )
    assert "code_challenge" not in plain and plain["scope"] == ["a,b"]
    assert pkce["code_challenge_method"] == ["S256"] and pkce["auth_type"] == ["rerequest"]


def _signed(payload: dict, secret: str = SECRET) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    sig = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(sig).rstrip(b"=").decode() + "." + body


def test_a_signed_request_verifies_with_unpadded_base64url():
    payload = {
        "algorithm": "HMAC-SHA256",
        "issued_at": int(time.time()),
        "user_id": "10160000000000001",
    }
    assert parse_signed_request(_signed(payload))["user_id"] == "10160000000000001"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "no-dot",
        "a.b.c",
        "!!!.???",
        _signed({"algorithm": "HMAC-SHA256", "user_id": "1"}, secret="wrong"),
        _signed({"algorithm": "none", "user_id": "1"}),
        _signed({"algorithm": "HMAC-SHA256"}),
    ],
)
def test_a_bad_signed_request_is_refused(bad):
    with pytest.raises(SignedRequestInvalid):
        parse_signed_request(bad)
