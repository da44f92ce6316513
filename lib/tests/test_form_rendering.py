"""lib.form_rendering.FastTemplates draws exactly what Django's templates draw."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.template.backends.django import DjangoTemplates as DjangoBackend
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from lib.form_rendering import FastTemplates, FixedChoicesSelect

HOSTILE = "<b>\"quoted\" & 'single'</b>"


class EveryWidget(forms.Form):
    text = forms.CharField(
        label=HOSTILE,
        help_text="Help <i>markup</i>",
        widget=forms.TextInput(
            attrs={"placeholder": HOSTILE, "autofocus": True, "hidden": False, "data-n": 3}
        ),
    )
    safe_value = forms.CharField(required=False)
    number = forms.FloatField(widget=forms.NumberInput({"step": "any"}))
    whole = forms.IntegerField(min_value=0, max_value=10)
    email = forms.EmailField(required=False, label_suffix="")
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    tick = forms.BooleanField(required=False)
    day = forms.DateField(required=False)
    at = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    colour = forms.CharField(widget=forms.TextInput({"type": "color"}))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    choice = forms.ChoiceField(
        choices=[
            ("", "Nothing"),
            ("a", HOSTILE),
            ("s", mark_safe("<b>trusted</b>")),
            ("Group", [("g1", "In a group"), ("g2", gettext_lazy("Lazy label"))]),
            (3, "Number value"),
        ],
        required=False,
    )
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], required=False)
    numbers_as_labels = forms.ChoiceField(choices=[(1, 1000), (2, 2.5)], required=False)
    dates_as_labels = forms.ChoiceField(choices=[("d", datetime.date(2026, 12, 1))], required=False)
    maybe = forms.NullBooleanField(required=False)
    radio = forms.ChoiceField(choices=[("r", "R")], widget=forms.RadioSelect, required=False)
    boxes = forms.MultipleChoiceField(
        choices=[("b", "B")], widget=forms.CheckboxSelectMultiple, required=False
    )


INITIAL = {
    "text": HOSTILE,
    "safe_value": mark_safe("<em>trusted</em>"),
    "number": 0.5,
    "whole": 7,
    "tick": True,
    "day": datetime.date(2026, 12, 1),
    "at": datetime.time(9, 30),
    "colour": "#ffffff",
    "notes": "Line one\n<script>alert(1)</script>",
    "choice": "g1",
    "many": ["x", "y"],
    "maybe": True,
}
BAD_DATA = {"text": "", "number": "not a number", "whole": "99", "colour": "", "choice": "nope"}


def _pieces(form: forms.Form) -> list[str]:
    out = [form.as_div(), form.as_p(), str(form.non_field_errors())]
    for bound in form:
        out += [
            str(bound),
            bound.label_tag(),
            bound.label_tag(attrs={"class": "x"}, label_suffix=":"),
            str(bound.errors),
            bound.as_field_group(),
        ]
    return out


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"initial": INITIAL},
        {"data": BAD_DATA},
        {"initial": INITIAL, "auto_id": False},
        {"initial": INITIAL, "prefix": "p"},
    ],
    ids=["empty", "initial", "errors", "no-ids", "prefix"],
)
def test_fast_rendering_is_byte_for_byte_djangos(kwargs):
    django_out = _pieces(EveryWidget(renderer=DjangoTemplates(), **kwargs))
    fast_out = _pieces(EveryWidget(renderer=FastTemplates(), **kwargs))
    assert fast_out == django_out


def test_the_project_renders_forms_fast_and_the_profile_form_is_unchanged(tenant):
    from tenants.forms import ProfileForm

    assert isinstance(get_default_renderer(), FastTemplates)
    fast = ProfileForm(tenant=tenant, renderer=FastTemplates())
    slow = ProfileForm(tenant=tenant, renderer=DjangoTemplates())
    assert str(fast["timezone"]) == str(slow["timezone"])
    assert [b.as_field_group() for b in fast] == [b.as_field_group() for b in slow]


@pytest.mark.parametrize("value", ["b", "", None, "nope", ["b"], 3])
@pytest.mark.parametrize(
    "choices",
    [
        [("", "Choose"), ("a", HOSTILE), ("b", "B & b"), ('"q"', "Quoted")],
        [("a", "A"), ("Group", [("b", "B")])],  # a group: drawn the usual way
        [(1, "One"), (3, "Three")],  # values that are not text: drawn the usual way
    ],
)
def test_a_fixed_choices_select_is_byte_for_byte_djangos(choices, value):
    attrs = {"id": "id_zone", "required": True, "aria-describedby": "id_zone_helptext"}
    for _ in range(2):  # the second time from the per-process options
        fixed = FixedChoicesSelect(choices=choices).render("zone", value, attrs)
        stock = forms.Select(choices=choices).render("zone", value, attrs, DjangoTemplates())
        assert fixed == stock


def test_the_profiles_time_zone_select_is_djangos(tenant):
    from tenants.forms import ProfileForm

    field = ProfileForm(tenant=tenant)["timezone"]
    assert isinstance(field.field.widget, FixedChoicesSelect)
    stock = forms.Select(choices=list(field.field.choices))
    slow = ProfileForm(tenant=tenant, renderer=DjangoTemplates())["timezone"]
    expected = slow.as_widget(widget=stock)
    assert str(field) == expected and f'value="{tenant.timezone}" selected' in expected


def test_an_overridden_template_is_left_to_the_template_engine(tmp_path: Path):
    override = tmp_path / "django" / "forms" / "widgets" / "select.html"
    override.parent.mkdir(parents=True)
    override.write_text('<select class="custom" name="{{ widget.name }}"></select>')

    class Overridden(FastTemplates):
        @cached_property
        def engine(self):
            return DjangoBackend(
                {
                    "APP_DIRS": True,
                    "DIRS": [tmp_path, Path(forms.__file__).parent / "templates"],
                    "NAME": "overridden",
                    "OPTIONS": {},
                }
            )

    form = EveryWidget(renderer=Overridden())
    assert str(form["choice"]) == '<select class="custom" name="choice"></select>'
    assert str(form["text"]) == str(EveryWidget(renderer=DjangoTemplates())["text"])
