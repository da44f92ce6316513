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
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from lib import throttle
from tenants.models import Invitation, Membership, PendingSignup, Tenant
from tenants.scoping import scopes_disabled
from tenants.services import (
    SLUG_TAKEN,
    invitation_accept,
    normalize_email,
    send_email,
    slug_is_taken,
    tenant_create,
)

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


def _check_restaurant(*, name: str, slug: str, timezone: str) -> None:
    Tenant(name=name.strip(), slug=slug, timezone=timezone).clean_fields()
    if slug_is_taken(slug):
        raise ValidationError({"slug": SLUG_TAKEN})


def tenant_signup(*, name: str, slug: str, timezone: str, email: str, password: str) -> None:
    """A visitor's sign-up (see the module docstring). Every check whose answer does not depend
    on the email runs first and raises `ValidationError`; after that the outcome is an email to
    the typed address, whichever branch is taken, and nothing tells the caller which it was."""
    email = normalize_email(email)
    User = get_user_model()
    try:
        validate_password(password, User(username=email))
    except ValidationError as error:
        raise ValidationError({"password2": error.messages}) from None
    _check_restaurant(name=name, slug=slug, timezone=timezone)
    if User.objects.filter(username__iexact=email).exists():
        make_password(password)  # the same hashing work as a new account: no timing tell
        _email_existing(email)
        return
    user = User(username=email, email=email, is_active=False)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            tenant = tenant_create(owner=user, name=name, slug=slug, timezone=timezone)
            with scopes_disabled():
                PendingSignup.objects.create(user=user, tenant=tenant)
    except IntegrityError:  # the same email signed up concurrently: it has an account now
        return
    _email_existing(email)


def signup_email_again(*, email: str) -> None:
    """ "Send it again" on the check-your-email page: the same email as a sign-up would send to
    this address now, and nothing for an address without an account."""
    _email_existing(normalize_email(email))


def signup_email_if_pending(*, email: str) -> None:
    """The confirmation link again, for an owner still waiting for it (a password-reset request,
    which Django answers with nothing for an inactive user); nothing for anyone else."""
    if pending_account(email=email) is not None:
        _email_existing(normalize_email(email))


def _email_existing(address: str) -> None:
    """To the account of ``address`` (as typed, normalised): the confirmation link while it is
    unconfirmed, else "you already have an account"; nothing for an address without an account,
    nor once the address had its hourly share."""
    user = (
        get_user_model()
        .objects.filter(username__iexact=address)
        .select_related("pending_signup__tenant")  # one query, waiting or not
        .first()
    )
    if user is None:
        return
    if throttle.blocked_minutes("signup_email", address):
        logger.info("sign-up email to user %s not sent: hourly limit", user.pk)
        return
    throttle.record("signup_email", address)
    # None when not waiting (the reverse accessor's "does not exist" is an AttributeError).
    pending = getattr(user, "pending_signup", None)
    if pending is not None:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = settings.SITE_URL + reverse(
            "signup_confirm", args=[uid, signup_tokens.make_token(user)]
        )
        send_email(
            to=address,
            subject="Confirm your email to open Tablecast",
            template="tenants/email/signup_confirm.txt",
            context={"link": link, "tenant": pending.tenant, "days": link_days()},
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
    """The unconfirmed owner a link's first part names, or None (no such user, or confirmed).
    A number beyond the id column's range finds nobody (Django's lookups say so, no query)."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return get_user_model().objects.filter(pk=pk, pending_signup__isnull=False).first()


def signup_token_is_valid(*, user: User | None, token: str) -> bool:
    return user is not None and signup_tokens.check_token(user, token)


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
    """Switch an unconfirmed owner on (the link, or an operator vouching for them). Returns the
    restaurant they signed up; None, changing nothing, when they were not waiting."""
    with scopes_disabled():
        pending = PendingSignup.objects.select_related("tenant").filter(user=user).first()
        if pending is None:
            return None
        pending.delete()
    get_user_model().objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    return pending.tenant


def pending_login(*, email: str, password: str) -> bool:
    """Log-in of an owner who has not confirmed: with the right password, email the link again
    and say so (only someone holding the password learns the account exists)."""
    user = pending_account(email=email)
    if user is None or not user.check_password(password):
        return False
    _email_existing(normalize_email(email))
    return True


def pending_account(*, email: str) -> User | None:
    """The account of ``email`` while its sign-up waits for confirmation; None for any other
    (no account, a confirmed one, or one an operator switched off)."""
    return (
        get_user_model()
        .objects.filter(username__iexact=normalize_email(email), pending_signup__isnull=False)
        .first()
    )


@transaction.atomic
def invitation_accept_confirming(*, invitation: Invitation, user: User) -> tuple[User, Membership]:
    """An invitation to the email of an owner who has not confirmed their sign-up: opening
    the invitation's link proves the email is theirs, as the confirmation link would, so the
    account is switched on (their own restaurant with it) and joins the inviting restaurant,
    in one transaction. The caller has checked the account's password (whose sign-up it is);
    an invitation that is used or expired raises `ValidationError` and changes nothing."""
    signup_activate(user=user)
    return invitation_accept(invitation=invitation, user=user)


def pending_owners(*, tenants: Iterable[Tenant]) -> QuerySet:
    """The owners of these restaurants' sign-ups that are still waiting for confirmation and
    belong to no other restaurant. When an operator deletes such a restaurant its owner goes
    too: they never had access, and left alone their account could neither log in nor reset
    its password, and it would answer their next sign-up with "you already have an account"."""
    ids = [tenant.pk for tenant in tenants]
    with scopes_disabled():
        elsewhere = Membership.objects.exclude(tenant_id__in=ids).values("user_id")
        return (
            get_user_model()
            .objects.filter(is_active=False, pending_signup__tenant_id__in=ids)
            .exclude(pk__in=elsewhere)
        )


def signups_purge() -> int:
    """Sign-ups never confirmed within ``SIGNUP_UNCONFIRMED_DAYS``: remove the user and the
    restaurants they alone belong to (nothing can have happened there: nobody could log in), so
    the web address is free again. Returns how many users were removed."""
    cutoff = timezone.now() - timedelta(days=settings.SIGNUP_UNCONFIRMED_DAYS)
    with scopes_disabled(), transaction.atomic():
        stale = PendingSignup.objects.filter(created_at__lt=cutoff, user__is_active=False)
        users = list(stale.values_list("user_id", flat=True))
        lonely = (  # the restaurants nobody else was added to meanwhile
            Tenant.objects.filter(pk__in=stale.values("tenant_id"))
            .annotate(members=Count("memberships"))
            .filter(members=1)
            .values_list("pk", flat=True)
        )
        Tenant.objects.filter(pk__in=list(lonely)).delete()
        get_user_model().objects.filter(pk__in=users).delete()
    if users:
        logger.info("removed %d sign-ups never confirmed", len(users))
    return len(users)
