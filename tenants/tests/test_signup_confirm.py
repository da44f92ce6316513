"""Sign-up confirms the email, and never tells whether an email has an account
(tenants/registration.py, docs/security.md "Sign-up")."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlsafe_base64_encode

from tenants import registration, tasks
from tenants.models import Membership, PendingSignup, Tenant
from tenants.scoping import scopes_disabled
from tenants.services import SLUG_TAKEN
from tenants.testing import PASSWORD, SIGNUP_FORM, make_user, signup_link

User = get_user_model()

GOOD = SIGNUP_FORM


def _sign_up(client, **change) -> str:
    response = client.post(reverse("signup"), {**GOOD, **change})
    assert response.status_code == 302, response.context["form"].errors
    return response["Location"]


def _page_text(client) -> str:
    """The "check your email" page without its per-request parts (CSRF token, nonce)."""
    html = client.get(reverse("signup_sent")).content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def _counts() -> tuple[int, int, int]:
    with scopes_disabled():
        return User.objects.count(), Tenant.objects.count(), PendingSignup.objects.count()


def test_the_emailed_link_confirms_once_and_logs_the_owner_in(client, db, settings):
    settings.SITE_URL = "https://portal.tablecast.example"
    _sign_up(client)
    [message] = mail.outbox
    assert message.body.count("https://portal.tablecast.example/signup/confirm/") == 1
    # The token leaves the address bar at once (it would sit in history and logs).
    response = client.get(signup_link(message))
    assert response.status_code == 302
    confirm_url = response["Location"]
    assert confirm_url.endswith("/confirm/") and signup_link(message) != confirm_url
    page = client.get(confirm_url)
    assert page.status_code == 200
    assert "Confirm and open my restaurant" in page.content.decode()
    assert not User.objects.get(email="chef@verde.example").is_active  # a GET changes nothing
    response = client.post(confirm_url)
    assert response["Location"] == reverse("tenants:dashboard", args=["osteria-verde"])
    user = User.objects.get(email="chef@verde.example")
    assert user.is_active
    with scopes_disabled():
        assert not PendingSignup.objects.filter(user=user).exists()
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(response["Location"]).status_code == 200
    # Used: the same link again says it no longer works.
    client.logout()
    again = client.get(client.get(signup_link(message))["Location"])
    assert again.status_code == 404
    assert registration.LINK_EXPIRED in again.content.decode()
    assert client.post(confirm_url).status_code == 404
    assert "_auth_user_id" not in client.session


def test_an_unconfirmed_owner_cannot_log_in_and_gets_the_link_again(client, db):
    _sign_up(client)
    mail.outbox.clear()
    response = client.post(reverse("login"), {"username": GOOD["email"], "password": PASSWORD})
    assert response.status_code == 200
    assert "Confirm your email first" in response.content.decode()
    assert "_auth_user_id" not in client.session
    [message] = mail.outbox
    assert "/signup/confirm/" in message.body


def test_a_wrong_password_for_an_unconfirmed_owner_is_an_ordinary_wrong_password(client, db):
    _sign_up(client)
    mail.outbox.clear()
    response = client.post(reverse("login"), {"username": GOOD["email"], "password": "nope"})
    assert "do not match a Tablecast login" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("existing", ["active", "ANY-CASE"])
def test_a_taken_email_gets_the_same_answer_and_nothing_is_created(client, db, existing):
    make_user("chef@verde.example" if existing == "active" else "Chef@Verde.Example".lower())
    other = client.__class__()
    new_location = _sign_up(other, email="new@verde.example", slug="somewhere-else")
    before = _counts()
    email = GOOD["email"] if existing == "active" else "CHEF@verde.EXAMPLE"
    location = _sign_up(client, email=email)
    assert location == new_location == reverse("signup_sent")
    assert _counts() == before
    assert not Tenant.objects.filter(slug="osteria-verde").exists()
    new_page = _page_text(other).replace("new@verde.example", "X")
    assert _page_text(client).replace("chef@verde.example", "X") == new_page
    exists = mail.outbox[-1]
    assert exists.to == ["chef@verde.example"]
    assert "already has an account" in exists.body
    assert "/login/" in exists.body and "/password-reset/" in exists.body
    assert "/signup/confirm/" not in exists.body


def test_checks_that_do_not_depend_on_the_email_answer_the_same_for_a_taken_one(client, db):
    make_user("chef@verde.example")
    response = client.post(reverse("signup"), {**GOOD, "password1": "short", "password2": "short"})
    assert "too short" in " ".join(response.context["form"].errors["password2"])
    assert mail.outbox == []


def test_signing_up_again_before_confirming_sends_the_same_link_again(client, db):
    # The clock stands still: a link made a second later carries another timestamp (it was
    # seen to differ when the two sign-ups fell on both sides of a second).
    with time_machine.travel(timezone.now(), tick=False):
        _sign_up(client)
        before = _counts()
        _sign_up(client, slug="another-address")
    assert _counts() == before
    first, second = mail.outbox
    assert signup_link(first) == signup_link(second)


def test_send_again_and_its_limits(client, db):
    _sign_up(client)
    response = client.post(reverse("signup_sent"))
    assert response["Location"] == reverse("signup_sent")
    assert len(mail.outbox) == 2
    client.post(reverse("signup_sent"))
    client.post(reverse("signup_sent"))  # the fourth email to the address within the hour
    assert len(mail.outbox) == 3
    assert "at most three" in client.get(reverse("signup_sent")).content.decode()


def test_the_sent_page_without_a_sign_up_goes_to_the_sign_up_form(client, db):
    assert client.get(reverse("signup_sent"))["Location"] == reverse("signup")
    assert client.post(reverse("signup_sent"))["Location"] == reverse("signup")
    assert mail.outbox == []


def test_a_link_older_than_the_reset_timeout_no_longer_works(client, db, settings):
    _sign_up(client)
    [message] = mail.outbox
    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later):
        response = client.get(client.get(signup_link(message))["Location"])
        assert response.status_code == 404
        assert client.post(response.request["PATH_INFO"]).status_code == 404
    assert not User.objects.get(email=GOOD["email"]).is_active


@pytest.mark.parametrize(
    "mangle",
    [
        lambda uid, token: (uid, token[:-1] + ("a" if token[-1] != "a" else "b")),
        lambda uid, token: ("not-base64!", token),
        lambda uid, token: (urlsafe_base64_encode(b"9" * 30), token),
        lambda uid, token: (urlsafe_base64_encode(b"-1"), token),
        lambda uid, token: (urlsafe_base64_encode(b"\xff\xfe"), token),
        lambda uid, token: (uid, "x" * 5000),
        lambda uid, token: (uid, ""),
        lambda uid, token: ("%00", token),
        lambda uid, token: (urlsafe_base64_encode(b"9" * 5000), token),  # over int()'s 4,300 digits
    ],
    ids=[
        "tampered-token",
        "uid-not-base64",
        "uid-too-big",
        "uid-negative",
        "uid-not-utf8",
        "token-huge",
        "token-empty",
        "uid-nul",
        "uid-huge",
    ],
)
def test_a_bad_link_is_refused_and_changes_nothing(client, db, mangle):
    _sign_up(client)
    uid, token = signup_link(mail.outbox[0]).strip("/").split("/")[-2:]
    uid, token = mangle(uid, token)
    url = f"/signup/confirm/{uid}/{token}/" if token else f"/signup/confirm/{uid}/confirm/"
    response = client.get(url, follow=True)
    assert response.status_code == 404
    assert registration.LINK_EXPIRED in response.content.decode()
    final = response.redirect_chain[-1][0] if response.redirect_chain else url
    assert client.post(final).status_code == 404
    assert not User.objects.get(email=GOOD["email"]).is_active


def test_a_user_an_operator_switched_off_is_never_switched_on_by_asignup_link(client, db):
    user = make_user(GOOD["email"], is_active=False)
    forged = registration.signup_tokens.make_token(user)
    uid = urlsafe_base64_encode(str(user.pk).encode())
    response = client.get(client.get(f"/signup/confirm/{uid}/{forged}/")["Location"])
    assert response.status_code == 404
    _sign_up(client)  # signing up with that email tells the owner they have an account
    assert "/signup/confirm/" not in mail.outbox[-1].body
    user.refresh_from_db()
    assert not user.is_active


def test_operators_can_confirm_a_sign_up_from_the_admin(client, db):
    _sign_up(client)
    staff = make_user("ops@tablecast.example", is_staff=True, is_superuser=True)
    client.force_login(staff)
    with scopes_disabled():
        pending = PendingSignup.objects.get()
    response = client.post(
        reverse("admin:tenants_pendingsignup_changelist"),
        {"action": "confirm", admin.helpers.ACTION_CHECKBOX_NAME: [pending.pk]},
        follow=True,
    )
    assert "1 of 1 sign-ups confirmed." in response.content.decode()
    assert User.objects.get(email=GOOD["email"]).is_active
    with scopes_disabled():
        assert not PendingSignup.objects.exists()
    assert client.login(username=GOOD["email"], password=PASSWORD)


def test_sign_ups_never_confirmed_are_removed_after_the_grace_period(client, db, settings, caplog):
    _sign_up(client)
    _sign_up(client, email="second@verde.example", slug="verde-two")
    kept = Tenant.objects.get(slug="verde-two")
    colleague = make_user("colleague@verde.example")  # an operator added someone: kept
    with scopes_disabled():
        Membership.objects.create(tenant=kept, user=colleague, role="staff")
    confirmed = make_user("old@verde.example")
    _sign_up(client, email="vouched@verde.example", slug="vouched")
    # An operator ticked "active" on the user instead of confirming: kept.
    User.objects.filter(email="vouched@verde.example").update(is_active=True)
    later = timezone.now() + timedelta(days=settings.SIGNUP_UNCONFIRMED_DAYS, minutes=1)
    with time_machine.travel(later):
        _sign_up(client, email="fresh@verde.example", slug="fresh")  # still within its days
        assert tasks.signups_purge.apply().get() == 2
    assert "removed 2 sign-ups never confirmed" in caplog.messages
    assert not Tenant.objects.filter(slug="osteria-verde").exists()  # the address is free
    assert set(User.objects.values_list("email", flat=True)) == {
        "colleague@verde.example",
        "old@verde.example",
        "vouched@verde.example",
        "fresh@verde.example",
    }
    assert Tenant.objects.filter(slug="verde-two").exists()
    assert Tenant.objects.filter(slug="fresh").exists()
    confirmed.refresh_from_db()
    assert registration.signups_purge() == 0


def test_the_confirmation_email_names_the_restaurant_and_how_long_the_link_works(
    client, db, settings
):
    _sign_up(client, email="first@verde.example", slug="first-place", name="First Place")
    _sign_up(client)
    message = mail.outbox[-1]
    assert message.subject == "Confirm your email to open Tablecast"
    assert "Osteria Verde" in message.body and "First Place" not in message.body
    assert "The link works once, for 3 days." in message.body
    settings.PASSWORD_RESET_TIMEOUT = 3600  # under a day still says a day, in whole days
    client.post(reverse("signup_sent"))
    assert "The link works once, for 1 day." in mail.outbox[-1].body


def test_the_you_have_an_account_email(client, db):
    make_user(GOOD["email"])
    _sign_up(client)
    [message] = mail.outbox
    assert message.subject == "You already have a Tablecast account"


def test_a_link_confirms_only_the_owner_it_was_made_for(client, db):
    _sign_up(client, email="first@verde.example", slug="first-place")
    _sign_up(client)
    second = signup_link(mail.outbox[-1])
    client.post(client.get(second)["Location"])
    assert set(User.objects.filter(is_active=True).values_list("email", flat=True)) == {
        GOOD["email"]
    }


def test_a_switched_off_user_logging_in_with_the_right_password_gets_the_usual_answer(client, db):
    make_user(GOOD["email"], is_active=False)  # an operator switched them off
    _sign_up(client, email="first@verde.example", slug="first-place")  # someone else waits
    mail.outbox.clear()
    response = client.post(reverse("login"), {"username": GOOD["email"], "password": PASSWORD})
    assert "do not match a Tablecast login" in response.content.decode()
    assert mail.outbox == []


def test_unconfirmed_owners_each_get_their_own_link_at_log_in(client, db):
    _sign_up(
        client,
        email="first@verde.example",
        slug="first-place",
        password1="first-pass-9876",
        password2="first-pass-9876",
    )
    _sign_up(client)
    mail.outbox.clear()
    response = client.post(reverse("login"), {"username": GOOD["email"], "password": PASSWORD})
    assert "Confirm your email first" in response.content.decode()
    assert [m.to for m in mail.outbox] == [[GOOD["email"]]]


def test_a_password_like_the_email_is_refused(client, db):
    response = client.post(
        reverse("signup"),
        {**GOOD, "password1": "chef@verde.example", "password2": "chef@verde.example"},
    )
    assert "too similar" in " ".join(response.context["form"].errors["password2"])
    assert _counts() == (0, 0, 0)


class CountingHasher(MD5PasswordHasher):
    calls = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.calls += 1
        return super().encode(password, salt)


def test_a_taken_email_costs_the_same_password_hashing_as_a_new_one(client, db, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.calls = 0
    _sign_up(client)
    new = CountingHasher.calls
    CountingHasher.calls = 0
    _sign_up(client, slug="another-address")  # the same email: it has an account now
    assert new == CountingHasher.calls == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [({"slug": "alba"}, "slug"), ({"timezone": "Mars/Olympus_Mons"}, "timezone")],
    ids=["taken-slug", "unknown-timezone"],
)
def test_the_service_checks_the_restaurant_before_looking_at_the_email(db, tenant, change, field):
    make_user(GOOD["email"])
    data = {**GOOD, **change}
    with pytest.raises(ValidationError) as raised:
        registration.tenant_signup(
            **{key: data[key] for key in ("name", "slug", "timezone", "email")},
            password=data["password1"],
        )
    assert field in raised.value.message_dict
    if field == "slug":
        assert raised.value.message_dict["slug"] == [SLUG_TAKEN]
    assert mail.outbox == []


def test_past_the_hourly_limit_the_log_names_the_user_not_the_address(client, db, caplog):
    _sign_up(client)
    for _ in range(3):
        client.post(reverse("signup_sent"))
    user = User.objects.get(email=GOOD["email"])
    assert f"sign-up email to user {user.pk} not sent: hourly limit" in caplog.messages
    assert not [m for m in caplog.messages if GOOD["email"] in m]


def test_a_password_reset_for_an_unconfirmed_owner_sends_the_confirmationsignup_link(client, db):
    _sign_up(client)
    mail.outbox.clear()
    response = client.post(reverse("password_reset"), {"email": "CHEF@verde.example"})
    assert response["Location"] == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.subject == "Confirm your email to open Tablecast"
    assert message.to == [GOOD["email"]]


def test_a_password_reset_for_a_confirmed_owner_sends_only_the_resetsignup_link(client, db):
    make_user(GOOD["email"])
    _sign_up(client, email="waiting@verde.example", slug="waiting")  # another owner waits
    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": GOOD["email"]})
    [message] = mail.outbox
    assert "/password-reset/" in message.body and "/signup/confirm/" not in message.body


def test_a_taken_web_address_at_sign_up_says_how_to_get_the_confirmation_again(client, db):
    _sign_up(client)
    response = client.post(reverse("signup"), GOOD)  # the same form again, link not yet used
    [error] = response.context["form"].errors["slug"]
    assert error.startswith("This web address is taken: try another one.")
    assert "log in or use “Forgot your password?” to get it again." in error


def test_a_taken_web_address_when_adding_a_restaurant_is_just_taken(client, tenant, owner):
    client.force_login(owner)
    response = client.post(reverse("signup"), {"name": "X", "slug": tenant.slug, "timezone": "UTC"})
    assert response.context["form"].errors["slug"] == [
        "This web address is taken: try another one."
    ]


def _operator(client):
    operator = User.objects.create_superuser("ops@tablecast.example", "ops@tablecast.example", "x")
    client.force_login(operator)
    return client


@pytest.mark.parametrize("how", ["page", "action"])
def test_an_operator_deleting_a_restaurant_whose_owner_never_confirmed_deletes_that_owner_too(
    client, db, tenant, how
):
    _sign_up(client)
    _sign_up(client, email="busy@verde.example", slug="verde-busy")
    pending = Tenant.objects.get(slug=GOOD["slug"])
    busy = User.objects.get(email="busy@verde.example")
    with scopes_disabled():  # an operator made this pending owner a member elsewhere: kept
        Membership.objects.create(tenant=tenant, user=busy, role="staff")
    kept = make_user("kept@verde.example")  # a confirmed member of the deleted one: kept
    with scopes_disabled():
        Membership.objects.create(tenant=pending, user=kept, role="staff")
    _sign_up(client, email="waiting@verde.example", slug="verde-waiting")  # not deleted: kept
    make_user("off@verde.example", is_active=False)  # switched off by an operator: kept
    _sign_up(client, email="vouched@verde.example", slug="verde-vouched")
    # An operator ticked "active" on this owner instead of confirming: they can log in, kept.
    User.objects.filter(email="vouched@verde.example").update(is_active=True)
    ops = _operator(client)
    page = ops.get(reverse("admin:tenants_tenant_delete", args=[pending.pk])).content.decode()
    assert f"User: {GOOD['email']} (the owner&#x27;s sign-up, never confirmed)" in page
    if how == "page":
        ops.post(reverse("admin:tenants_tenant_delete", args=[pending.pk]), {"post": "yes"})
    else:
        ops.post(
            reverse("admin:tenants_tenant_changelist"),
            {
                "action": "delete_selected",
                "post": "yes",
                admin.helpers.ACTION_CHECKBOX_NAME: [
                    pending.pk,
                    Tenant.objects.get(slug="verde-busy").pk,
                    Tenant.objects.get(slug="verde-vouched").pk,
                ],
            },
        )
    assert not Tenant.objects.filter(slug=GOOD["slug"]).exists()
    assert not User.objects.filter(email=GOOD["email"]).exists()
    assert User.objects.filter(email="kept@verde.example").exists()
    assert User.objects.filter(email="busy@verde.example").exists()
    assert User.objects.filter(email="waiting@verde.example").exists()
    assert User.objects.filter(email="off@verde.example").exists()
    assert User.objects.filter(email="vouched@verde.example").exists()
    ops.logout()
    mail.outbox.clear()
    _sign_up(client, slug="verde-again")  # the address can sign up again
    [message] = mail.outbox
    assert message.subject == "Confirm your email to open Tablecast"


@pytest.mark.parametrize("waiting", [True, False])
def test_which_email_an_address_gets_is_read_in_one_query(client, db, waiting):
    """The account and, when it waits for confirmation, its sign-up and restaurant: one query
    whichever it is (the throttle counts in the cache, not the database)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants import registration

    if waiting:
        _sign_up(client)
    else:
        make_user(GOOD["email"])
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as queries:
        registration.signup_email_again(email=GOOD["email"])
    assert len(queries) == 1
    [message] = mail.outbox
    if waiting:
        assert message.subject == "Confirm your email to open Tablecast"
        assert GOOD["name"] in message.body
    else:
        assert message.subject == "You already have a Tablecast account"
