"""The members page: invitations, roles, removal, and who may do what."""

from __future__ import annotations

import re
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from tenants.models import Invitation, Membership
from tenants.scoping import scopes_disabled
from tenants.services import member_invite
from tenants.testing import PASSWORD, make_invitation, make_member, make_user, membership_of

User = get_user_model()
ACCEPT = reverse("invitation_accept", args=["accept"])


def _state():
    with scopes_disabled():
        return (
            sorted(Membership.objects.values_list("tenant_id", "user_id", "role")),
            sorted(Invitation.objects.values_list("tenant_id", "email", "role", "accepted_at")),
            User.objects.count(),
        )


def _link(message) -> str:
    return re.search(r"https?://\S+(/invitations/\S+/)", message.body)[1]


def test_members_are_listed_with_their_roles(owner_client, tenant, owner, staff_member):
    html = owner_client.get(reverse("tenants:members", args=[tenant.slug])).content.decode()
    assert owner.email in html and staff_member.email in html
    assert 'name="email"' in html  # the invite form, for owners


def test_staff_see_the_members_but_no_owner_forms(staff_client, tenant, owner):
    html = staff_client.get(reverse("tenants:members", args=[tenant.slug])).content.decode()
    assert owner.email in html
    assert reverse("tenants:member_invite", args=[tenant.slug]) not in html


