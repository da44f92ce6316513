"""Portal pages of the tenants app: sign-up, the dashboard, the profile, members, invitations.

Pages under /t/<tenant_slug>/ run inside the tenant's scope (the middleware checks membership);
they still filter by ``request.tenant`` explicitly. Owner-only actions use `owner_required`."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.contrib.auth.views import PasswordResetView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib import throttle
from lib.urls import per_restaurant
from tenants import registration, selectors, services
from tenants.access import access_invitation, access_membership, owner_required
from tenants.forms import (
    AcceptInvitationForm,
    ConfirmByInvitationForm,
    InviteForm,
    ProfileForm,
    RoleForm,
    SignupForm,
    SiteURLPasswordResetForm,
)
from tenants.http import TenantRequest
from tenants.models import Membership, has_opening_hours

LAST_TENANT_SESSION_KEY = "tenants:last"
# Where an invitation token waits between the emailed link and the accept form, so the token
# is in the address bar (and logs) for one redirect only (Django's password-reset pattern).
INVITATION_SESSION_KEY = "tenants:invitation"
INVITATION_URL_TOKEN = "accept"  # noqa: S105 (a placeholder in the address, not a secret)

# The sign-up's email between the form and the "check your email" page, and the confirmation
# token between the emailed link and the token-free confirm page.
SIGNUP_SESSION_KEY = "tenants:signup_email"
SIGNUP_TOKEN_SESSION_KEY = "tenants:signup_token"  # noqa: S105 (a session key)
SIGNUP_URL_TOKEN = "confirm"  # noqa: S105 (a placeholder in the address, not a secret)

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _form_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form (field errors by name, others on top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the restaurant they used last (or their first one)."""
    memberships = selectors.memberships_of(user=request.user)
    if not memberships:
        return TemplateResponse(request, "tenants/no_tenant.html")
    last = request.session.get(LAST_TENANT_SESSION_KEY)
    chosen = next((m for m in memberships if m.tenant.slug == last), memberships[0])
    return redirect("tenants:dashboard", tenant_slug=chosen.tenant.slug)


class PasswordResetRequestView(PasswordResetView):
    """Django's reset request, throttled (docs/security.md): past the per-address limit the
    form says when to try again; past the per-email limit the same "check your email" page is
    shown and nothing is sent, whether or not the account exists. An owner who never confirmed
    their sign-up gets the confirmation link."""

    form_class = SiteURLPasswordResetForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        if throttle.blocked_minutes("password_reset_email", email):
            return HttpResponseRedirect(self.get_success_url())
        address = throttle.client_address(self.request)
        minutes = throttle.blocked_minutes("password_reset_address", address)
        if minutes:
            form.add_error(None, throttle.too_many_message(minutes))
            return self.form_invalid(form)
        throttle.record("password_reset_address", address)
        throttle.record("password_reset_email", email)
        # Django sends nothing to an inactive user; one who never confirmed their sign-up gets
        # the confirmation link instead (what they are missing), under the same page.
        registration.signup_email_if_pending(email=email)
        return super().form_valid(form)


