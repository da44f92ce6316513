"""Reads for the tenants app's pages."""

from __future__ import annotations

from dataclasses import dataclass

from tenants.models import Tenant, has_opening_hours

# What the AI writer and auto-replies need from the profile, as the owner would name it.
PROFILE_ITEMS = [
    ("cuisine", "Cuisine"),
    ("description", "A short description"),
    ("address", "Address"),
    ("phone", "Phone"),
    ("website", "Website"),
    ("opening_hours", "Opening hours"),
    ("menu_highlights", "Menu highlights"),
    ("tone_of_voice", "Tone of voice"),
]


@dataclass(frozen=True)
class Completeness:
    done: list[str]
    missing: list[str]

    @property
    def percent(self) -> int:
        total = len(self.done) + len(self.missing)
        return round(100 * len(self.done) / total) if total else 100


def profile_completeness(tenant: Tenant) -> Completeness:
    """Which profile items are filled in (opening hours count once any day has a slot)."""
    done, missing = [], []
    for field, label in PROFILE_ITEMS:
        value = getattr(tenant, field)
        is_hours = field == "opening_hours"
        filled = has_opening_hours(value) if is_hours else bool(str(value).strip())
        (done if filled else missing).append(label)
    return Completeness(done=done, missing=missing)
