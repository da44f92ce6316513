"""Builders for tests (used by every app's tests and by the demo seed)."""

from __future__ import annotations

import itertools
import re
import secrets

from django.contrib.auth import get_user_model
from django.utils import timezone

from tenants.models import Invitation, Membership, Tenant, default_opening_hours
from tenants.scoping import scopes_disabled

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"
# A visitor's sign-up form, filled in well (tests change one field at a time).
SIGNUP_FORM = {
    "name": "Osteria Verde",
    "slug": "osteria-verde",
    "timezone": "Europe/Rome",
    "email": "chef@verde.example",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def make_tenant(name: str | None = None, **fields) -> Tenant:
    n = next(_counter)
    name = name or f"Trattoria {n}"
    fields.setdefault("slug", f"{name.lower().replace(' ', '-')}-{n}")
    fields.setdefault("timezone", "Europe/Rome")
    fields.setdefault("opening_hours", default_opening_hours())
    return Tenant.objects.create(name=name, **fields)


def make_user(email: str | None = None, password: str = PASSWORD, **fields):
    email = email or f"user{next(_counter)}@example.com"
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, **fields
    )


def make_member(tenant: Tenant, user=None, role: str = Membership.Role.OWNER):
    user = user or make_user()
    with scopes_disabled():
        Membership.objects.create(tenant=tenant, user=user, role=role)
    return user


def make_invitation(tenant: Tenant, email: str | None = None, role: str = Membership.Role.STAFF):
    """An open invitation and its token (the token is what the email link carries)."""
    token = secrets.token_urlsafe(32)
    with scopes_disabled():
        invitation = Invitation.objects.create(
            tenant=tenant,
            email=email or f"invited{next(_counter)}@example.com",
            role=role,
            token_hash=Invitation.hash_token(token),
            expires_at=timezone.now() + Invitation.TTL,
        )
    return invitation, token


def membership_of(tenant: Tenant, user) -> Membership:
    with scopes_disabled():
        return Membership.objects.get(tenant=tenant, user=user)


def signup_link(message) -> str:
    """The path of the confirmation link in a sign-up email (``django.core.mail`` message)."""
    found = re.search(r"https?://[^/\s]+(/signup/confirm/\S+)", str(message.body))
    assert found is not None, message.body
    return found[1]


def confirm_signup_in_browser(page, base_url: str, email: str) -> None:
    """After a sign-up in the browser: on "check your email", open the emailed link (the
    test's outbox: the live server runs in the test's process) and confirm."""
    from django.core import mail

    page.wait_for_url(f"{base_url}/signup/sent/")
    assert email in page.inner_text("main")
    [message] = [m for m in mail.outbox if m.to == [email]]
    page.goto(base_url + signup_link(message))
    page.click("main button[type=submit]")
