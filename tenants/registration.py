"""Sign-up with a confirmed email, answering the same whether or not the email has an account.

A visitor's sign-up creates the restaurant and its owner at once, but the owner stays inactive
(cannot log in) until they open the link emailed to them. When the email already belongs to an
account, nothing is created and that address gets an email saying so (with the log-in and
password-reset links) instead. Either way the visitor sees the same "check your email" page, so
the sign-up form cannot be used to learn who has an account. See docs/security.md, "Sign-up".

`PendingSignup` marks an owner who has not confirmed yet: only such a user is ever switched on
by a link, never one an operator switched off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from lib import throttle
from tenants.models import Membership, PendingSignup, Tenant
from tenants.scoping import scopes_disabled
from tenants.services import SLUG_TAKEN, normalize_email, send_email, slug_is_taken, tenant_create

logger = logging.getLogger(__name__)

LINK_EXPIRED = (
    "This confirmation link has expired or was already used. Log in, or sign up again with the "
    "same email to get a new link."
)


class SignupTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens (signed, dated, valid for PASSWORD_RESET_TIMEOUT), salted apart and
    tied to ``is_active``: once the owner is active the link stops working."""

    key_salt = "tenants.registration.SignupTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{user.pk}{user.password}{user.is_active}{timestamp}"


signup_tokens = SignupTokenGenerator()


@dataclass(frozen=True)
class SignupResult:
    """What `tenant_signup` did. The caller must not show the difference to the visitor."""

    user: User | None  # the new, unconfirmed owner; None when the email already had an account
    tenant: Tenant | None


def _check_restaurant(*, name: str, slug: str, timezone: str) -> None:
    tenant = Tenant(name=name.strip(), slug=slug.strip().lower(), timezone=timezone)
    tenant.full_clean(validate_unique=False)
    if slug_is_taken(tenant.slug):
        raise ValidationError({"slug": SLUG_TAKEN})


def tenant_signup(
    *, name: str, slug: str, timezone: str, email: str, password: str
) -> SignupResult:
    """A visitor's sign-up (see the module docstring). Every check whose answer does not depend
    on the email runs first and raises `ValidationError`; after that the outcome is an email,
    whichever branch is taken. At most ``signup_email`` emails an hour go to one address."""
    email = normalize_email(email)
    try:
        validate_password(password, get_user_model()(username=email, email=email))
    except ValidationError as error:
        raise ValidationError({"password2": error.messages}) from None
    _check_restaurant(name=name, slug=slug, timezone=timezone)
    existing = get_user_model().objects.filter(username__iexact=email).first()
    if existing is not None:
        make_password(password)  # the same hashing work as a new account: no timing tell
        _email_existing(existing)
        return SignupResult(user=None, tenant=None)
    User = get_user_model()
    user = User(username=email, email=email, is_active=False)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            PendingSignup.objects.create(user=user)
            tenant = tenant_create(owner=user, name=name, slug=slug, timezone=timezone)
    except IntegrityError:  # the same email signed up concurrently: it has an account now
        return SignupResult(user=None, tenant=None)
    _email_existing(user)
    return SignupResult(user=user, tenant=tenant)


def signup_email_again(*, email: str) -> None:
    """ "Send it again" on the check-your-email page: the same email as a sign-up would send for
    this address now, and nothing for an address without an account."""
    user = get_user_model().objects.filter(username__iexact=normalize_email(email)).first()
    if user is not None:
        _email_existing(user)


