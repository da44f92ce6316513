"""Every admin class of the project's apps is built on `lib.admin.ModelAdmin`, whose row
checkbox is Django's own, byte for byte."""

from __future__ import annotations

import uuid

import pytest
from django.contrib import admin

from lib.admin import ModelAdmin
from tenants.models import Tenant
from webhooks.models import Conversation

OURS = ("tenants", "social", "assets", "posting", "webhooks", "analytics")


def test_every_admin_class_of_ours_uses_the_projects_base():
    ours = {
        model._meta.label: type(model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OURS
    }
    assert len(ours) >= 15
    assert [label for label, cls in ours.items() if not issubclass(cls, ModelAdmin)] == []


@pytest.mark.parametrize(
    "obj",
    [
        Tenant(id=5, name='Trattoria "da" <Walter> & Co', slug="x"),
        Conversation(id=uuid.UUID(int=9), kind="messages", customer_name="<b>Eve</b>'s"),
    ],
)
def test_the_row_checkbox_is_djangos_own(obj):
    ours = admin.site._registry[type(obj)]
    assert isinstance(ours, ModelAdmin)
    django_s = admin.ModelAdmin.action_checkbox(ours, obj)
    assert ours.action_checkbox(obj) == django_s
    assert "<b>" not in django_s and "&lt;" in django_s
