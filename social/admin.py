"""Operators' view of every tenant's connections: status filters, history inline, "check tokens
now" and "move to tenant". Encrypted token fields are never listed, shown or editable."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import URLField
from django.shortcuts import render

from lib.admin import ModelAdmin, RestaurantFilter
from social import tasks
from social.models import DataDeletionRequest, OAuthState, SocialAccount, TokenCheck
from social.services import moves
from tenants.models import Tenant

TOKEN_FIELDS = ("page_token", "user_token", "code_verifier")


class TokenCheckInline(admin.TabularInline):
    model = TokenCheck
    extra = 0
    can_delete = False
    fields = (
        "checked_at",
        "trigger",
        "result",
        "status_before",
        "status_after",
        "detail",
        "error_code",
    )
    readonly_fields = fields
    ordering = ("-checked_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class MoveToTenantForm(forms.Form):
    tenant = forms.ModelChoiceField(queryset=Tenant.objects.all(), label="Move to restaurant")


@admin.register(SocialAccount)
class SocialAccountAdmin(ModelAdmin):
    formfield_overrides = {URLField: {"assume_scheme": "https"}}  # Django 6's default
    list_display = (
        "name",
        "kind",
        "tenant",
        "status",
        "last_checked_at",
        "last_error",
        "token_expires_at",
    )
    list_filter = ("status", "kind", "webhooks_subscribed", RestaurantFilter)
    search_fields = ("name", "external_id", "username", "tenant__name")
    exclude = TOKEN_FIELDS
    readonly_fields = (
        "id",
        "kind",
        "external_id",
        "facebook_user_id",
        "granted_scopes",
        "declined_scopes",
        "tasks",
        "token_expires_at",
        "user_token_expires_at",
        "data_access_expires_at",
        "last_checked_at",
        "last_error",
        "last_error_code",
        "last_webhook_at",
        "broken_notified_at",
        "expiring_notified_at",
        "connected_by",
        "connected_at",
        "disconnected_at",
        "updated_at",
        "linked_page",
        "tenant",
    )
    inlines = [TokenCheckInline]
    actions = ["check_tokens_now", "move_to_tenant"]

    @admin.action(description="Check tokens now")
    def check_tokens_now(self, request, queryset) -> None:
        count = 0
        for tenant_id, pk in queryset.values_list("tenant_id", "id"):
            tasks.account_check.apply_async(
                kwargs={"tenant_id": tenant_id, "account_id": str(pk), "trigger": "admin"}
            )
            count += 1
        self.message_user(request, f"Queued {count} token check(s).", messages.SUCCESS)

    @admin.action(description="Move to another restaurant")
    def move_to_tenant(self, request, queryset):
        """Agency operators move a page (with its Instagram accounts) between restaurants.
        Tokens are bound to their tenant, so moved accounts are cleared and need reconnecting."""
        form = MoveToTenantForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            target = form.cleaned_data["tenant"]
            try:
                moved = moves.accounts_move(
                    accounts=list(queryset), target=target, operator=request.user
                )
            except moves.MoveRefused as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return None
            self.message_user(
                request,
                f"Moved {moved} account(s) to {target}; its owners must reconnect them.",
                messages.SUCCESS,
            )
            return None
        return render(
            request,
            "social/admin_move.html",
            {
                **self.admin_site.each_context(request),
                "title": "Move accounts to another restaurant",
                "form": form,
                "accounts": queryset.select_related("tenant"),
                "action": "move_to_tenant",
                "opts": self.model._meta,
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
            },
        )


@admin.register(TokenCheck)
class TokenCheckAdmin(ModelAdmin):
    list_display = ("checked_at", "account", "tenant", "trigger", "result", "detail")
    list_filter = ("result", "trigger")
    # Without it the admin's select_related() follows every foreign key, the accounts' too.
    list_select_related = ("account", "tenant")
    readonly_fields = [f.name for f in TokenCheck._meta.fields]


@admin.register(OAuthState)
class OAuthStateAdmin(ModelAdmin):
    list_display = ("created_at", "tenant", "user", "purpose", "used_at")
    exclude = ("code_verifier", "state_hash", "session_binding")
    readonly_fields = (
        "tenant",
        "user",
        "purpose",
        "reconnect_account",
        "next_path",
        "created_at",
        "used_at",
    )


@admin.register(DataDeletionRequest)
class DataDeletionRequestAdmin(ModelAdmin):
    list_display = (
        "confirmation_code",
        "status",
        "accounts_affected",
        "created_at",
        "completed_at",
    )
    readonly_fields = (
        "confirmation_code",
        "facebook_user_hash",
        "status",
        "accounts_affected",
        "created_at",
        "completed_at",
    )