def _signup_attempt(request: HttpRequest) -> int:
    """Count a sign-up or "send again" against the client address; minutes still to wait (0:
    go ahead). Both share one limit (docs/security.md)."""
    address = throttle.client_address(request)
    minutes = throttle.blocked_minutes("signup_address", address)
    throttle.record("signup_address", address)
    return minutes


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """A new restaurant: with a new account for visitors, under the current user otherwise.
    A visitor's sign-up ends on the "check your email" page whether or not the email already
    had an account (tenants/registration.py). Attempts are throttled per client address
    (docs/security.md)."""
    with_account = not request.user.is_authenticated
    form = SignupForm(request.POST or None, with_account=with_account)
    if request.method == "POST":
        minutes = _signup_attempt(request)
        if minutes:
            form.full_clean()
            form.add_error(None, throttle.too_many_message(minutes))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if with_account:
                registration.tenant_signup(
                    name=data["name"],
                    slug=data["slug"],
                    timezone=data["timezone"],
                    email=data["email"],
                    password=data["password1"],
                )
                request.session[SIGNUP_SESSION_KEY] = data["email"]
                return redirect("signup_sent")
            tenant = services.tenant_create(
                owner=cast(User, request.user),  # with_account is False: logged in
                name=data["name"],
                slug=data["slug"],
                timezone=data["timezone"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"Welcome to Tablecast, {tenant.name}!")
            return redirect("tenants:dashboard", tenant_slug=tenant.slug)
    return TemplateResponse(
        request, "tenants/signup.html", {"form": form, "with_account": with_account}
    )


@require_http_methods(["GET", "POST"])
def signup_sent(request: HttpRequest) -> HttpResponse:
    """ "Check your email", with a button to send the email again (throttled like sign-up)."""
    email = request.session.get(SIGNUP_SESSION_KEY, "")
    if not email:
        return redirect("signup")
    error = ""
    if request.method == "POST":
        minutes = _signup_attempt(request)
        if minutes:
            error = throttle.too_many_message(minutes)
        else:
            registration.signup_email_again(email=email)
            messages.success(request, f"We sent the email to {email} again.")
            return redirect("signup_sent")
    return TemplateResponse(
        request,
        "tenants/signup_sent.html",
        {"email": email, "error": error, "days": registration.link_days()},
    )


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The emailed link. As with invitations, the token moves into the session and the browser
    goes on to a token-free address; there one button confirms (a GET changes nothing, so a mail
    scanner opening the link does not log anyone in)."""
    if token != SIGNUP_URL_TOKEN:
        request.session[SIGNUP_TOKEN_SESSION_KEY] = token[:100]
        return redirect("signup_confirm", uidb64=uidb64, token=SIGNUP_URL_TOKEN)
    user = registration.signup_user(uidb64=uidb64)
    token = request.session.get(SIGNUP_TOKEN_SESSION_KEY, "")
    if not registration.signup_token_is_valid(user=user, token=token):
        return TemplateResponse(
            request,
            "tenants/signup_confirm.html",
            {"error": registration.LINK_EXPIRED},
            status=404,
        )
    if request.method == "POST":
        try:
            tenant = registration.signup_confirm(user=user, token=token)
        except ValidationError as error:
            return TemplateResponse(
                request,
                "tenants/signup_confirm.html",
                {"error": " ".join(error.messages)},
                status=404,
            )
        request.session.pop(SIGNUP_TOKEN_SESSION_KEY, None)
        login(request, cast(User, user), backend=AUTH_BACKEND)
        messages.success(request, f"Welcome to Tablecast, {tenant.name}!")
        return redirect("tenants:dashboard", tenant_slug=tenant.slug)
    return TemplateResponse(
        request, "tenants/signup_confirm.html", {"email": cast(User, user).email}
    )


@require_GET
def dashboard(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    if request.session.get(LAST_TENANT_SESSION_KEY) != request.tenant.slug:
        request.session[LAST_TENANT_SESSION_KEY] = request.tenant.slug
    summary = selectors.dashboard_summary(tenant=request.tenant)
    links = _dashboard_links(request.tenant.slug)
    context = {
        "summary": summary,
        "links": links,
        "next_steps": [(step, links[step.url_name]) for step in summary.next_steps],
    }
    return TemplateResponse(request, "tenants/dashboard.html", context)


# The dashboard's links depend only on the restaurant (and the URL configuration): reversed
# once per process for each, as `{% tenant_nav %}` does; seven `{% url %}` were an eighth of
# the page's Python (docs/performance.md, "Pages").
_DASHBOARD_LINKS = ("social:accounts", "assets:library", "tenants:members", "tenants:profile")


@per_restaurant
def _dashboard_links(slug: str) -> Mapping[str, str]:
    """Each of the dashboard's pages by URL name, with its short name too (``accounts``,
    ``library``…) for the template."""
    urls = {name: reverse(name, args=[slug]) for name in _DASHBOARD_LINKS}
    return MappingProxyType(urls | {name.partition(":")[2]: url for name, url in urls.items()})


@require_http_methods(["GET", "POST"])
def profile(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Any member may edit the profile (the role matrix test documents this)."""
    form = ProfileForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.tenant_profile_update(tenant=request.tenant, fields=form.profile_values())
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("tenants:profile", tenant_slug=request.tenant.slug)
    context = {"form": form, "has_opening_hours": has_opening_hours(request.tenant.opening_hours)}
    return TemplateResponse(request, "tenants/profile.html", context)


def _members_page(
    request: TenantRequest, *, invite_form: InviteForm | None = None, status: int = 200
) -> TemplateResponse:
    tenant = request.tenant
    memberships = selectors.member_list(tenant=tenant)
    invitations = selectors.open_invitations(tenant=tenant)
    return TemplateResponse(
        request,
        "tenants/members.html",
        {
            "memberships": memberships,
            "invitations": invitations,
            "invite_form": invite_form or InviteForm(tenant=tenant),
            "roles": Membership.Role.choices,
            "owner_count": sum(1 for m in memberships if m.is_owner),
        },
        status=status,
    )


