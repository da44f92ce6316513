"""OAuth callback checks that a one-line bug could drop unnoticed (issue 14's mutation
findings): the owner re-check looks at this user in this restaurant, and a callback without a
code, or with Facebook's server_error, never reaches the token endpoint."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils.html import escape

from social.services.oauth import STATE_ERRORS
from social.tests.test_oauth_security import stored_nothing
from tenants.models import Membership
from tenants.scoping import scopes_disabled
from tenants.testing import make_member, make_tenant


def test_an_owner_demoted_in_the_flows_restaurant_is_refused_though_owner_elsewhere(
    flow, tenant, owner
):
    """Owner of two restaurants, a second owner in the flow's one: the re-check must ask about
    this user in this restaurant (not any restaurant, not any owner)."""
    elsewhere = make_tenant("Second Place", slug="second")
    make_member(elsewhere, user=owner, role="owner")
    make_member(tenant, role="owner")  # another owner of the flow's restaurant
    location = flow.approve(flow.start(), pages=["Pizzeria Bella Napoli"])
    with scopes_disabled():
        Membership.objects.filter(user=owner, tenant=tenant).update(role="staff")
    response = flow.callback(location)
    assert response.status_code == 400
    assert b"Nothing was saved" in response.content
    assert not flow.sb.requests_log(path="/oauth/access_token")
    assert stored_nothing()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", b"Nothing was saved"),
        ("&code=", b"Nothing was saved"),
        ("&error=server_error&error_description=Oops", b"Facebook did not complete"),
        ("&error=server_error&code=AQDcode", b"Facebook did not complete"),
    ],
    ids=["no code", "an empty code", "server_error", "server_error with a code"],
)
def test_a_callback_without_a_usable_code_makes_no_token_call(flow, sb, tenant, query, message):
    dialog = flow.start()
    state = parse_qs(urlsplit(dialog).query)["state"][0]
    response = flow.client.get(f"/social/facebook/callback/?state={state}{query}", follow=True)
    assert message in response.content
    assert not sb.requests_log(path="/oauth/access_token")
    assert stored_nothing()


def _state(dialog: str) -> str:
    return parse_qs(urlsplit(dialog).query)["state"][0]


@pytest.mark.parametrize(
    ("query", "message", "reason"),
    [
        (
            "&error=access_denied",
            "You cancelled on Facebook, so nothing was connected. You can try again any time.",
            "cancelled",
        ),
        (
            "&error=server_error",
            "Facebook did not complete the connection. Nothing was saved; please try again.",
            "error",
        ),
        ("", STATE_ERRORS["missing"], "no_code"),
    ],
    ids=["cancelled", "server_error", "no code"],
)
def test_each_ending_without_a_connection_says_what_happened_and_logs_its_reason(
    flow, query, message, reason, caplog
):
    caplog.set_level(logging.INFO, logger="social.views")
    state = _state(flow.start())
    response = flow.client.get(f"/social/facebook/callback/?state={state}{query}", follow=True)
    assert escape(message) in response.content.decode()
    assert [str(m) for m in response.context["messages"]] == [message]  # the whole message
    assert f"facebook connect ended without a connection: {reason}" in caplog.text


def test_a_login_without_pages_says_how_to_fix_it(flow, caplog):
    caplog.set_level(logging.INFO, logger="social.views")
    response = flow.callback(flow.approve(flow.start(), pages=[]))
    followed = flow.client.get(response["Location"]) if response.status_code == 302 else response
    assert (
        escape(
            "This Facebook account does not manage any Facebook Page we were allowed to see. "
            "Make sure you are an admin of your restaurant's Page and tick it on Facebook's "
            "screen (or create a Page first). Nothing was saved."
        )
        in followed.content.decode()
    )
    assert "facebook connect ended without a connection: no_pages" in caplog.text
    assert stored_nothing()


def test_facebooks_trailing_fragment_is_taken_off_the_code(flow):
    """Facebook appends "#_=_" to the redirect; a code that still carries it is refused."""
    location = flow.approve(flow.start(), pages=["Pizzeria Bella Napoli"])
    response = flow.callback(location.replace("&state=", "%23_%3D_&state=", 1))
    assert "/pick/" in response["Location"], response


def test_the_pending_connection_keeps_when_the_long_lived_login_ends(flow, settings):
    from datetime import timedelta

    from django.utils import timezone

    from social.models import PendingConnection

    flow.callback(flow.approve(flow.start(), pages=["Pizzeria Bella Napoli"]))
    with scopes_disabled():
        pending = PendingConnection.objects.get()
    assert pending.user_token_expires_at > timezone.now() + timedelta(days=50)
    # The picker says whose Facebook login it shows.
    assert (pending.facebook_user_id, pending.facebook_user_name) == (
        flow.sb.user_by_name("Maria Rossi")["id"],
        "Maria Rossi",
    )
    assert pending.granted_scopes == sorted(pending.granted_scopes)
    asked = set(settings.FACEBOOK_SCOPES)
    assert set(pending.granted_scopes) & asked == asked - set(pending.declined_scopes)
    assert pending.granted_scopes


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("", "missing"),
        ("short", "unknown"),
        ("!" * 43, "unknown"),
        ("A" * 42 + "=", "unknown"),
        ("A" * 43, "unknown"),  # well formed, never issued
    ],
    ids=["missing", "too short", "outside the alphabet", "padding", "never issued"],
)
def test_a_bad_state_is_refused_with_its_reason_and_no_token_call(flow, sb, state, reason, caplog):
    caplog.set_level(logging.INFO, logger="social.views")
    flow.start()
    response = flow.client.get(f"/social/facebook/callback/?code=AQDcode&state={state}")
    assert response.status_code == 400
    key = "missing" if reason == "missing" else "unknown"
    assert escape(STATE_ERRORS[key]) in response.content.decode()
    assert f"facebook connect ended without a connection: {reason}" in caplog.text
    assert not sb.requests_log(path="/oauth/access_token")


@pytest.mark.django_db(transaction=True)
def test_two_callbacks_racing_with_one_state_let_only_one_through(tenant, owner, monkeypatch):
    """The state row is locked (SELECT … FOR UPDATE) from the lookup to "used": the second of
    two simultaneous callbacks waits, then finds it used. Each thread stops right after its
    lookup and waits up to a second for the other: without the lock both get there, both see
    the state unused, and both would exchange the code."""
    import contextlib
    import threading

    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.db import connection

    from social.services import oauth
    from social.services.connections import ConnectError

    session = SessionStore()
    state = _state(oauth.oauth_start(tenant=tenant, user=owner, session=session))
    both_looked = threading.Barrier(2, timeout=1)
    compare_digest = oauth.secrets.compare_digest

    def compare_then_wait(a, b):  # runs between the lookup and the "used" check
        # A broken barrier: the other thread is waiting for our row lock, as it should.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_looked.wait()
        return compare_digest(a, b)

    monkeypatch.setattr(oauth.secrets, "compare_digest", compare_then_wait)
    outcomes: list[str] = []

    def callback() -> None:
        try:
            oauth._consume_state(state=state, user=owner, session=session)
            outcomes.append("consumed")
        except ConnectError as exc:
            outcomes.append(exc.reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=callback) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["consumed", "used"]


@pytest.mark.parametrize(
    "state",
    ["short", "A" * 44, "!" * 43, "\x00" * 43],
    ids=["too short", "too long", "outside the alphabet", "NUL characters"],
)
def test_a_malformed_state_is_refused_before_any_query(state, owner, django_assert_num_queries):
    """Length and alphabet are checked before the database is asked (PostgreSQL refuses a NUL
    in a query's text: it would be a server error, not a refusal)."""
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    from social.services import oauth
    from social.services.connections import ConnectError

    with django_assert_num_queries(0), pytest.raises(ConnectError) as refused:
        oauth._consume_state(state=state, user=owner, session=SessionStore())
    assert refused.value.reason == "unknown"


@pytest.mark.parametrize("case", ["another session", "another user", "used", "expired", "demoted"])
def test_each_refused_state_gives_its_own_message_and_reason(case, tenant, owner):
    """The reason is what the view logs for operators ("facebook connect ended without a
    connection: <reason>"); the message is what the owner reads."""
    from datetime import timedelta

    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.utils import timezone

    from social.models import OAuthState
    from social.services import oauth
    from social.services.connections import ConnectError

    session = SessionStore()
    state = _state(oauth.oauth_start(tenant=tenant, user=owner, session=session))
    user, key = owner, {"another session": "session", "another user": "session"}.get(case, case)
    if case == "another session":
        session = SessionStore()
    elif case == "another user":
        user = make_member(tenant, role="owner")
    elif case == "used":
        oauth._consume_state(state=state, user=owner, session=session)
    elif case == "expired":
        with scopes_disabled():
            OAuthState.objects.update(created_at=timezone.now() - timedelta(minutes=10, seconds=1))
    else:
        with scopes_disabled():
            Membership.objects.filter(user=owner, tenant=tenant).update(role="staff")
        key = "session"
    with pytest.raises(ConnectError) as refused:
        oauth._consume_state(state=state, user=user, session=session)
    assert (refused.value.reason, refused.value.message) == (key, STATE_ERRORS[key])


def test_a_state_is_good_for_exactly_ten_minutes(tenant, owner):
    import time_machine
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    from social.models import OAUTH_STATE_LIFETIME_SECONDS
    from social.services import oauth
    from social.services.connections import ConnectError

    assert OAUTH_STATE_LIFETIME_SECONDS == 600
    session = SessionStore()
    with time_machine.travel("2026-12-01 12:00:00Z", tick=False):
        last_moment = _state(oauth.oauth_start(tenant=tenant, user=owner, session=session))
        too_late = _state(oauth.oauth_start(tenant=tenant, user=owner, session=session))
    with time_machine.travel("2026-12-01 12:10:00Z", tick=False):
        assert oauth._consume_state(state=last_moment, user=owner, session=session)
    with (
        time_machine.travel("2026-12-01 12:10:00.000001Z", tick=False),
        pytest.raises(ConnectError) as refused,
    ):
        oauth._consume_state(state=too_late, user=owner, session=session)
    assert refused.value.reason == "expired"


def test_two_connects_started_in_one_browser_session_both_complete(tenant, owner):
    """Two tabs: the session's nonce is made once and kept, so starting the second attempt
    does not orphan the first."""
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    from social.services import oauth

    session = SessionStore()
    first = _state(oauth.oauth_start(tenant=tenant, user=owner, session=session))
    second = _state(oauth.oauth_start(tenant=tenant, user=owner, session=session))
    assert oauth._consume_state(state=first, user=owner, session=session)
    assert oauth._consume_state(state=second, user=owner, session=session)


def test_the_stored_state_keeps_what_the_attempt_was_for(tenant, owner):
    """Operators read it in the admin (a connect, a re-request of declined permissions, a
    reconnect)."""
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    from social.models import OAuthState
    from social.services import oauth

    oauth.oauth_start(
        tenant=tenant, user=owner, session=SessionStore(), purpose=OAuthState.Purpose.REREQUEST
    )
    with scopes_disabled():
        assert OAuthState.objects.get().purpose == OAuthState.Purpose.REREQUEST
