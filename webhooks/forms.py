"""Forms of the inbox and the auto-reply settings."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, cast

from django import forms
from django.utils.safestring import SafeString

from lib.form_rendering import fields_html, unbound_fields_html
from webhooks.models import AutoReplyRule, Conversation, ReplySettings


class InboxFilterForm(forms.Form):
    account = forms.ChoiceField(required=False, label="Account")
    network = forms.ChoiceField(
        required=False,
        choices=[("", "Facebook and Instagram"), *Conversation.Network.choices],
        label="Network",
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Messages and comments"), ("messages", "Messages"), ("comments", "Comments")],
        label="Show",
    )
    state = forms.ChoiceField(
        required=False,
        choices=[("open", "To do"), ("done", "Done"), ("all", "All")],
        label="State",
    )
    unread = forms.BooleanField(required=False, label="Unread only")
    needs_human = forms.BooleanField(required=False, label="Needs a person")

    def __init__(self, *args: Any, accounts: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["account"]).choices = [("", "All accounts")] + [
            (str(a.pk), f"{a.name} ({a.get_kind_display()})") for a in accounts
        ]

    def filters(self) -> dict[str, Any]:
        """Valid filters only: an unknown value is dropped (the list then shows everything)."""
        if not self.is_valid():
            return {"state": "open"}
        data = self.cleaned_data
        return {
            "account_id": data["account"],
            "network": data["network"],
            "kind": data["kind"],
            "unread": data["unread"],
            "needs_human": data["needs_human"],
            "state": data["state"] or "open",
        }


def filter_fields(form: InboxFilterForm, *, accounts: Sequence[Hashable]) -> SafeString:
    """The filter's fields as templates/webhooks/_filter_fields.html draws them. Unbound (the
    inbox as it opens, and beside every thread) the form depends on nothing but the accounts
    it was made with (``accounts``, as given to it: `selectors.inbox_accounts`' rows), so it
    is drawn once per process for each list of accounts: its six widgets through the form
    templates were a tenth of a thread page (docs/performance.md, "Pages")."""
    if form.is_bound:
        return _fields(form)
    return _unbound_fields(tuple(accounts))


def _unbound_fields(accounts: tuple[Hashable, ...]) -> SafeString:
    return unbound_fields_html(_FILTER_FIELDS, "filter_form", InboxFilterForm, accounts)


def _fields(form: InboxFilterForm) -> SafeString:
    return fields_html(_FILTER_FIELDS, filter_form=form)


_FILTER_FIELDS = "webhooks/_filter_fields.html"


class ReplyForm(forms.Form):
    # The per-network limit (2,000 on Messenger) is checked by the service with its own sentence.
    text = forms.CharField(
        label="Reply",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        error_messages={"required": "Write a reply first."},
    )


class ReplySettingsForm(forms.ModelForm):
    accounts_off = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Auto-replies off on",
        help_text="Tick the accounts where a person answers every message.",
    )

    class Meta:
        model = ReplySettings
        fields = ["enabled", "accounts_off", "greeting", "away_message"]
        labels = {"enabled": "Answer routine questions automatically"}
        widgets = {
            "greeting": forms.Textarea(attrs={"rows": 2}),
            "away_message": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, accounts: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["accounts_off"]).choices = [
            (str(a.pk), f"{a.name} ({a.get_kind_display()})") for a in accounts
        ]


class RuleForm(forms.ModelForm):
    class Meta:
        model = AutoReplyRule
        fields = ["keywords", "answer"]
        labels = {"keywords": "When a message contains", "answer": "Answer"}
        widgets = {"answer": forms.Textarea(attrs={"rows": 3})}

    def clean_keywords(self) -> str:
        words = [w.strip() for w in self.cleaned_data["keywords"].split(",") if w.strip()]
        if not words:
            raise forms.ValidationError("Give at least one word or phrase.")
        if any(len(w) < 3 for w in words):
            raise forms.ValidationError(
                "Each keyword needs at least 3 letters, so it does not match by accident."
            )
        return ", ".join(words)
