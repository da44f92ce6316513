"""Admin for agency operators. The middleware runs /admin/ unscoped for active staff users, so
scoped managers work here; querysets are annotated or joined so a changelist costs a fixed number
of queries whatever its length."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, QuerySet, URLField
from django.http import HttpRequest

from lib.admin import ModelAdmin
from tenants import registration
from tenants.forms import PROFILE_FIELDS, TimezoneField, formfield_https
from tenants.models import Invitation, Membership, PendingSignup, Tenant
from tenants.widgets import OpeningHoursField


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user"]


class TenantAdminForm(forms.ModelForm):
    """The time zone from the list the portal uses, opening hours as time inputs (not JSON)."""

    timezone = TimezoneField()
    opening_hours = OpeningHoursField(
        help_text="Tick Closed for days off. A closing time before the opening time runs past "
        "midnight."
    )

    class Meta:
        model = Tenant
        exclude: list[str] = []  # the admin's fieldsets choose the fields
        formfield_callback = formfield_https


@admin.register(Tenant)
class TenantAdmin(ModelAdmin):
    form = TenantAdminForm
    list_display = ["name", "slug", "timezone", "members_count", "created_at"]
    search_fields = ["name", "slug", "cuisine"]
    list_filter = ["timezone", "language", "created_at"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline]
    formfield_overrides = {URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "slug", "timezone", "language"]}),
        # The portal's profile fields, in the same order, and the opening hours.
        ("Profile", {"fields": [*PROFILE_FIELDS[3:], "opening_hours"]}),
        ("Dates", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        return super().get_queryset(request).annotate(_members_count=Count("memberships"))

    # A restaurant whose owner never confirmed the sign-up takes its owner's account with it
    # (registration.pending_owners); the confirmation page lists them.
    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for user in registration.pending_owners(tenants=objs):
            deleted.append(f"User: {user} (the owner's sign-up, never confirmed)")
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Tenant) -> None:
        delete = super().delete_model
        self._with_pending_owners([obj], lambda: delete(request, obj))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        delete = super().delete_queryset
        self._with_pending_owners(queryset, lambda: delete(request, queryset))

    def _with_pending_owners(self, tenants: Any, delete: Callable[[], None]) -> None:
        with transaction.atomic():
            owners = list(registration.pending_owners(tenants=tenants).values_list("pk", flat=True))
            delete()
            get_user_model().objects.filter(pk__in=owners).delete()

    @admin.display(description="Members", ordering="_members_count")
    def members_count(self, obj: Tenant) -> int:
        return obj._members_count  # type: ignore[attr-defined]  # get_queryset annotates it


@admin.register(Membership)
class MembershipAdmin(ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__email", "user__username", "tenant__name", "tenant__slug"]
    list_filter = ["role"]
    raw_id_fields = ["user", "tenant"]
    readonly_fields = ["created_at"]


INVITATION_FIELDS = (
    "tenant",
    "email",
    "role",
    "invited_by",
    "created_at",
    "expires_at",
    "accepted_at",
    "accepted_by",
)


@admin.register(Invitation)
class InvitationAdmin(ModelAdmin):
    """Invitations are made by owners in the portal (the token exists only in the email), so
    operators can look and withdraw (delete) but not add."""

    list_display = ["email", "tenant", "role", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["tenant"]
    search_fields = ["email", "tenant__name", "tenant__slug"]
    list_filter = ["role", ("accepted_at", admin.EmptyFieldListFilter), "created_at"]
    fields = INVITATION_FIELDS
    readonly_fields = INVITATION_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False


@admin.register(PendingSignup)
class PendingSignupAdmin(ModelAdmin):
    """Sign-ups whose owner has not opened the confirmation link yet (tenants/registration.py).
    Operators can confirm one for its owner (who then logs in with their password); a new link
    comes from the portal's "Send the email again"."""

    list_display = ["user", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    actions = ["confirm"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PendingSignup | None = None) -> bool:
        return False

    @admin.action(description="Confirm the selected sign-ups without the email")
    def confirm(self, request: HttpRequest, queryset: QuerySet[PendingSignup]) -> None:
        users = [pending.user for pending in queryset.select_related("user")]
        done = sum(registration.signup_activate(user=user) is not None for user in users)
        self.message_user(request, f"{done} of {len(users)} sign-ups confirmed.")
