"""An invitation to the email of someone who signed up and never confirmed: the invitation's
link proves the email is theirs, their password proves the sign-up is, and one step both
confirms the account and joins the inviting restaurant (tenants/registration.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tenants.models import Invitation, Membership, PendingSignup, Tenant
from tenants.scoping import scopes_disabled
from tenants.testing import PASSWORD, SIGNUP_FORM, make_invitation, make_user, membership_of

User = get_user_model()
EMAIL = SIGNUP_FORM["email"]
ACCEPT = reverse("invitation_accept", args=["accept"])


@pytest.fixture
def signed_up(client, db):
    """Someone who signed up "Osteria Verde" and never opened the confirmation link."""
    assert client.post(reverse("signup"), SIGNUP_FORM).status_code == 302
    mail.outbox.clear()
    user = User.objects.get(username=EMAIL)
    assert not user.is_active
    return user


@pytest.fixture
def invited(client, tenant, signed_up):
    """Their invitation to another restaurant, opened in the browser."""
    invitation, token = make_invitation(tenant, email=EMAIL, role="staff")
    client.get(reverse("invitation_accept", args=[token]))
    return invitation


def _state():
    with scopes_disabled():
        return (
            sorted(User.objects.values_list("username", "is_active")),
            sorted(Membership.objects.values_list("tenant__slug", "user__username", "role")),
            sorted(Invitation.objects.values_list("email", "accepted_at")),
            PendingSignup.objects.count(),
        )


def test_the_page_asks_for_the_sign_up_password_instead_of_a_log_in(client, tenant, invited):
    page = client.get(ACCEPT)
    html = page.content.decode()
    assert page.status_code == 200
    assert "have not confirmed it yet" in html and 'name="password"' in html
    assert "Log in to accept" not in html and 'name="password1"' not in html


def test_the_right_password_confirms_the_account_and_joins_in_one_step(
    client, tenant, signed_up, invited
):
    response = client.post(ACCEPT, {"password": PASSWORD})
    assert response["Location"] == reverse("tenants:dashboard", args=[tenant.slug])
    signed_up.refresh_from_db()
    assert signed_up.is_active
    assert client.session["_auth_user_id"] == str(signed_up.pk)
    assert membership_of(tenant, signed_up).role == "staff"
    with scopes_disabled():
        assert not PendingSignup.objects.filter(user=signed_up).exists()
        own = Tenant.objects.get(slug=SIGNUP_FORM["slug"])
        invited.refresh_from_db()
    assert membership_of(own, signed_up).role == "owner"  # their own restaurant opens too
    assert invited.accepted_by_id == signed_up.pk
    page = client.get(response["Location"])
    assert "Your email is confirmed too." in page.content.decode()
    assert mail.outbox == []  # no second email needed
    # Later they log in like anyone else.
    client.logout()
    login = client.post(reverse("login"), {"username": EMAIL, "password": PASSWORD})
    assert login.status_code == 302


def test_a_wrong_password_changes_nothing_and_says_so(client, tenant, invited):
    before = _state()
    response = client.post(ACCEPT, {"password": "not-the-one-chosen"})
    assert response.status_code == 200
    assert "That is not the password of this account" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert _state() == before


def test_an_empty_password_is_a_field_error_only(client, tenant, invited):
    before = _state()
    response = client.post(ACCEPT, {"password": ""})
    form = response.context["form"]
    assert form.errors["password"] == ["Type the password you chose when you signed up."]
    assert not form.non_field_errors()
    assert _state() == before


def test_wrong_passwords_count_against_the_log_in_limits(client, tenant, invited, settings):
    """Past the log-in page's limit for this account, even the right password waits, and the
    log-in page counts the same failures."""
    settings.THROTTLE_RULES = {**settings.THROTTLE_RULES, "login_account": (3, 900)}
    for _ in range(3):
        client.post(ACCEPT, {"password": "wrong"})
    before = _state()
    response = client.post(ACCEPT, {"password": PASSWORD})
    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()
    assert _state() == before
    login = client.post(reverse("login"), {"username": EMAIL, "password": PASSWORD})
    assert "Too many attempts" in login.content.decode()


def test_an_invitation_that_expired_meanwhile_confirms_nothing(client, tenant, invited):
    with scopes_disabled():
        Invitation.objects.filter(pk=invited.pk).update(expires_at=timezone.now())
    before = _state()
    response = client.post(ACCEPT, {"password": PASSWORD})
    assert response.status_code == 404
    assert _state() == before


def test_used_between_the_page_and_the_post_it_rolls_the_confirmation_back(
    client, tenant, signed_up, invited
):
    """The service confirms and accepts in one transaction: an invitation used meanwhile
    leaves the account unconfirmed."""
    from tenants import registration

    with scopes_disabled():
        Invitation.objects.filter(pk=invited.pk).update(accepted_at=timezone.now())
    before = _state()
    with pytest.raises(Exception, match="already been used or has expired"):
        registration.invitation_accept_confirming(invitation=invited, user=signed_up)
    assert _state() == before
    signed_up.refresh_from_db()
    assert not signed_up.is_active


def test_an_account_an_operator_switched_off_is_not_switched_on_by_an_invitation(client, tenant):
    """Inactive without a pending sign-up: the usual "log in to accept", no password box."""
    user = make_user("switched-off@example.com", is_active=False)
    _invitation, token = make_invitation(tenant, email=user.email)
    client.get(reverse("invitation_accept", args=[token]))
    html = client.get(ACCEPT).content.decode()
    assert "Log in to accept" in html and 'name="password"' not in html
    before = _state()
    client.post(ACCEPT, {"password": PASSWORD})
    assert _state() == before
    user.refresh_from_db()
    assert not user.is_active
