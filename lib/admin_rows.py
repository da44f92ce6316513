"""An admin list's rows, drawn as Django's ``items_for_result`` draws them, with what does not
change from row to row worked out once per column (docs/performance.md, "Admin lists").

Django's admin works every cell out from scratch: it looks the column's field up again, turns
a field's choices into a dictionary again, reverses the row's change link, and builds each
cell with ``format_html``; the template engine then prints the 600 cells of a 50-row list one
by one. That was about half of an admin list's time. Here a ``_Column`` keeps the field, its
choices, its classes and whether it links; a row is one string, handed to Django's own
``change_list_results.html`` as a row of one item, so the markup around it is Django's.

Lists with editable fields (``list_editable``) and pop-up lists (a related-object picker) are
left to Django. A test renders every registered list both ways and compares the HTML byte for
byte (``lib/tests/test_admin_rows.py``)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_list import ResultList
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (  # type: ignore[attr-defined]  # a private helper
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Model
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

_NOWRAP_FIELDS = (models.DateField, models.TimeField, models.ForeignKey)
_NOWRAP_VALUES = (datetime.date, datetime.time)


def result_list(cl: ChangeList) -> dict[str, Any]:
    """The context of Django's ``result_list`` tag, with the rows drawn here."""
    if cl.formset or cl.is_popup:
        return admin_list.result_list(cl)
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],  # only an editable list has them
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [ResultList(None, [row]) for row in rows(cl)],
    }


def rows(cl: ChangeList) -> Iterator[SafeString]:
    """Each row of ``cl.result_list`` as the ``<td>``/``<th>`` cells Django draws, joined."""
    empty = cl.model_admin.get_empty_value_display()
    columns = _columns(cl, empty)
    for result in cl.result_list:
        yield SafeString("".join(column.cell(result) for column in columns))


def _columns(cl: ChangeList, empty: SafeString) -> list[_Column]:
    columns = []
    linked = False  # Django draws the first linked column as <th>, later ones as <td>
    for index, name in enumerate(cl.list_display):
        link = _links(cl, name, first=not linked)
        columns.append(_Column(cl, index, name, empty, link=link, tag="td" if linked else "th"))
        linked = linked or link
    return columns


def _links(cl: ChangeList, name: Any, *, first: bool) -> bool:
    if cl.list_display_links is None:
        return False
    if first and not cl.list_display_links:
        return True
    return name in cl.list_display_links


class _Column:
    """One column of the list: what every row's cell in it shares."""

    def __init__(
        self, cl: ChangeList, index: int, name: Any, empty: SafeString, *, link: bool, tag: str
    ) -> None:
        self.cl = cl
        self.name = name
        self.empty = empty
        self.link = link
        self.tag = tag
        named = admin_list._coerce_field_name(name, index)  # type: ignore[attr-defined]
        self.classes = f"field-{named}"
        self.admin = cl.model_admin
        self.field: models.Field | None = None
        self.choices: dict[Any, Any] | None = None
        self.method: Callable[[Model], Any] | None = None
        try:
            field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            # Not a field: a callable, a method of the admin class, or of the model.
            if not callable(name) and hasattr(self.admin, name) and name != "__str__":
                self.method = getattr(self.admin, name)
        else:
            self.field = field
            if isinstance(field, _NOWRAP_FIELDS) and not field.auto_created:
                self.classes += " nowrap"
            if getattr(field, "flatchoices", None) and not field.auto_created:
                try:
                    self.choices = dict(field.flatchoices)
                except TypeError:  # list-like choices: Django's own lookup handles them
                    self.choices = None
        self.shared_class = f' class="{self.classes}"'
        # A related row that is gone: the empty value, with the column's first class only.
        self.missing_class = f' class="field-{named}"'

    def cell(self, result: Model) -> str:
        try:
            html, classes = self._content(result)
        except ObjectDoesNotExist:
            html, classes = self.empty, self.missing_class
        if not self.link:
            return f"<td{classes}>{conditional_escape(html)}</td>"
        try:
            url = self.cl.url_for_result(result)
        except NoReverseMatch:
            link = str(conditional_escape(html))
        else:
            url = self._preserving_filters(url)
            link = f'<a href="{conditional_escape(url)}">{conditional_escape(html)}</a>'
        return f"<{self.tag}{classes}>{link}</{self.tag}>"

    def _content(self, result: Model) -> tuple[Any, str]:
        """The cell's content (escaped when printed unless safe) and its class attribute."""
        field = self.field
        if field is not None and not field.auto_created:
            value = getattr(result, self.name)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            if isinstance(field.remote_field, models.ManyToOneRel):
                return (self.empty if value is None else value), self.shared_class
            if self.choices is not None:
                try:
                    return self.choices.get(value, self.empty), self.shared_class
                except TypeError:  # an unhashable value
                    pass
            html = display_for_field(value, field, self.empty, avoid_link=self.link)
            return html, self.shared_class
        attr: Any
        if field is not None:  # an automatic field (the id): shown as a plain value
            attr, value = None, getattr(result, self.name)
        elif self.method is not None:
            attr, value = self.method, self.method(result)
        else:
            _, attr, value = lookup_field(self.name, result, self.admin)
        empty = getattr(attr, "empty_value_display", self.empty)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        classes = "action-checkbox" if self.name == "action_checkbox" else self.classes
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        html = display_for_value(value, empty, boolean)
        if isinstance(value, _NOWRAP_VALUES):
            classes += " nowrap"
        return html, f' class="{classes}"'

    def _preserving_filters(self, url: str) -> str:
        """The change link carrying the list's filters back (Django's ``add_preserved_filters``,
        which leaves a plain link as it is when there are none)."""
        if not self.cl.preserved_filters and "?" not in url and "#" not in url:
            return url
        return add_preserved_filters(
            {"preserved_filters": self.cl.preserved_filters, "opts": self.cl.opts}, url
        )
