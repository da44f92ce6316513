"""The tenants app's part of the URL-enumerating isolation test (tenants/tests/test_isolation.py).

Contract, for every app (``<app>/tests/isolation.py``, both names optional):
- ``KWARG_FACTORIES = {"<url kwarg>": callable(tenant) -> value}``: for every URL kwarg other than
  ``tenant_slug`` used by the app's /t/<tenant_slug>/… patterns, a function that creates an object
  of ``tenant`` and returns the value to put in the URL. It runs under ``scopes_disabled()``.
  One kwarg name means one thing across apps (a second, different factory for it is an error).
- ``PUBLIC_URLS = {"<namespace:url_name>": "why it is not tenant-scoped"}``: patterns outside
  /t/<tenant_slug>/ that are public on purpose.
"""

from __future__ import annotations

from tenants.testing import make_invitation, make_member, membership_of


def _membership_id(tenant) -> int:
    return membership_of(tenant, make_member(tenant, role="staff")).pk


def _invitation_id(tenant) -> int:
    invitation, _token = make_invitation(tenant)
    return invitation.pk


KWARG_FACTORIES = {
    "membership_id": _membership_id,
    "invitation_id": _invitation_id,
}

PUBLIC_URLS = {
    "home": "Logged-in users only; redirects to one of the user's own restaurants.",
    "invitation_accept": "The emailed link: the 256-bit token (stored hashed) is the credential.",
    "signup_sent": "The visitor's own sign-up, by the email in their session; same for everyone.",
    "signup_confirm": "The emailed link: Django's signed, dated token for that one user.",
}
