"""A form renderer that draws Django's plain widgets in Python (docs/performance.md).

Django renders every widget, every option of a select, every label and every (empty) error list
through a template: the profile page's select of 600 time zones alone was 1,800 template renders
and most of that page's 27 ms. `FastTemplates` writes the same markup, byte for byte, for
Django's own templates of inputs, selects and their options, textareas, labels and empty error
lists, and leaves every other template to the template engine: radio and checkbox lists, admin
widgets, and any of those templates a project overrides (it checks where each one is loaded
from). Values whose display depends on the locale (numbers, dates as option labels) also go to
the template, so the output never differs. ``lib/tests/test_form_rendering.py`` compares both
renderers widget by widget.

Enabled by ``FORM_RENDERER = "lib.form_rendering.FastTemplates"``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from html import escape as _escape_html
from pathlib import Path
from typing import Any

import django
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise, cached_property
from django.utils.safestring import SafeData, SafeString, mark_safe

_STOCK = Path(django.__file__).resolve().parent / "forms" / "templates"
_WIDGETS = "django/forms/widgets/"
_INPUT_TYPES = [
    *("checkbox", "color", "date", "datetime", "email", "hidden", "input", "number"),
    *("password", "search", "tel", "text", "time", "url"),
]
_OPTION = f"{_WIDGETS}select_option.html"


class _Fallback(Exception):
    """This context needs the real template (a value shown through the locale, a custom
    option template)."""


def _text(value: Any) -> str:
    """``{{ value }}`` for text (Django's conditional_escape, without its lazy-argument check on
    every call); anything the template would localise falls back."""
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        raise _Fallback
    if isinstance(value, SafeData):
        return value.__html__()
    return _escape_html(value)  # what django.utils.html.escape does with a str


def _format(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` ("%s" % value is str(value) for anything but a tuple,
    which the filter turns into its str first)."""
    try:
        out = str(value)
    except (TypeError, ValueError):
        out = ""
    return out if isinstance(value, SafeData) else _escape_html(out)


def _attrs(attrs: Mapping[str, Any] | None) -> str:
    """``django/forms/widgets/attrs.html`` (and ``django/forms/attrs.html``)."""
    parts = []
    for name, value in (attrs or {}).items():
        if value is not False:
            parts.append(" " + _text(name))
            if value is not True:
                parts.append(f'="{_format(value)}"')
    return "".join(parts)


def _input(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    value = f' value="{_format(widget["value"])}"' if widget["value"] is not None else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def _option(option: Mapping[str, Any]) -> str:
    if option.get("template_name") != _OPTION:
        raise _Fallback
    return (
        f'<option value="{_format(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>"
    )


def _select(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        # select_option.html ends with a newline, which the include keeps.
        parts.extend(f"\n  {_option(option)}\n" for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _label(context: Mapping[str, Any]) -> str:
    label = _text(context["label"])
    if not context["use_tag"]:
        return label
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"


def _errors(context: Mapping[str, Any]) -> str:
    if context["errors"]:
        raise _Fallback  # rare, and the markup has more parts: let the template draw it
    return ""


_RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{f"{_WIDGETS}{name}.html": _input for name in _INPUT_TYPES},
    f"{_WIDGETS}select.html": _select,
    f"{_WIDGETS}textarea.html": _textarea,
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _errors,
    "django/forms/errors/list/ul.html": _errors,
}


@lru_cache(maxsize=16)
def _fixed_options(choices: tuple[tuple[Any, Any], ...]) -> tuple[tuple[str, str, str], ...]:
    """(value, option, chosen option) for each choice, as select.html draws them."""
    out = []
    for value, label in choices:
        head, tail = f'\n  <option value="{_format(value)}"', f">{_text(label)}</option>\n"
        out.append((str(value), head + tail, head + " selected" + tail))
    return tuple(out)


class FixedChoicesSelect(forms.Select):
    """A one-value select whose choices are the same for every form (the 600 time zones): its
    ``<option>``s are drawn once per process and the chosen one marked, where Django builds a
    context per option on every render. The markup is Django's select.html, byte for byte (a
    test compares them); choices with groups, or values and labels that are not text, are
    drawn the usual way."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        choices = tuple(self.choices)
        if self.allow_multiple_selected or not all(
            isinstance(v, str) and isinstance(label, str) for v, label in choices
        ):
            return super().render(name, value, attrs, renderer)
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        chosen = next((v for v in widget["value"] if v in dict(choices)), None)
        body = "".join(
            picked if v == chosen else plain for v, plain, picked in _fixed_options(choices)
        )
        return mark_safe(  # noqa: S308 (every part is escaped)
            f'<select name="{_text(name)}"{_attrs(widget["attrs"])}>{body}\n</select>'
        )


class FastTemplates(DjangoTemplates):
    """Django's default form renderer, with Python stand-ins for its plainest templates."""

    @cached_property
    def _fast(self) -> dict[str, Callable[[Mapping[str, Any]], str]]:
        """The stand-ins whose template, and every template it includes, is Django's own file
        (a project's override of any of them keeps the template)."""
        stock = {}
        for name, render in _RENDERERS.items():
            origin = Path(self.get_template(name).origin.name).resolve()
            if origin.is_relative_to(_STOCK) and self._includes_are_stock(name):
                stock[name] = render
        return stock

    def _includes_are_stock(self, name: str) -> bool:
        includes = {
            f"{_WIDGETS}attrs.html",
            "django/forms/attrs.html",
            _OPTION,
            f"{_WIDGETS}input.html",
        }
        if name.startswith("django/forms/errors/"):
            includes = {"django/forms/errors/list/ul.html"}
        return all(
            Path(self.get_template(inc).origin.name).resolve().is_relative_to(_STOCK)
            for inc in includes
        )

    def render(self, template_name: str, context: dict, request=None) -> SafeString | str:
        render = self._fast.get(template_name)
        if render is not None:
            try:
                return mark_safe(render(context).strip())  # noqa: S308 (every part is escaped)
            except _Fallback:
                pass
        return super().render(template_name, context, request=request)


# -- a list's filter fields ------------------------------------------------------------------
def fields_html(template: str, **context: Any) -> SafeString:
    """``template`` (a filter's fields, as a page includes them) drawn with ``context``; the
    file's own last line break is not the page's."""
    from django.template.loader import render_to_string

    return mark_safe(render_to_string(template, context).removesuffix("\n"))  # noqa: S308 - a template's output


@lru_cache(maxsize=1024)
def unbound_fields_html(
    template: str, name: str, form_class: type[forms.Form], accounts: tuple[Any, ...]
) -> SafeString:
    """A list's filter as the list opens (unbound): it depends on nothing but the accounts its
    form offers, so it is drawn once per process for each list of them (a form's widgets
    through the form templates were a tenth of the posts list and of a thread page:
    docs/performance.md, "Pages"). ``name`` is the form's name in ``template``."""
    return fields_html(template, **{name: form_class(accounts=list(accounts))})  # type: ignore[call-arg]
