"""Writes for restaurants and their people: restaurants, profile, members and invitations
(sign-up itself: tenants/registration.py).

Every function is keyword-only. Bad input raises `django.core.exceptions.ValidationError`
(with a field name where one applies, so forms can show it next to the field) and writes nothing.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tenants.models import Invitation, Membership, Tenant
from tenants.scoping import scopes_disabled, tenant_scope

logger = logging.getLogger(__name__)

SLUG_TAKEN = "This web address is taken: try another one."


def normalize_email(email: str) -> str:
    """Emails are usernames; they are stored lower-case so a login matches in any case."""
    return email.strip().lower()


def email_is_taken(email: str) -> bool:
    return get_user_model().objects.filter(username__iexact=normalize_email(email)).exists()


# The checks below run in a form (to show the error by its field) and again in the service
# (the truth, also for callers without a form): one function each, so both say the same.
def slug_is_taken(slug: str) -> bool:
    return Tenant.objects.filter(slug=slug.strip().lower()).exists()


def is_member(*, tenant: Tenant, email: str) -> bool:
    return Membership.objects.filter(
        tenant=tenant, user__username__iexact=normalize_email(email)
    ).exists()


def already_member_message(*, tenant: Tenant, email: str) -> str:
    return f"{normalize_email(email)} is already a member of {tenant.name}."


def tenant_create(*, owner: User, name: str, slug: str, timezone: str) -> Tenant:
    """A new restaurant with ``owner`` as its first owner."""
    tenant = Tenant(name=name.strip(), slug=slug.strip().lower(), timezone=timezone)
    tenant.full_clean(validate_unique=False)
    if slug_is_taken(tenant.slug):
        raise ValidationError({"slug": SLUG_TAKEN})
    try:
        with transaction.atomic():
            tenant.save()
    except IntegrityError:  # a concurrent sign-up took the slug between the check and the insert
        raise ValidationError({"slug": SLUG_TAKEN}) from None
    with tenant_scope(tenant):
        Membership.objects.create(tenant=tenant, user=owner, role=Membership.Role.OWNER)
    return tenant


def tenant_profile_update(*, tenant: Tenant, fields: dict[str, Any]) -> Tenant:
    """Update the restaurant's profile. The slug (its web address) is not editable here."""
    editable = {
        f.name
        for f in Tenant._meta.concrete_fields
        if f.editable and f.name not in {"id", "slug", "created_at", "updated_at"}
    }
    unknown = set(fields) - editable
    if unknown:
        raise ValueError(f"Not profile fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(tenant, name, value)
    try:
        tenant.full_clean()
    except ValidationError:
        tenant.refresh_from_db(fields=list(fields))  # the caller's object keeps what is saved
        raise
    tenant.save(update_fields=[*fields, "updated_at"])
    return tenant


@dataclass(frozen=True)
class InviteResult:
    """What `member_invite` did: the invitation, and whether its email went out."""

    invitation: Invitation
    email_sent: bool = True


def send_email(*, to: str, subject: str, template: str, context: dict[str, Any]) -> bool:
    """Render ``template`` and send it; False (logged, never raised) when the mail server fails."""
    body = render_to_string(template, context)
    try:
        send_mail(subject, body, None, [to])
    except OSError:  # SMTP down, refused, timed out (smtplib errors are OSErrors)
        logger.exception("Could not send %s", template)
        return False
    return True


def member_invite(*, tenant: Tenant, email: str, role: str, invited_by: User) -> InviteResult:
    """Invite ``email`` to the restaurant: an emailed link, whether or not the address has a
    Tablecast account, and the same answer either way (docs/security.md, "Invitations"):
    nobody joins a restaurant without opening the link, and the members page cannot be used
    to learn who has an account. Someone who has one logs in from the link to accept.

    An invitation carries a 256-bit token, of which only the hash is stored; inviting the same
    email again replaces the open invitation (a fresh link, a fresh 7 days)."""
    email = normalize_email(email)
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Pick owner or staff."})
    with tenant_scope(tenant):
        if is_member(tenant=tenant, email=email):
            raise ValidationError({"email": already_member_message(tenant=tenant, email=email)})
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            Invitation.objects.filter(tenant=tenant, email=email, accepted_at__isnull=True).delete()
            invitation = Invitation.objects.create(
                tenant=tenant,
                email=email,
                role=role,
                token_hash=Invitation.hash_token(token),
                invited_by=invited_by,
                expires_at=timezone.now() + Invitation.TTL,
            )
    link = settings.SITE_URL + reverse("invitation_accept", args=[token])
    sent = send_email(
        to=email,
        subject=f"Join {tenant.name} on Tablecast",
        template="tenants/email/invitation.txt",
        context={
            "tenant": tenant,
            "invited_by": invited_by,
            "role": role,
            "link": link,
            "expires_at": invitation.expires_at,
        },
    )
    return InviteResult(invitation=invitation, email_sent=sent)


def invitation_for_token(token: str) -> Invitation | None:
    """The open (unused, unexpired) invitation for a token from an email link, or None.

    Public pages have no tenant scope yet: the token itself says which tenant it belongs to."""
    if not token or len(token) > 200:
        return None
    with scopes_disabled():
        invitation = (
            Invitation.objects.select_related("tenant")
            .filter(token_hash=Invitation.hash_token(token))
            .first()
        )
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


@transaction.atomic
def invitation_is_for(*, invitation: Invitation, user: Any) -> bool:
    """Whether this logged-in user is the person invited (by email; usernames are emails)."""
    return normalize_email(user.email or user.get_username()) == invitation.email


def invitation_accept(
    *, invitation: Invitation, user: User | None = None, password: str | None = None
) -> tuple[User, Membership]:
    """Use an invitation once: as the logged-in ``user`` (who must have the invited email), or by
    creating the account with ``password``."""
    with tenant_scope(invitation.tenant):
        locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        if locked is None or not locked.is_pending:
            raise ValidationError("This invitation has already been used or has expired.")
        if user is None:
            if email_is_taken(locked.email):
                raise ValidationError(
                    "An account with this email exists now: log in, then open the link again."
                )
            user = get_user_model()(username=locked.email, email=locked.email)
            try:
                validate_password(password or "", user)
            except ValidationError as error:
                raise ValidationError({"password2": error.messages}) from None
            user.set_password(password)
            user.save()
        elif not invitation_is_for(invitation=locked, user=user):
            raise ValidationError(
                f"This invitation is for {locked.email}. Log out, then open the link again."
            )
        membership, _created = Membership.objects.get_or_create(
            tenant=locked.tenant, user=user, defaults={"role": locked.role}
        )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
    return user, membership


def _lock_owners(tenant: Tenant) -> list[int]:
    return list(
        Membership.objects.select_for_update()
        .filter(tenant=tenant, role=Membership.Role.OWNER)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def membership_role_change(*, membership: Membership, role: str) -> Membership:
    """Make a member owner or staff; the last owner cannot be made staff."""
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Pick owner or staff."})
    with tenant_scope(membership.tenant):
        owners = _lock_owners(membership.tenant)
        if role == Membership.Role.STAFF and owners == [membership.pk]:
            raise ValidationError(
                "A restaurant needs at least one owner: make someone else owner first."
            )
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove a member from the restaurant; the last owner cannot be removed."""
    with tenant_scope(membership.tenant):
        owners = _lock_owners(membership.tenant)
        if owners == [membership.pk]:
            raise ValidationError(
                "A restaurant needs at least one owner: make someone else owner first."
            )
        membership.delete()


def invitation_revoke(*, invitation: Invitation) -> None:
    """Withdraw an invitation that has not been used yet (its link stops working)."""
    with tenant_scope(invitation.tenant):
        Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()
