"""Log-in, password-reset and sign-up throttling (docs/security.md; RELIABILITY A1, A2)."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from lib import throttle
from tenants.models import Tenant
from tenants.testing import PASSWORD, SIGNUP_FORM, make_user

LOGIN_URLS = {"portal": "/login/", "admin": "/admin/login/"}
TOO_MANY = "Too many attempts. For your security, please wait and try again in 15 minutes."


def _login(client: Client, url: str, email: str, password: str, **extra):
    return client.post(url, {"username": email, "password": password}, **extra)


def _page(response, typed: str) -> str:
    """The page without what differs on every answer (nonces, CSRF tokens, the typed email)."""
    html = response.content.decode().replace(typed, "X@")
    html = re.sub(r'nonce="[^"]*"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def _logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


@pytest.mark.parametrize("where", ["portal", "admin"])
def test_a1_sixty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(client, db, where):
    user = make_user("chef@alba.example", is_staff=True)
    url = LOGIN_URLS[where]
    answers = [
        _login(client, url, "chef@alba.example", "wrong").content.decode() for _ in range(60)
    ]
    # Ten ordinary failures, then the lock-out message for every further attempt.
    assert all(TOO_MANY not in a for a in answers[:10])
    assert all(TOO_MANY in a for a in answers[10:])
    response = _login(client, url, "chef@alba.example", PASSWORD)
    assert TOO_MANY in response.content.decode()
    assert not _logged_in(client)
    assert user.pk  # the account exists; the answer was the same as for an unknown one below


@pytest.mark.parametrize("where", ["portal", "admin"])
def test_a1_a_known_and_an_unknown_account_get_the_same_answers(db, where):
    make_user("known@alba.example", is_staff=True)
    url = LOGIN_URLS[where]
    known, unknown = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(11):
        a = _login(known, url, "known@alba.example", "wrong")
        b = _login(unknown, url, "nobody@alba.example", "wrong")
        assert a.status_code == b.status_code
        assert _page(a, "known@") == _page(b, "nobody@")


def test_a1_the_lock_is_per_account_whatever_the_letter_case_and_the_address(db):
    make_user("chef@alba.example")
    for n in range(10):
        _login(Client(REMOTE_ADDR=f"10.0.1.{n}"), "/login/", "Chef@Alba.example", "wrong")
    fresh = Client(REMOTE_ADDR="10.0.2.1")
    response = _login(fresh, "/login/", "chef@alba.example", PASSWORD)
    assert TOO_MANY in response.content.decode()
    assert not _logged_in(fresh)


def test_a1_other_accounts_still_log_in_until_the_address_limit(db):
    make_user("other@alba.example")
    client = Client(REMOTE_ADDR="10.0.3.1")
    for n in range(29):
        _login(client, "/login/", f"guess{n}@alba.example", "wrong")
    assert _login(client, "/login/", "other@alba.example", PASSWORD).status_code == 302
    client.logout()
    _login(client, "/login/", "guess@alba.example", "wrong")  # the 30th failure
    response = _login(client, "/login/", "other@alba.example", PASSWORD)
    assert TOO_MANY in response.content.decode()
    assert _login(Client(REMOTE_ADDR="10.0.3.2"), "/login/", "other@alba.example", PASSWORD)[
        "Location"
    ]


def test_a1_a_good_log_in_forgets_the_accounts_earlier_failures(db):
    make_user("chef@alba.example")
    client = Client()
    for _ in range(9):
        _login(client, "/login/", "chef@alba.example", "wrong")
    assert _login(client, "/login/", "chef@alba.example", PASSWORD).status_code == 302
    client.logout()
    for _ in range(9):
        _login(client, "/login/", "chef@alba.example", "wrong")
    assert _login(client, "/login/", "chef@alba.example", PASSWORD).status_code == 302


def test_a1_the_lock_ends_after_the_window(db, settings):
    settings.THROTTLE_RULES = {**settings.THROTTLE_RULES, "login_account": (2, 1)}
    make_user("chef@alba.example")
    client = Client()
    for _ in range(2):
        _login(client, "/login/", "chef@alba.example", "wrong")
    response = _login(client, "/login/", "chef@alba.example", PASSWORD)
    assert "try again in 1 minute." in response.content.decode()
    time.sleep(1.1)
    assert _login(client, "/login/", "chef@alba.example", PASSWORD).status_code == 302


def test_a2_twenty_reset_requests_for_one_address_send_three_emails_and_show_one_page(db):
    make_user("chef@alba.example")
    client = Client()
    answers = [
        client.post(reverse("password_reset"), {"email": "chef@alba.example"}) for _ in range(20)
    ]
    assert len(mail.outbox) == 3
    assert {(r.status_code, r["Location"]) for r in answers} == {
        (302, reverse("password_reset_done"))
    }


def test_a2_reset_requests_from_one_client_address_are_limited_with_a_message(db):
    client = Client(REMOTE_ADDR="10.0.4.1")
    for n in range(10):
        assert (
            client.post(reverse("password_reset"), {"email": f"a{n}@x.example"}).status_code == 302
        )
    response = client.post(reverse("password_reset"), {"email": "late@x.example"})
    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()
    assert "try again in 60 minutes" in response.content.decode()


def test_sign_up_is_limited_per_client_address(db):
    client = Client(REMOTE_ADDR="10.0.5.1")
    for n in range(10):
        client.post(reverse("signup"), {"name": "", "email": f"x{n}@x.example"})
    good = SIGNUP_FORM
    response = client.post(reverse("signup"), good)
    assert response.status_code == 200
    assert "try again in 60 minutes" in response.content.decode()
    assert not Tenant.objects.filter(slug="osteria-verde").exists()
    assert Client(REMOTE_ADDR="10.0.5.2").post(reverse("signup"), good).status_code == 302


class TestClientAddress:
    def _request(self, rf, forwarded: str | None = None, remote: str = "192.0.2.10"):
        extra = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        return rf.get("/", **extra)

    def test_x_forwarded_for_is_ignored_without_a_proxy_count(self, rf, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        assert throttle.client_address(self._request(rf, "203.0.113.9")) == "192.0.2.10"

    def test_with_one_proxy_the_address_it_appended_counts(self, rf, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        request = self._request(rf, "198.51.100.1, 203.0.113.9")  # first one written by the client
        assert throttle.client_address(request) == "203.0.113.9"

    def test_with_two_proxies_the_second_from_the_right_counts(self, rf, settings):
        settings.TRUSTED_PROXY_COUNT = 2
        request = self._request(rf, "198.51.100.1, 203.0.113.9, 10.0.0.2")
        assert throttle.client_address(request) == "203.0.113.9"

    def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_connection(self, rf, settings):
        settings.TRUSTED_PROXY_COUNT = 2
        assert throttle.client_address(self._request(rf, "203.0.113.9")) == "192.0.2.10"

    def test_ipv6_addresses_count_per_64(self, rf, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        a = throttle.client_address(self._request(rf, remote="2001:db8:1:2::1"))
        b = throttle.client_address(self._request(rf, remote="2001:db8:1:2:ffff::9"))
        assert a == b == "2001:db8:1:2::/64"

    def test_a_spoofed_header_cannot_dodge_the_address_limit(self, db, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        make_user("other@alba.example")
        for n in range(30):
            Client(REMOTE_ADDR="10.0.6.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post(
                "/login/", {"username": f"g{n}@x.example", "password": "wrong"}
            )
        response = Client(REMOTE_ADDR="10.0.6.1", HTTP_X_FORWARDED_FOR="1.2.3.4").post(
            "/login/", {"username": "other@alba.example", "password": PASSWORD}
        )
        assert "Too many attempts" in response.content.decode()


@pytest.mark.parametrize("where", ["portal", "admin"])
def test_a1_an_empty_password_does_not_forget_the_accounts_failures(db, settings, where):
    """Only a log-in that succeeds forgets the failures: a submission with the password left
    empty (no password checked) must not reset the account's count, or anyone could lift the
    lock by sending one between guesses."""
    settings.THROTTLE_RULES = {**settings.THROTTLE_RULES, "login_account": (3, 900)}
    make_user("chef@alba.example", is_staff=True)
    client = Client()
    for _ in range(3):  # the limit, each wrong password followed by an empty one
        _login(client, LOGIN_URLS[where], "chef@alba.example", "wrong")
        _login(client, LOGIN_URLS[where], "chef@alba.example", "")
    response = _login(client, LOGIN_URLS[where], "chef@alba.example", PASSWORD)
    assert "Too many attempts." in response.content.decode()
    assert not _logged_in(client)
