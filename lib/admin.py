"""The base class of every admin class in the project (a test holds every registered one to it),
and the text-box filters the lists use for restaurants and accounts.

An admin list draws a row checkbox for its actions on every row; Django's own renders it
through the form widget templates, about 0.15 ms a row here, so a page of 50 spent more on its
checkboxes than on its query (docs/performance.md, "Pages"). `ModelAdmin.action_checkbox`
writes the same element directly (a test compares it with Django's, byte for byte). A list
that shows related rows by name loads only the columns named in ``list_related_fields``.

Django's paginator counts every row a list matches (``COUNT(*)``), and its "N total" counts the
whole table again: on a table that grows with traffic (webhook events, publish attempts) both
scans grow with it, on every page of every list. `CappedCountPaginator` counts at most
`COUNT_CAP` rows and a list past that says "more than 10,000"; the whole table's total is not
shown (``show_full_result_count = False``: "Show all" instead, as Django documents).

Django's filter for a related field lists a link per row of the related table: at a thousand
restaurants and two thousand accounts, every list's sidebar would carry thousands of links (and
read both tables on every page). `RestaurantFilter` and `AccountFilter` are a text box instead:
a restaurant's web address or part of its name, an account's id or part of its name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList as DjangoChangeList
from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from lib.urls import reverse_many

# The most rows an admin list counts: past it, "more than 10,000" (docs/performance.md).
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Django's paginator, counting at most `COUNT_CAP` rows: ``SELECT COUNT(*)`` over the
    query, unordered and limited to one row more, so the count costs the same on a table of a
    million rows as on one of ten thousand. ``capped`` says the list has more rows than the
    count; its pages go as far as the count does (a narrower filter, or the other order,
    reaches the rest)."""

    capped = False

    @property
    def cap_label(self) -> str:
        return f"{COUNT_CAP:,}"

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return super().count
        # No ORDER BY: with one, the database would sort every matching row to find the first.
        counted = rows.order_by()[: COUNT_CAP + 1].count()
        if counted > COUNT_CAP:
            self.capped = True
            return COUNT_CAP
        return counted


class ChangeList(DjangoChangeList):
    @cached_property
    def _change_url(self) -> Callable[[int], str]:
        return reverse_many(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            vary="object_id",
            kwargs={},
            current_app=self.model_admin.admin_site.name,
        )

    def url_for_result(self, result: Model) -> str:
        """Django's link to the row's change page, reversed once per page (lib/urls.py) when
        the key is a number (a number's text needs no quoting)."""
        pk = getattr(result, self.pk_attname)
        if type(pk) is int:
            return self._change_url(pk)
        return super().url_for_result(result)

    def apply_select_related(self, qs: QuerySet) -> QuerySet:
        qs = super().apply_select_related(qs)
        related = getattr(self.model_admin, "list_related_fields", ())
        if related:
            own = [field.name for field in self.model._meta.concrete_fields]
            qs = qs.only(*own, *related)
        return qs


class ModelAdmin(admin.ModelAdmin):
    # The related rows' columns a list reads (what their ``__str__`` shows), e.g.
    # ``("tenant__name",)``: with ``list_select_related`` the list would otherwise build each
    # related row whole (a restaurant's profile, an account's encrypted tokens) for its name.
    list_related_fields: tuple[str, ...] = ()
    paginator = CappedCountPaginator
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ChangeList

    def action_checkbox(self, obj: Any) -> SafeString:
        """The row's checkbox for the list's actions, as Django's ``CheckboxInput`` draws it."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class TextFilter(admin.SimpleListFilter):
    """A list filter that is one text box (``admin/text_filter.html``); ``matches`` turns the
    typed text into the condition on the list's rows."""

    template = "admin/text_filter.html"
    placeholder = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("", "")]  # one entry, so that Django shows the filter: the box

    def choices(self, changelist: Any) -> Any:
        """What the template draws: the typed text, and the list's other parameters (kept as
        hidden fields when the box is submitted: other filters, the search, the order; not the
        page number, since the filtered list starts again at its first page)."""
        others = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name != self.parameter_name
            for value in values
        ]
        yield {"value": self.value() or "", "others": others, "placeholder": self.placeholder}

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        text = (self.value() or "").strip()
        return queryset.filter(self.matches(text, queryset)) if text else queryset

    def matches(self, text: str, queryset: QuerySet) -> Q:
        raise NotImplementedError


class RestaurantFilter(TextFilter):
    title = "restaurant"
    parameter_name = "restaurant"
    placeholder = "Web address or name"

    def matches(self, text: str, queryset: QuerySet) -> Q:
        """A restaurant's web address names that one restaurant (the links from other admin
        pages use it); any other text, every restaurant whose name contains it."""
        restaurants = queryset.model._meta.get_field("tenant").related_model._default_manager
        if restaurants.filter(slug=text.lower()).exists():
            return Q(tenant__slug=text.lower())
        return Q(tenant__name__icontains=text)


class AccountFilter(TextFilter):
    title = "account"
    parameter_name = "account"
    placeholder = "Facebook or Instagram id, or name"

    def matches(self, text: str, queryset: QuerySet) -> Q:
        return Q(account__external_id=text) | Q(account__name__icontains=text)
