"""The dashboard's period and filter (docs/analytics.md, "Dashboard")."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms

from analytics.selectors import Period, Scope

PERIODS = [
    ("7", "Last 7 days"),
    ("28", "Last 28 days"),
    ("90", "Last 90 days"),
    ("custom", "Custom"),
]
MAX_DAYS = 366


class PeriodForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, required=False, label="Period", initial="28")
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    show = forms.ChoiceField(required=False, label="Accounts")

    def __init__(self, *args: Any, accounts: list, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        cast(forms.ChoiceField, self.fields["show"]).choices = [
            ("", "All accounts"),
            ("network:facebook", "All Facebook Pages"),
            ("network:instagram", "All Instagram accounts"),
        ] + [(f"account:{a.pk}", f"{a.name} ({a.get_kind_display()})") for a in accounts]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError("Pick both the first and the last day of the period.")
            if end < start:
                raise forms.ValidationError("The last day comes before the first day.")
            if end > self.today:
                raise forms.ValidationError("The period cannot end after today.")
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError("Pick a period of at most a year.")
        return data

    def period_in(self, tz: ZoneInfo) -> Period:
        """The chosen period; the last 28 days when nothing (valid) was chosen."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("period") == "custom":
            return Period(start=data["start"], end=data["end"], tz=tz)
        days = int(data.get("period") or 28)
        return Period(start=self.today - timedelta(days=days - 1), end=self.today, tz=tz)

    def scope(self) -> Scope:
        show = (self.cleaned_data.get("show") or "") if self.is_valid() else ""
        kind, _, value = show.partition(":")
        if kind == "network":
            return Scope(network=value)
        if kind == "account":
            return Scope(account_id=value)
        return Scope()