def _email_existing(user: User) -> None:
    """The confirmation link to an unconfirmed owner, or "you already have an account" to anyone
    else; nothing once the address had its hourly share."""
    address = user.email or user.username
    if throttle.blocked_minutes("signup_email", address):
        logger.info("sign-up email to user %s not sent: hourly limit", user.pk)
        return
    throttle.record("signup_email", address)
    pending = PendingSignup.objects.filter(user=user).exists()
    if pending:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = settings.SITE_URL + reverse(
            "signup_confirm", args=[uid, signup_tokens.make_token(user)]
        )
        with scopes_disabled():
            tenant = Tenant.objects.filter(
                memberships__user=user, memberships__role=Membership.Role.OWNER
            ).first()
        send_email(
            to=address,
            subject="Confirm your email to open Tablecast",
            template="tenants/email/signup_confirm.txt",
            context={"link": link, "tenant": tenant, "days": link_days()},
        )
        return
    send_email(
        to=address,
        subject="You already have a Tablecast account",
        template="tenants/email/signup_exists.txt",
        context={
            "login_url": settings.SITE_URL + reverse("login"),
            "reset_url": settings.SITE_URL + reverse("password_reset"),
        },
    )


def link_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def signup_user(*, uidb64: str) -> User | None:
    """The unconfirmed owner a link's first part names, or None (no such user, or confirmed)."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None
    if not 0 < pk < 2**63:
        return None
    return get_user_model().objects.filter(pk=pk, pending_signup__isnull=False).first()


def signup_token_is_valid(*, user: User | None, token: str) -> bool:
    return user is not None and len(token) <= 100 and signup_tokens.check_token(user, token)


@transaction.atomic
def signup_confirm(*, user: User | None, token: str) -> Tenant:
    """Switch the owner on (the link works once). Returns their restaurant. A link that is
    wrong, expired or used raises `ValidationError` and changes nothing."""
    if user is None or not signup_token_is_valid(user=user, token=token):
        raise ValidationError(LINK_EXPIRED)
    tenant = signup_activate(user=user)
    if tenant is None:  # confirmed meanwhile, or an operator removed the restaurant
        raise ValidationError(LINK_EXPIRED)
    return tenant


@transaction.atomic
def signup_activate(*, user: User) -> Tenant | None:
    """Switch an unconfirmed owner on (the link, or an operator vouching for them). Returns their
    first restaurant; None, changing nothing, when the user was not waiting for confirmation."""
    if not PendingSignup.objects.filter(user=user).delete()[0]:
        return None
    get_user_model().objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    with scopes_disabled():
        membership = (
            Membership.objects.select_related("tenant")
            .filter(user=user, role=Membership.Role.OWNER)
            .order_by("created_at")
            .first()
        )
    if membership is None:
        transaction.set_rollback(True)
        return None
    return membership.tenant


def pending_login(*, email: str, password: str) -> bool:
    """Log-in of an owner who has not confirmed: with the right password, email the link again
    and say so (only someone holding the password learns the account exists)."""
    user = (
        get_user_model()
        .objects.filter(username__iexact=normalize_email(email), pending_signup__isnull=False)
        .first()
    )
    if user is None or not user.check_password(password):
        return False
    _email_existing(user)
    return True


def signups_purge() -> int:
    """Sign-ups never confirmed within ``SIGNUP_UNCONFIRMED_DAYS``: remove the user and the
    restaurants they alone belong to (nothing can have happened there: nobody could log in), so
    the web address is free again. Returns how many users were removed."""
    cutoff = timezone.now() - timedelta(days=settings.SIGNUP_UNCONFIRMED_DAYS)
    users = list(
        get_user_model().objects.filter(pending_signup__created_at__lt=cutoff, is_active=False)
    )
    with scopes_disabled(), transaction.atomic():
        theirs = Membership.objects.filter(user__in=users).values("tenant_id")
        lonely = (  # counted over all their members, not just the joined one
            Tenant.objects.filter(pk__in=theirs)
            .annotate(members=Count("memberships"))
            .filter(members=1)
            .values_list("pk", flat=True)
        )
        Tenant.objects.filter(pk__in=list(lonely)).delete()
        get_user_model().objects.filter(pk__in=[u.pk for u in users]).delete()
    if users:
        logger.info("removed %d sign-ups never confirmed", len(users))
    return len(users)
