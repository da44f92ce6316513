"""The composer's form: what the person typed, cleaned; the publishing rules themselves live in
`posting.rules` and run in `posting.services` (their refusals come back as field errors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms

from assets.forms import AssetIdsField
from posting.ai import POST_TYPES
from posting.rules import PostRefused
from social.models import SocialAccount
from tenants.models import Tenant

ACTIONS = {"publish_now": "Publish now", "schedule": "Schedule", "draft": "Save draft"}

# Which field a publishing refusal belongs next to (the rest go above the form).
REFUSAL_FIELDS = {
    "no_target": "accounts",
    "account_disconnected": "accounts",
    "instagram_needs_photo": "asset_ids",
    "too_many_photos": "asset_ids",
    "asset_deleted": "asset_ids",
    "asset_repeated": "asset_ids",
    "asset_not_ready": "asset_ids",
    "instagram_rendition_missing": "asset_ids",
    "instagram_rendition_refused": "asset_ids",
    "empty": "text",
    "facebook_text_too_long": "text_facebook",
    "caption_too_long": "text_instagram",
    "too_many_hashtags": "text_instagram",
    "too_many_mentions": "text_instagram",
    "in_past": "date",
    "too_far_ahead": "date",
    "no_time": "date",
}


class ComposerForm(forms.Form):
    post_type = forms.ChoiceField(
        label="What is it about?",
        required=False,
        choices=[("", "Choose a kind of post"), *((k, v.label) for k, v in POST_TYPES.items())],
    )
    accounts = forms.MultipleChoiceField(
        label="Post to",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one Page or Instagram account."},
    )
    text = forms.CharField(
        label="Text", required=False, widget=forms.Textarea(attrs={"rows": 7}), max_length=63206
    )
    text_facebook = forms.CharField(
        label="Facebook version",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Leave empty to use the text above.",
    )
    text_instagram = forms.CharField(
        label="Instagram version",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Leave empty to use the text above.",
    )
    link = forms.URLField(
        label="Link (Facebook only)",
        required=False,
        assume_scheme="https",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    asset_ids = forms.CharField(required=False, widget=forms.HiddenInput)
    date = forms.DateField(
        label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label="Time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
    )
    action = forms.ChoiceField(choices=list(ACTIONS.items()), initial="schedule")
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(
        self, *args: Any, tenant: Tenant, accounts: list[SocialAccount], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.account_list = accounts
        usable = [a for a in accounts if a.status != SocialAccount.Status.REVOKED]
        cast(forms.ChoiceField, self.fields["accounts"]).choices = [
            (str(a.pk), a.name) for a in usable
        ]
        self.media_field = AssetIdsField(tenant=tenant, required=False)

    def clean_asset_ids(self) -> list[Any]:
        return self.media_field.clean(self.cleaned_data.get("asset_ids"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        action = data.get("action")
        if action == "schedule":
            if not data.get("date") and "date" not in self.errors:
                self.add_error("date", "Pick the day it should go out.")
            if not data.get("time") and "time" not in self.errors:
                self.add_error("time", "Pick the time it should go out.")
        return data

    @property
    def when(self) -> datetime | None:
        """The wall time typed, naive (the restaurant's zone is applied by the service)."""
        data = self.cleaned_data
        if data.get("action") != "schedule" or not data.get("date") or not data.get("time"):
            return None
        return datetime.combine(data["date"], data["time"])

    def add_refusal(self, refused: PostRefused) -> None:
        """A refusal from the publishing rules, shown next to the field it is about."""
        self.add_error(REFUSAL_FIELDS.get(refused.code or ""), refused.sentence)

    def selected_asset_ids(self) -> str:
        """The ids as typed (kept on a failed submit so no photo is lost)."""
        value = self.data.get("asset_ids") if self.is_bound else self.initial.get("asset_ids")
        return str(value or "")
