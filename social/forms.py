"""The page picker: the owner ticks which of their Facebook Pages belong to this restaurant."""

from __future__ import annotations

from typing import cast

from django import forms

from social import selectors
from social.models import PendingConnection
from social.services.connections import held_elsewhere_message


class PagePickerForm(forms.Form):
    page_ids = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label="Pages of this restaurant",
        error_messages={"required": "Tick at least one of your pages."},
    )

    def __init__(
        self, *args, pending: PendingConnection, initial_ids: list[str] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pending = pending
        cast(forms.ChoiceField, self.fields["page_ids"]).choices = [
            (p["id"], p["name"]) for p in pending.pages
        ]
        if initial_ids:
            self.fields["page_ids"].initial = initial_ids
        # Marked before submitting: pages another restaurant already holds cannot be ticked.
        held = selectors.pages_held_elsewhere(
            tenant=pending.tenant, page_ids=[p["id"] for p in pending.pages]
        )
        self.pages = [{**p, "held": p["id"] in held} for p in pending.pages]

    def clean_page_ids(self) -> list[str]:
        chosen = self.cleaned_data["page_ids"]
        held = held_elsewhere_message(tenant=self.pending.tenant, page_ids=chosen)
        if held:
            raise forms.ValidationError(held)
        return chosen
