"""Opening hours as time inputs (a Closed box and up to three openings per weekday), for forms
that edit the whole `Tenant.opening_hours` value in one field: the admin's restaurant form.
(The portal's profile page lays out its own per-day fields: tenants.forms.ProfileForm.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from tenants.models import MAX_OPENINGS_PER_DAY, WEEKDAY_NAMES, WEEKDAYS, validate_opening_hours

# {day: {"closed": bool, "slots": [[opens, closes], …]}}: what the inputs hold, valid or not.
RawHours = dict[str, dict[str, Any]]


def raw_from_stored(value: Any) -> RawHours:
    """The stored JSON (or what the inputs sent) as the inputs show it."""
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return value  # already raw: a form shown again with its errors
    stored = value if isinstance(value, dict) else {}
    raw: RawHours = {}
    for day in WEEKDAYS:
        slots = [s for s in (stored.get(day) or []) if isinstance(s, dict)]
        pairs = [[s.get("open", ""), s.get("close", "")] for s in slots]
        raw[day] = {"closed": not slots, "slots": pairs}
    return raw


class OpeningHoursWidget(forms.Widget):
    """A row per weekday: Closed, then opens–closes time inputs."""

    class Media:
        css = {"all": ["css/admin.css"]}

    def value_from_datadict(self, data: Any, files: Any, name: str) -> RawHours:
        raw: RawHours = {}
        for day in WEEKDAYS:
            slots, n = [], 1
            # Three rows, or more for a day stored before the limit (sent back, then refused).
            while n <= MAX_OPENINGS_PER_DAY or f"{name}_{day}_open_{n}" in data:
                slots.append(
                    [
                        data.get(f"{name}_{day}_open_{n}", ""),
                        data.get(f"{name}_{day}_close_{n}", ""),
                    ]
                )
                n += 1
            raw[day] = {"closed": bool(data.get(f"{name}_{day}_closed")), "slots": slots}
        return raw

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # an unticked Closed box sends nothing, yet says something

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        raw = raw_from_stored(value)
        rows = []
        for day in WEEKDAYS:
            label = WEEKDAY_NAMES[day]
            slots = list(raw[day]["slots"])
            slots += [["", ""]] * (MAX_OPENINGS_PER_DAY - len(slots))  # never drops a stored one
            cells = format_html_join(
                "",
                '<td><input type="time" name="{0}_{1}_open_{2}" value="{3}" aria-label="{4} opens ({2})">'
                ' – <input type="time" name="{0}_{1}_close_{2}" value="{5}" aria-label="{4} closes ({2})"></td>',
                (
                    (name, day, n, opens, label, closes)
                    for n, (opens, closes) in enumerate(slots, start=1)
                ),
            )
            closed = " checked" if raw[day]["closed"] else ""
            rows.append(
                format_html(
                    '<tr><th scope="row">{}</th><td><label><input type="checkbox" '
                    'name="{}_{}_closed"{}> Closed</label></td>{}</tr>',
                    label,
                    name,
                    day,
                    closed,
                    cells,
                )
            )
        head = format_html_join(
            "",
            '<th scope="col">Opening {}</th>',
            ((n,) for n in range(1, MAX_OPENINGS_PER_DAY + 1)),
        )
        return format_html(
            '<table class="opening-hours-widget"><thead><tr><th scope="col">Day</th>'
            '<th scope="col">Closed</th>{}</tr></thead><tbody>{}</tbody></table>',
            head,
            format_html_join("", "{}", ((row,) for row in rows)),
        )


class OpeningHoursField(forms.Field):
    """Cleans the inputs into the stored shape and checks it with the model's validator; each
    problem is a sentence naming the day."""

    widget = OpeningHoursWidget

    def to_python(self, value: Any) -> dict[str, list[dict[str, str]]]:
        raw = raw_from_stored(value)
        hours: dict[str, list[dict[str, str]]] = {}
        errors = []
        for day in WEEKDAYS:
            name = WEEKDAY_NAMES[day]
            if raw[day]["closed"]:
                hours[day] = []  # times typed on a closed day are ignored
                continue
            slots = []
            for opens, closes in raw[day]["slots"]:
                if not opens and not closes:
                    continue
                if not opens or not closes:
                    errors.append(f"{name}: give both the opening and the closing time.")
                    continue
                slots.append({"open": opens[:5], "close": closes[:5]})
            if not slots and not any(e.startswith(name) for e in errors):
                errors.append(f"{name}: give the opening times or tick Closed.")
            hours[day] = slots
        if errors:
            raise ValidationError(errors)
        validate_opening_hours(hours)
        return hours

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != initial
        except ValidationError:
            return True
