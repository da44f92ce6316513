"""The base class of every admin class in the project (a test holds every registered one to it).

An admin list draws a row checkbox for its actions on every row; Django's own renders it
through the form widget templates, about 0.15 ms a row here, so a page of 50 spent more on its
checkboxes than on its query (docs/performance.md, "Pages"). `ModelAdmin.action_checkbox`
writes the same element directly (a test compares it with Django's, byte for byte)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext


class ModelAdmin(admin.ModelAdmin):
    def action_checkbox(self, obj: Any) -> SafeString:
        """The row's checkbox for the list's actions, as Django's ``CheckboxInput`` draws it."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )
