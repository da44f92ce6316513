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


def _titles(admin_client, **query) -> list[str]:
    from django.urls import reverse

    response = admin_client.get(reverse("admin:posting_post_changelist"), query)
    assert response.status_code == 200
    return sorted(p.text for p in response.context["cl"].result_list)


def test_the_restaurant_filter_is_a_text_box_matching_a_web_address_or_part_of_a_name(
    admin_client, tenant, other_tenant
):
    from posting.models import Post
    from tenants.scoping import scopes_disabled
    from tenants.testing import make_tenant

    albatross = make_tenant("Albatross Grill", slug="albatross")
    with scopes_disabled():
        for t in (tenant, other_tenant, albatross):
            Post.objects.create(tenant=t, text=f"Post of {t.name}")
    # The web address names one restaurant, even though another's name contains it.
    assert _titles(admin_client, restaurant="alba") == ["Post of Trattoria Alba"]
    assert _titles(admin_client, restaurant="ALBA ") == ["Post of Trattoria Alba"]
    assert _titles(admin_client, restaurant="Alb") == [
        "Post of Albatross Grill",
        "Post of Trattoria Alba",
    ]
    assert _titles(admin_client, restaurant="nobody") == []
    assert len(_titles(admin_client)) == 3


def test_the_filter_box_keeps_the_lists_other_parameters_and_escapes_what_was_typed(
    admin_client, tenant
):
    from django.urls import reverse

    url = reverse("admin:posting_publication_changelist")
    typed = '"><script>alert(1)</script>'
    page = admin_client.get(url, {"state": "failed", "restaurant": typed}).content.decode()
    assert "<script>alert(1)" not in page
    assert 'name="restaurant" value="&quot;&gt;&lt;script&gt;' in page
    assert '<input type="hidden" name="state" value="failed">' in page  # in the restaurant box
    # No link per restaurant or per account in the sidebar.
    assert "tenant__id__exact" not in page and "account__id__exact" not in page


def test_the_filter_box_stands_the_lists_show_counts_switch(admin_client, tenant):
    from django.urls import reverse

    for query in ({"_facets": "True"}, {"_facets": "True", "restaurant": tenant.slug}):
        response = admin_client.get(reverse("admin:posting_publication_changelist"), query)
        assert response.status_code == 200
        assert 'name="restaurant"' in response.content.decode()


def test_a_list_with_related_fields_reads_only_those_of_its_related_rows(admin_client, tenant):
    """list_related_fields: the publication list shows each row's restaurant and account by
    name, so the restaurant's profile and the account's tokens are not read, and no row reads
    anything again for a deferred field (the same number of queries for 2 rows as for 6)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from posting.tests.factories import make_page, make_publication

    page = make_page(tenant, name="Trattoria <Alba>")
    url = reverse("admin:posting_publication_changelist")

    def shown() -> tuple[list[str], str]:
        with CaptureQueriesContext(connection) as queries:
            body = admin_client.get(url).content.decode()
        return [q["sql"] for q in queries.captured_queries], body

    for _ in range(2):
        make_publication(tenant, account=page)
    few, body = shown()
    for _ in range(4):
        make_publication(tenant, account=page)
    more, body = shown()
    assert len(few) == len(more)
    [listed] = [sql for sql in more if sql.startswith('SELECT "posting_publication"."id"')]
    assert "opening_hours" not in listed and "page_token" not in listed
    assert body.count("Facebook Page Trattoria &lt;Alba&gt;") == 6
    assert body.count(f">{tenant.name}<") == 6