def test_inviting_an_existing_user_is_an_invitation_they_accept_by_logging_in(owner_client, tenant):
    """Nobody joins a restaurant without opening the link: someone with an account gets an
    invitation like anyone else, logs in from it, and accepts."""
    someone = make_user("Existing@Example.com")
    response = owner_client.post(
        reverse("tenants:member_invite", args=[tenant.slug]),
        {"email": "existing@EXAMPLE.com", "role": "staff"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert not Membership.objects.filter(tenant=tenant, user=someone).exists()
        assert Invitation.objects.get().email == "existing@example.com"
    [message] = mail.outbox
    assert message.to == ["existing@example.com"]
    assert "If you already have a Tablecast login with this email, you log in" in message.body
    client = owner_client.__class__()  # their own browser
    client.get(_link(message))
    page = client.get(ACCEPT).content.decode()
    assert "Log in to accept" in page and 'name="password1"' not in page
    login = client.post(
        f"{reverse('login')}?next={ACCEPT}",
        {"username": "existing@example.com", "password": PASSWORD, "next": ACCEPT},
    )
    assert login["Location"] == ACCEPT
    response = client.post(ACCEPT)
    assert response["Location"] == reverse("tenants:dashboard", args=[tenant.slug])
    assert membership_of(tenant, someone).role == "staff"


@pytest.mark.parametrize("email_works", [True, False])
def test_the_owner_cannot_tell_whether_an_invited_email_has_an_account(
    owner_client, tenant, settings, email_works
):
    """The same answer, the same members page and the same email subject for an address with
    an account, one whose sign-up waits for confirmation, and one Tablecast never saw."""
    from tenants.models import PendingSignup

    make_user("has-account@example.com")
    waiting = make_user("waiting@example.com", is_active=False)
    with scopes_disabled():
        PendingSignup.objects.create(user=waiting, tenant=tenant)
    if not email_works:
        settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    url = reverse("tenants:member_invite", args=[tenant.slug])
    answers = []
    for email in ("has-account@example.com", "waiting@example.com", "nobody@example.com"):
        response = owner_client.post(url, {"email": email, "role": "staff"}, follow=True)
        [message] = response.context["messages"]
        answers.append((message.level_tag, str(message).replace(email, "EMAIL")))
    assert answers[0] == answers[1] == answers[2]
    assert len({m.subject for m in mail.outbox}) <= 1
    with scopes_disabled():
        assert Membership.objects.filter(tenant=tenant).count() == 1  # the owner, nobody else
        assert Invitation.objects.filter(tenant=tenant).count() == 3


def test_inviting_an_unknown_email_sends_a_single_use_link(owner_client, tenant, owner):
    response = owner_client.post(
        reverse("tenants:member_invite", args=[tenant.slug]),
        {"email": "New.Cook@Example.com", "role": "staff"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        invitation = Invitation.objects.get()
    assert invitation.email == "new.cook@example.com"
    assert invitation.invited_by == owner
    assert (
        timezone.timedelta(days=6, hours=23)
        < invitation.expires_at - timezone.now()
        <= Invitation.TTL
    )
    [message] = mail.outbox
    link = _link(message)
    token = link.split("/")[2]
    assert len(token) >= 43  # 32 random bytes, base64: 256 bits
    assert invitation.token_hash == Invitation.hash_token(token)
    assert token not in invitation.token_hash


def test_inviting_again_replaces_the_open_invitation(owner_client, tenant):
    url = reverse("tenants:member_invite", args=[tenant.slug])
    owner_client.post(url, {"email": "twice@example.com", "role": "staff"})
    first = _link(mail.outbox[0])
    owner_client.post(url, {"email": "twice@example.com", "role": "owner"})
    with scopes_disabled():
        assert Invitation.objects.get().role == "owner"
    client = owner_client.__class__()
    client.get(first)
    assert client.get(reverse("invitation_accept", args=["accept"])).status_code == 404


def test_inviting_an_existing_member_is_a_form_error(owner_client, tenant, staff_member):
    before = _state()
    response = owner_client.post(
        reverse("tenants:member_invite", args=[tenant.slug]),
        {"email": staff_member.email.upper(), "role": "owner"},
    )
    assert response.status_code == 400
    assert "is already a member" in " ".join(response.context["invite_form"].errors["email"])
    assert _state() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    "data", [{"email": "not-an-email", "role": "staff"}, {"email": "a@b.example", "role": "boss"}]
)
def test_a_malformed_invite_is_a_form_error(owner_client, tenant, data):
    before = _state()
    response = owner_client.post(reverse("tenants:member_invite", args=[tenant.slug]), data)
    assert response.status_code == 400
    assert _state() == before


def test_the_invited_person_sets_a_password_and_joins(client, tenant, owner):
    member_invite(tenant=tenant, email="fresh@example.com", role="staff", invited_by=owner)
    link = _link(mail.outbox[0])
    response = client.get(link)
    assert response["Location"] == reverse("invitation_accept", args=["accept"])
    page = client.get(response["Location"])
    assert page.status_code == 200 and tenant.name in page.content.decode()
    response = client.post(response["Location"], {"password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == reverse("tenants:dashboard", args=[tenant.slug])
    user = User.objects.get(username="fresh@example.com")
    assert membership_of(tenant, user).role == "staff"
    assert client.session["_auth_user_id"] == str(user.pk)
    # single use
    other = client.__class__()
    other.get(link)
    assert other.get(reverse("invitation_accept", args=["accept"])).status_code == 404


def test_a_weak_password_on_the_invitation_page_is_refused(client, tenant, owner):
    member_invite(tenant=tenant, email="weak@example.com", role="staff", invited_by=owner)
    client.get(_link(mail.outbox[0]))
    before = _state()
    response = client.post(
        reverse("invitation_accept", args=["accept"]), {"password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert _state() == before


def test_a_logged_in_user_with_the_invited_email_just_accepts(client, tenant, other_tenant):
    _invitation, token = make_invitation(tenant, email="later@example.com", role="owner")
    user = make_member(other_tenant, user=make_user("later@example.com"))
    client.force_login(user)
    client.get(reverse("invitation_accept", args=[token]))
    response = client.post(reverse("invitation_accept", args=["accept"]))
    assert response["Location"] == reverse("tenants:dashboard", args=[tenant.slug])
    assert membership_of(tenant, user).role == "owner"


def test_a_user_without_an_email_whose_login_is_the_invited_address_accepts(client, tenant):
    """The page and the service agree on who was invited (usernames are emails)."""
    _invitation, token = make_invitation(tenant, email="noemail@example.com")
    user = get_user_model().objects.create_user(username="noemail@example.com", password=PASSWORD)
    client.force_login(user)
    client.get(reverse("invitation_accept", args=[token]))
    response = client.post(reverse("invitation_accept", args=["accept"]))
    assert response["Location"] == reverse("tenants:dashboard", args=[tenant.slug])
    assert membership_of(tenant, user).role == "staff"


def test_someone_logged_in_with_another_email_cannot_use_the_invitation(client, tenant, outsider):
    _invitation, token = make_invitation(tenant, email="meant-for@example.com")
    client.force_login(outsider)
    client.get(reverse("invitation_accept", args=[token]))
    before = _state()
    response = client.post(reverse("invitation_accept", args=["accept"]))
    assert response.status_code == 200
    assert "Log out" in response.content.decode()
    assert _state() == before


@pytest.mark.parametrize("case", ["expired", "used", "unknown"])
def test_an_expired_used_or_unknown_invitation_is_refused(client, tenant, case):
    invitation, token = make_invitation(tenant)
    with scopes_disabled():
        if case == "expired":
            Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
        elif case == "used":
            Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    client.get(reverse("invitation_accept", args=["x" * 43 if case == "unknown" else token]))
    before = _state()
    response = client.post(
        reverse("invitation_accept", args=["accept"]),
        {"password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 404
    assert _state() == before


def test_an_owner_changes_a_role(owner_client, tenant, staff_member):
    membership = membership_of(tenant, staff_member)
    response = owner_client.post(
        reverse("tenants:member_role", args=[tenant.slug, membership.pk]), {"role": "owner"}
    )
    assert response.status_code == 302
    assert membership_of(tenant, staff_member).role == "owner"


def test_the_last_owner_cannot_become_staff(owner_client, tenant, owner):
    before = _state()
    response = owner_client.post(
        reverse("tenants:member_role", args=[tenant.slug, membership_of(tenant, owner).pk]),
        {"role": "staff"},
        follow=True,
    )
    assert "at least one owner" in response.content.decode()
    assert _state() == before


def test_an_owner_removes_staff(owner_client, tenant, staff_member):
    membership = membership_of(tenant, staff_member)
    response = owner_client.post(
        reverse("tenants:member_remove", args=[tenant.slug, membership.pk])
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(
        pk=staff_member.pk
    ).exists()  # the login stays; only the membership goes


def test_the_last_owner_cannot_be_removed(owner_client, tenant, owner):
    before = _state()
    response = owner_client.post(
        reverse("tenants:member_remove", args=[tenant.slug, membership_of(tenant, owner).pk]),
        follow=True,
    )
    assert "at least one owner" in response.content.decode()
    assert _state() == before


def test_an_owner_may_leave_when_another_owner_remains(owner_client, tenant, owner):
    make_member(tenant, role="owner")
    response = owner_client.post(
        reverse("tenants:member_remove", args=[tenant.slug, membership_of(tenant, owner).pk])
    )
    assert response["Location"] == reverse("home")
    with scopes_disabled():
        assert not Membership.objects.filter(tenant=tenant, user=owner).exists()


def test_an_owner_withdraws_an_invitation(owner_client, tenant):
    invitation, _token = make_invitation(tenant)
    owner_client.post(reverse("tenants:invitation_revoke", args=[tenant.slug, invitation.pk]))
    with scopes_disabled():
        assert not Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tenants:member_invite", {"email": "x@example.com", "role": "owner"}),
        ("tenants:member_role", {"role": "owner"}),
        ("tenants:member_remove", {}),
        ("tenants:invitation_revoke", {}),
    ],
)
def test_staff_trying_owner_actions_get_403_and_change_nothing(
    staff_client, tenant, owner, staff_member, name, data
):
    invitation, _token = make_invitation(tenant)
    args = {
        "tenants:member_invite": [tenant.slug],
        "tenants:member_role": [tenant.slug, membership_of(tenant, staff_member).pk],
        "tenants:member_remove": [tenant.slug, membership_of(tenant, owner).pk],
        "tenants:invitation_revoke": [tenant.slug, invitation.pk],
    }[name]
    before = _state()
    response = staff_client.post(reverse(name, args=args), data)
    assert response.status_code == 403
    assert _state() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tenants:member_invite", {"email": "x@example.com", "role": "owner"}),
        ("tenants:member_role", {"role": "owner"}),
        ("tenants:member_remove", {}),
    ],
)
def test_another_restaurants_owner_gets_404_and_changes_nothing(
    outsider_client, tenant, owner, name, data
):
    args = (
        [tenant.slug]
        if name == "tenants:member_invite"
        else [tenant.slug, membership_of(tenant, owner).pk]
    )
    before = _state()
    response = outsider_client.post(reverse(name, args=args), data)
    assert response.status_code == 404
    assert _state() == before


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses every message, as a real one does when it is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("421 Service not available")


@pytest.fixture
def email_down(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"


def test_an_invitation_whose_email_fails_is_kept_and_the_owner_is_warned(
    owner_client, tenant, owner, email_down, caplog
):
    response = owner_client.post(
        reverse("tenants:member_invite", args=[tenant.slug]),
        {"email": "New.Cook@Example.com", "role": "staff"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("tenants:members", args=[tenant.slug]), 302)]
    with scopes_disabled():
        invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "new.cook@example.com",
        "staff",
        owner,
    )
    [message] = response.context["messages"]
    assert message.level_tag == "warning"
    assert str(message) == (
        "The invitation for new.cook@example.com is saved, but the email could not be sent. "
        "Invite them again in a while to send a fresh link."
    )
    html = response.content.decode()
    assert "Invitation sent" not in html
    assert "Waiting for an answer" in html and "new.cook@example.com" in html
    assert "SMTPException" in caplog.text  # logged for the operators, with the traceback
    assert "new.cook@example.com" not in caplog.text


def test_inviting_again_after_a_failed_email_sends_a_working_link(owner_client, tenant, settings):
    url = reverse("tenants:member_invite", args=[tenant.slug])
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    owner_client.post(url, {"email": "retry@example.com", "role": "staff"}, follow=True)
    assert mail.outbox == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = owner_client.post(url, {"email": "retry@example.com", "role": "staff"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    client = owner_client.__class__()
    client.get(_link(mail.outbox[0]))
    assert client.get(reverse("invitation_accept", args=["accept"])).status_code == 200
