"""Sign-up, log-in (email in any case), log-out and password reset."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tenants.models import Membership, Tenant
from tenants.scoping import scopes_disabled
from tenants.testing import PASSWORD, SIGNUP_FORM, make_member, make_tenant, make_user

User = get_user_model()

GOOD = {**SIGNUP_FORM, "email": "Chef@Verde.example"}  # any letter case


def _counts():
    with scopes_disabled():
        return User.objects.count(), Tenant.objects.count(), Membership.objects.count()


def test_sign_up_creates_the_restaurant_and_an_owner_who_confirms_by_email(client, db):
    response = client.post(reverse("signup"), GOOD)
    assert response.status_code == 302
    assert response["Location"] == reverse("signup_sent")
    tenant = Tenant.objects.get(slug="osteria-verde")
    assert (tenant.name, tenant.timezone) == ("Osteria Verde", "Europe/Rome")
    user = User.objects.get(username="chef@verde.example")
    assert user.email == "chef@verde.example"
    assert not user.is_active  # not before the email is confirmed (test_signup_confirm.py)
    with scopes_disabled():
        assert Membership.objects.get(user=user).role == "owner"
    assert "_auth_user_id" not in client.session
    [message] = mail.outbox
    assert message.to == ["chef@verde.example"]
    assert "/signup/confirm/" in message.body


def test_the_sign_up_page_has_the_fixed_field_names(client, db):
    html = client.get(reverse("signup")).content.decode()
    for name in ("name", "slug", "timezone", "email", "password1", "password2"):
        assert f'name="{name}"' in html
    assert 'type="submit"' in html
    assert "js/tenants.js" in html


def test_an_empty_slug_is_made_from_the_name(client, db):
    client.post(reverse("signup"), {**GOOD, "slug": ""})
    assert Tenant.objects.filter(slug="osteria-verde").exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "alba"}, "slug", "taken"),
        ({"password1": "12345678", "password2": "12345678"}, "password2", "too common"),
        ({"password1": "short", "password2": "short"}, "password2", "too short"),
        ({"password2": "something-else-entirely"}, "password2", "differ"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "not a time zone we know"),
        ({"slug": "Not a slug!"}, "slug", "letters, numbers, underscores or hyphens"),
    ],
    ids=[
        "taken-slug",
        "common-password",
        "short-password",
        "passwords-differ",
        "invalid-timezone",
        "malformed-slug",
    ],
)
def test_bad_sign_up_shows_the_error_and_writes_nothing(client, tenant, change, field, message):
    before = _counts()
    response = client.post(reverse("signup"), {**GOOD, **change})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert _counts() == before
    assert "_auth_user_id" not in client.session


def test_a_logged_in_user_adds_a_second_restaurant(client, tenant, owner):
    client.force_login(owner)
    html = client.get(reverse("signup")).content.decode()
    assert 'name="password1"' not in html
    response = client.post(
        reverse("signup"), {"name": "Second Place", "slug": "second", "timezone": "UTC"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert set(
            Membership.objects.filter(user=owner).values_list("tenant__slug", flat=True)
        ) == {"alba", "second"}


def test_log_in_with_the_email_in_any_case(client, db):
    make_user("mixed@example.com")
    response = client.post(
        reverse("login"), {"username": "MiXeD@Example.COM", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_a_wrong_password_is_refused(client, db):
    make_user("someone@example.com")
    response = client.post(reverse("login"), {"username": "someone@example.com", "password": "no"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_after_log_in_the_user_lands_in_their_restaurant(client, tenant, owner):
    response = client.post(
        reverse("login"), {"username": owner.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("tenants:dashboard", args=[tenant.slug])


def test_home_goes_to_the_restaurant_used_last(client, tenant, other_tenant):
    user = make_member(tenant)
    make_member(other_tenant, user=user)
    client.force_login(user)
    client.get(reverse("tenants:dashboard", args=[other_tenant.slug]))
    assert client.get(reverse("home"))["Location"] == reverse(
        "tenants:dashboard", args=[other_tenant.slug]
    )
    client.get(reverse("tenants:dashboard", args=[tenant.slug]))
    assert client.get(reverse("home"))["Location"] == reverse(
        "tenants:dashboard", args=[tenant.slug]
    )


def test_the_switcher_lists_every_restaurant_of_the_user(client, tenant, other_tenant):
    user = make_member(tenant)
    make_member(other_tenant, user=user)
    make_tenant("Not Mine")
    client.force_login(user)
    html = client.get(reverse("tenants:dashboard", args=[tenant.slug])).content.decode()
    assert reverse("tenants:dashboard", args=[other_tenant.slug]) in html
    assert 'aria-current="page">Trattoria Alba' in html
    assert "Not Mine" not in html


def test_a_user_without_a_restaurant_is_offered_to_add_one(client, db):
    client.force_login(make_user())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert reverse("signup") in response.content.decode()


def test_log_out(owner_client, tenant):
    response = owner_client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in owner_client.session


@pytest.mark.parametrize(
    "name", ["login", "signup", "password_reset", "password_reset_done", "password_reset_complete"]
)
def test_the_auth_pages_render(client, db, name):
    assert client.get(reverse(name)).status_code == 200


def test_password_reset_end_to_end(client, db, settings):
    settings.SITE_URL = "https://portal.tablecast.example"
    make_user("forgot@example.com")
    response = client.post(
        reverse("password_reset"), {"email": "FORGOT@example.com"}, HTTP_HOST="evil.example"
    )
    assert response["Location"] == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == ["forgot@example.com"]
    link = re.search(r"https://portal\.tablecast\.example(\S+)", message.body)[1]
    assert "evil.example" not in message.body
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    new = "a-brand-new-passphrase-42"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response["Location"] == reverse("password_reset_complete")
    assert client.login(username="forgot@example.com", password=new)


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