@require_GET
def members(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Everyone sees who is in the restaurant; only owners get the forms."""
    return _members_page(request)


@owner_required
@require_POST
def member_invite(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = InviteForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            result = services.member_invite(
                tenant=request.tenant,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            email = form.cleaned_data["email"]
            if result.email_sent:
                messages.success(request, f"Invitation sent to {email}; the link works for 7 days.")
            else:
                messages.warning(
                    request,
                    f"The invitation for {email} is saved, but the email could not be sent. "
                    "Invite them again in a while to send a fresh link.",
                )
            return redirect("tenants:members", tenant_slug=request.tenant.slug)
    return _members_page(request, invite_form=form, status=400)


@owner_required
@require_POST
def member_role(request: TenantRequest, tenant_slug: str, membership_id: int) -> HttpResponse:
    membership = access_membership(tenant=request.tenant, id=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick owner or staff.")
    else:
        try:
            services.membership_role_change(membership=membership, role=form.cleaned_data["role"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"{membership.user.email} is now {membership.get_role_display().lower()}."
            )
    return redirect("tenants:members", tenant_slug=request.tenant.slug)


@owner_required
@require_POST
def member_remove(request: TenantRequest, tenant_slug: str, membership_id: int) -> HttpResponse:
    membership = access_membership(tenant=request.tenant, id=membership_id)
    try:
        services.membership_remove(membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("tenants:members", tenant_slug=request.tenant.slug)
    if membership.user_id == request.user.pk:
        messages.success(request, f"You left {request.tenant.name}.")
        return redirect("home")
    messages.success(request, f"{membership.user.email} was removed.")
    return redirect("tenants:members", tenant_slug=request.tenant.slug)


@owner_required
@require_POST
def invitation_revoke(request: TenantRequest, tenant_slug: str, invitation_id: int) -> HttpResponse:
    invitation = access_invitation(tenant=request.tenant, id=invitation_id)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
    return redirect("tenants:members", tenant_slug=request.tenant.slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link. The token moves into the session and the browser is sent on to a
    token-free address; there the invited person sets a password, or just accepts if logged in
    with the invited email."""
    if token != INVITATION_URL_TOKEN:
        request.session[INVITATION_SESSION_KEY] = token
        return redirect("invitation_accept", token=INVITATION_URL_TOKEN)
    invitation = services.invitation_for_token(request.session.get(INVITATION_SESSION_KEY, ""))
    if invitation is None:
        return TemplateResponse(request, "tenants/invitation_invalid.html", status=404)

    user = request.user if request.user.is_authenticated else None
    account_exists = user is None and services.email_is_taken(invitation.email)
    # An owner who signed up with this email and never confirmed: their password and this
    # link confirm the account and join at once (tenants/registration.py).
    pending = registration.pending_account(email=invitation.email) if account_exists else None
    wrong_user = user is not None and not services.invitation_is_for(
        invitation=invitation, user=user
    )
    form: forms.Form | None = None
    if pending is not None:
        form = ConfirmByInvitationForm(request.POST or None, account=pending, request=request)
    elif user is None:
        form = AcceptInvitationForm(request.POST or None)
    can_accept = not wrong_user and (not account_exists or pending is not None)
    if request.method == "POST" and can_accept and (form is None or form.is_valid()):
        try:
            if pending is not None:
                user, membership = registration.invitation_accept_confirming(
                    invitation=invitation, user=pending
                )
            else:
                user, membership = services.invitation_accept(
                    invitation=invitation,
                    user=user,
                    password=form.cleaned_data["password1"] if form is not None else None,
                )
        except ValidationError as error:
            if form is None:
                messages.error(request, " ".join(error.messages))
                return redirect("home")
            _form_errors(form, error)
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            if not request.user.is_authenticated:
                login(request, user, backend=AUTH_BACKEND)
            confirmed = " Your email is confirmed too." if pending is not None else ""
            messages.success(request, f"Welcome to {membership.tenant.name}!{confirmed}")
            return redirect("tenants:dashboard", tenant_slug=membership.tenant.slug)
    return TemplateResponse(
        request,
        "tenants/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "wrong_user": wrong_user,
            "account_exists": account_exists,
            "pending": pending is not None,
            "login_url": f"{reverse('login')}?next={reverse('invitation_accept', args=[INVITATION_URL_TOKEN])}",
        },
    )
