"""Forms for sign-up, log-in, the restaurant profile and members."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import date
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.db.models import URLField
from django.forms.models import fields_for_model
from django.utils.choices import BaseChoiceIterator
from django.utils.text import slugify

from lib import throttle
from lib.form_rendering import FixedChoicesSelect
from tenants.models import (
    MAX_OPENINGS_PER_DAY,
    WEEKDAY_NAMES,
    WEEKDAYS,
    Membership,
    Tenant,
    validate_closures,
    validate_opening_hours,
)
from tenants.registration import pending_login
from tenants.services import (
    SLUG_TAKEN,
    already_member_message,
    is_member,
    normalize_email,
    slug_is_taken,
)

DEFAULT_TIMEZONE = "Europe/London"
# Rows after these start collapsed on the profile page (static/js/tenants.js) until needed.
ALWAYS_SHOWN_SLOTS = 2
_LEGACY_PREFIXES = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/")


@cache
def timezone_choices() -> list[tuple[str, str]]:
    """IANA zones a restaurant can be in (Area/City), plus UTC; legacy aliases left out."""
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(_LEGACY_PREFIXES)
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class _TimezoneChoices(BaseChoiceIterator):
    """`timezone_choices` as a field's choices. Django normalises a callable's choices again on
    every pass over them (the select, its required check, validation: 600 pairs each time);
    its own iterator type it takes as it is."""

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(timezone_choices())


class TimezoneField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Time zone")
        kwargs.setdefault(
            "help_text", "Posts are scheduled and shown in the restaurant's local time."
        )
        super().__init__(
            choices=_TimezoneChoices(),
            widget=FixedChoicesSelect,
            error_messages={
                "invalid_choice": "%(value)s is not a time zone we know: pick one from the list."
            },
            **kwargs,
        )


class PasswordPairMixin(forms.Form):
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common password, not all numbers.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError("The two passwords differ.")
        return second or ""


# Shown for any taken address, so it tells nobody whose it is; it points someone who signed up
# before and lost the confirmation email at the ways that send it again.
SLUG_TAKEN_AT_SIGNUP = (
    f"{SLUG_TAKEN} If you signed up before and are waiting for the confirmation email, log in "
    "or use “Forgot your password?” to get it again."
)


class SignupForm(PasswordPairMixin):
    """A restaurant and, for a visitor, the owner's account. A logged-in user adding another
    restaurant only gets the restaurant fields (``with_account=False``)."""

    name = forms.CharField(label="Restaurant name", max_length=120)
    slug = forms.SlugField(
        label="Web address",
        max_length=60,
        required=False,
        help_text="Lower-case letters, numbers and dashes; your pages live at /t/<address>/.",
    )
    timezone = TimezoneField(initial=DEFAULT_TIMEZONE)
    email = forms.EmailField(
        label="Your email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    field_order = ["name", "slug", "timezone", "email", "password1", "password2"]

    def __init__(self, *args: Any, with_account: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].widget.attrs.update(
            {"data-slug-from": "id_name", "autocapitalize": "none"}
        )
        self.with_account = with_account
        if not with_account:
            for name in ("email", "password1", "password2"):
                del self.fields[name]

    def clean_slug(self) -> str:
        slug = (self.cleaned_data.get("slug") or "").lower()
        if not slug:
            slug = slugify(self.cleaned_data.get("name", ""))[:60].strip("-")
        if not slug:
            raise ValidationError("Choose a web address for your restaurant.")
        if slug_is_taken(slug):
            raise ValidationError(SLUG_TAKEN_AT_SIGNUP if self.with_account else SLUG_TAKEN)
        return slug

    def clean_email(self) -> str:
        # Whether the email has an account is never said here (tenants/registration.py).
        return normalize_email(self.cleaned_data["email"])


class ThrottledLoginMixin:
    """Failed log-ins are counted per account (the typed email, whether or not such an account
    exists, so the answer never tells them apart) and per client address; past the limit every
    attempt, the right password included, gets the same "try again in N minutes" answer."""

    request: Any
    cleaned_data: dict[str, Any]

    def throttled_account(self) -> str:
        """The account the attempt is counted against: the typed email."""
        return self.cleaned_data.get("username") or ""

    def clean(self) -> dict[str, Any]:
        typed = self.throttled_account().strip().lower()
        if not typed:
            return super().clean()  # type: ignore[misc]
        address = throttle.client_address(self.request) if self.request else ""
        minutes = max(
            throttle.blocked_minutes("login_account", typed),
            throttle.blocked_minutes("login_address", address),
        )
        if minutes:
            raise ValidationError(throttle.too_many_message(minutes), code="throttled")
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except ValidationError:
            throttle.record("login_account", typed)
            throttle.record("login_address", address)
            raise
        if not self._errors:  # type: ignore[attr-defined]  # the password was checked and right
            # Only a log-in that succeeded forgets the failures: a field left empty checks
            # nothing, and must not lift the lock between guesses.
            throttle.reset("login_account", typed)
        return cleaned


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The operations admin's log-in, with the portal's limits (config/urls.py sets it)."""


UNCONFIRMED_LOGIN = (
    "Confirm your email first: we have sent the link again. Open it from your inbox to log in."
)


class EmailAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """Log in with the email in any letter case (usernames are the emails)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's says "a correct username"; people log in with their email here.
        "invalid_login": "This email and password do not match a Tablecast login. Check both "
        "and try again, or reset your password.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget.input_type = "email"  # not an attr: that gives two types
        self.fields["username"].widget.attrs["autocomplete"] = "email"

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError as error:
            if error.code != "invalid_login":
                raise
            # Django refuses an inactive user like a wrong password; an owner who has not
            # confirmed yet and typed the right password gets the link again instead.
            email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
            if email and password and pending_login(email=email, password=password):
                raise ValidationError(UNCONFIRMED_LOGIN, code="unconfirmed") from None
            raise

    def clean_username(self) -> str:
        typed = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username__iexact=typed).only("username").first()
        return user.username if user is not None else typed


class SiteURLPasswordResetForm(PasswordResetForm):
    """Reset links are built from ``settings.SITE_URL``, never from the request's Host header
    (a forged Host must not put an attacker's domain into the email)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        context = {**context, "site_url": settings.SITE_URL}
        super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


PROFILE_FIELDS = [
    "name",
    "timezone",
    "language",
    "cuisine",
    "address",
    "phone",
    "website",
    "description",
    "menu_highlights",
    "tone_of_voice",
    "city",
    "signature_hashtags",
    "emoji_style",
    "reservation_url",
    "dietary_options",
    "parking",
    "delivery",
    "closures",
]


class ClosuresField(forms.CharField):
    """Holiday closures typed one per line, ``2026-12-25 Christmas Day``, stored as
    ``[{"date": "2026-12-25", "note": "Christmas Day"}]`` (validated by `validate_closures`)."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-25 Christmas Day"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(
                f"{item.get('date', '')} {item.get('note', '')}".strip()
                for item in value
                if isinstance(item, dict)
            )
        return value

    def to_python(self, value: Any) -> list[dict[str, str]]:  # type: ignore[override]
        closures = []
        for number, line in enumerate(str(value or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            day, _, note = line.partition(" ")
            try:
                date.fromisoformat(day)
                if len(day) != 10:
                    raise ValueError
            except ValueError:
                raise ValidationError(
                    f"Line {number}: start with the date as YYYY-MM-DD, e.g. 2026-12-25 Christmas Day."
                ) from None
            closures.append({"date": day, "note": note.strip()[:120]})
        return sorted(closures, key=lambda item: item["date"])

    def validate(self, value: Any) -> None:
        validate_closures(value)


def formfield_https(model_field: Any, **kwargs: Any) -> forms.Field | None:
    """Model fields as form fields: web addresses assume https, closures are typed one per line."""
    if model_field.name == "closures":
        return ClosuresField(
            required=False, label="Closed on", help_text=model_field.help_text + " One per line."
        )
    if isinstance(model_field, URLField):
        kwargs["assume_scheme"] = "https"  # "alba.example" means https://alba.example
    return model_field.formfield(**kwargs)


def _hour_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        error_messages={"invalid": "Enter a time as HH:MM, e.g. 19:30."},
    )


class ProfileForm(forms.Form):
    """The restaurant's profile, with opening hours as time inputs per weekday (up to
    `MAX_OPENINGS_PER_DAY` openings a day, or closed). The slug is not editable here.

    A day stored with more openings than that (saved before the limit existed) gets a row for
    each, so saving the page never drops one; the model's validator then asks for fewer."""

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        hours = tenant.opening_hours if isinstance(tenant.opening_hours, dict) else {}
        self.rows = {day: max(MAX_OPENINGS_PER_DAY, len(hours.get(day) or [])) for day in WEEKDAYS}
        kwargs.setdefault("initial", self.initial_for(tenant))
        super().__init__(*args, **kwargs)
        self.fields.update(
            fields_for_model(
                Tenant,
                fields=PROFILE_FIELDS,
                formfield_callback=formfield_https,
                labels={"reservation_url": "Booking link"},  # not "Reservation url"
            )
        )
        self.fields["timezone"] = TimezoneField()
        for field in ("description", "menu_highlights"):
            self.fields[field].widget.attrs["rows"] = 4
        for day in WEEKDAYS:
            self.fields[f"{day}_closed"] = forms.BooleanField(label="Closed", required=False)
            for n in self._numbers(day):
                self.fields[f"{day}_open_{n}"] = _hour_field("Opens")
                self.fields[f"{day}_close_{n}"] = _hour_field("Closes")

    @staticmethod
    def initial_for(tenant: Tenant) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(tenant, name) for name in PROFILE_FIELDS}
        hours = tenant.opening_hours if isinstance(tenant.opening_hours, dict) else {}
        for day in WEEKDAYS:
            slots = hours.get(day) or []
            initial[f"{day}_closed"] = not slots
            for n, slot in enumerate(slots, start=1):
                initial[f"{day}_open_{n}"] = slot.get("open")
                initial[f"{day}_close_{n}"] = slot.get("close")
        return initial

    def _numbers(self, day: str) -> range:
        return range(1, self.rows[day] + 1)

    def days(self) -> list[dict[str, Any]]:
        """Rows for the template: the weekday, its Closed box and its slots as
        ``(opens, closes, collapsible)`` (collapsible rows may start hidden until needed)."""
        return [
            {
                "name": WEEKDAY_NAMES[day],
                "closed": self[f"{day}_closed"],
                "slots": [
                    (self[f"{day}_open_{n}"], self[f"{day}_close_{n}"], n > ALWAYS_SHOWN_SLOTS)
                    for n in self._numbers(day)
                ],
            }
            for day in WEEKDAYS
        ]

    def profile_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in PROFILE_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        hours: dict[str, list[dict[str, str]]] = {}
        for day in WEEKDAYS:
            if data.get(f"{day}_closed"):
                hours[day] = []  # times typed on a closed day are ignored
                continue
            if any(
                f"{day}_{kind}_{n}" in self.errors
                for n in self._numbers(day)
                for kind in ("open", "close")
            ):
                continue  # a bad time format already has its own message
            try:
                slots = self._slots(day, data)
                if not slots:
                    raise ValidationError(
                        f"{WEEKDAY_NAMES[day]}: give the opening times or tick Closed."
                    )
                validate_opening_hours({**{d: [] for d in WEEKDAYS}, day: slots})
            except ValidationError as error:
                self.add_error(f"{day}_closed", error)
                continue
            hours[day] = slots
        if len(hours) == len(WEEKDAYS):
            data["opening_hours"] = {day: hours[day] for day in WEEKDAYS}
        return data

    def _slots(self, day: str, data: dict[str, Any]) -> list[dict[str, str]]:
        slots = []
        for n in self._numbers(day):
            start, end = data.get(f"{day}_open_{n}"), data.get(f"{day}_close_{n}")
            if start is None and end is None:
                continue
            if start is None or end is None:
                raise ValidationError(
                    f"{WEEKDAY_NAMES[day]}: give both the opening and the closing time."
                )
            slots.append({"open": start.strftime("%H:%M"), "close": end.strftime("%H:%M")})
        return slots

    def profile_values(self) -> dict[str, Any]:
        """The cleaned values as Tenant fields, for `tenant_profile_update`."""
        return {
            **{name: self.cleaned_data[name] for name in PROFILE_FIELDS},
            "opening_hours": self.cleaned_data["opening_hours"],
        }


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        initial=Membership.Role.STAFF,
        help_text="Owners also manage members and connected accounts.",
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        if is_member(tenant=self.tenant, email=email):
            raise ValidationError(already_member_message(tenant=self.tenant, email=email))
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class AcceptInvitationForm(PasswordPairMixin):
    """A new account for an invited email: only the password is asked."""


class _PasswordOfAccount(forms.Form):
    """The password of one known account (``self.account``), checked in ``clean``."""

    account: Any
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Type the password you chose when you signed up."},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        if "password" not in cleaned:  # left empty: the field says so
            return cleaned
        if not self.account.check_password(cleaned["password"]):
            raise ValidationError(
                "That is not the password of this account. Type the one you chose when you "
                "signed up.",
                code="invalid_login",
            )
        return cleaned


class ConfirmByInvitationForm(ThrottledLoginMixin, _PasswordOfAccount):
    """An invitation to the email of an owner who never confirmed their sign-up: the password
    they chose then proves the account is theirs (the invitation's link proves the email is).
    Wrong passwords count against the same limits as the log-in page's, per account and per
    client address (`ThrottledLoginMixin`)."""

    def __init__(self, data: Any = None, *, account: Any, request: Any) -> None:
        super().__init__(data)
        self.account = account
        self.request = request

    def throttled_account(self) -> str:
        """This account's email, once a password was typed (an empty box checks nothing)."""
        return self.account.get_username() if "password" in self.cleaned_data else ""
