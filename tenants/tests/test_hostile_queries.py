"""Every restaurant page and every admin list answers hostile query strings and form posts with a
page, a redirect or a 4xx, never a 500: a NUL
character (PostgreSQL refuses it in any text), numbers too big for a column, dates that do not
exist, markup, very long values, repeated parameters. The pages are found from the URLconf (as in
the isolation test), so a new page is probed without editing this file; each page gets every
query parameter any view reads, all at once, and every URL a POST of every field name the views
and their forms read."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from tenants.scoping import scopes_disabled
from tenants.tests.urlmatrix import classify, collect_declarations, enumerate_urls

pytestmark = pytest.mark.django_db

DECLARATIONS = collect_declarations()
TENANT_URLS = [
    entry
    for entry in enumerate_urls()
    if classify(entry, DECLARATIONS.public_urls) == "tenant" and not entry.is_regex
]
# Every name a view reads from request.GET (grep request.GET, and the filter forms' fields).
PARAMS = [
    "q", "page", "folder", "tag", "sort", "orientation", "used", "v", "download", "multiple",
    "next", "view", "week", "month", "date", "asset", "type", "post_type", "notes", "state",
    "network", "account", "kind", "unread", "needs_human", "current", "after", "period", "start",
    "end", "status",
]  # fmt: skip
# What views read from request.POST, and the portal forms' field names.
FIELDS = [
    *PARAMS, "accounts", "action", "asset_ids", "form_token", "link", "mark", "post_id", "text",
    "text_facebook", "text_instagram", "time", "writer", "select_across", "signed_request",
    "name", "title", "parent", "tags", "role", "email", "focal_x", "focal_y", "keywords",
    "answer", "enabled", "auto_replies", "timezone", "opening_hours", "phone", "address",
]  # fmt: skip
HOSTILE = {
    "nul": "a\x00b",
    "huge number": "9" * 40,
    "negative": "-1",
    "impossible date": "2026-02-30",
    "markup": "<script>alert(1)</script>'\"",
    "long": "é" * 3000,
    "percent": "%",
    "iso junk": "2026-12-01T25:61:00+99:00",
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("entry", TENANT_URLS, ids=[e.id for e in TENANT_URLS])
def test_no_restaurant_url_answers_hostile_input_with_a_server_error(
    entry, method, tenant, owner_client
):
    with scopes_disabled():
        values = {k: DECLARATIONS.kwarg_factories[k](tenant) for k in entry.object_kwargs}
    url = entry.build(tenant_slug=tenant.slug, **values)
    names = PARAMS if method == "get" else FIELDS
    failures = []
    for kind, value in HOSTILE.items():
        response = getattr(owner_client, method)(url, {name: [value, value] for name in names})
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {url} with {kind}: {response.status_code}")
    assert failures == []


# What a list filter, search, ordering or page number could choke on (the admin's own parsing
# answers the rest; each admin list costs a few seconds with all eight).
ADMIN_KINDS = ("nul", "huge number", "impossible date", "long")
ADMIN_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=[m._meta.label for m in ADMIN_MODELS])
def test_no_admin_list_answers_a_hostile_filter_with_a_server_error(model, tenant, client):
    """Each parameter the list's own links use (its filters, search, ordering, page), one at a
    time. The admin takes filter values straight from the query string: a NUL there reached
    PostgreSQL and ended in a 500 before lib.middleware.NulCharacterMiddleware."""
    operator = get_user_model().objects.create_superuser("op", "op@example.com", "Op-pass-1234")
    client.force_login(operator)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    page = html.unescape(client.get(url).content.decode())
    names = set(re.findall(r"[?&]([A-Za-z0-9_]+)=", page)) | {"q", "p", "o", "e"}
    failures = [
        f"{url}?{name}=<{kind}>: {status}"
        for kind, value in HOSTILE.items()
        if kind in ADMIN_KINDS
        for name in sorted(names)
        if (status := client.get(url, {name: value}).status_code) >= 500
    ]
    assert failures == []
    assert client.get(url, {"q": "a\x00b"}).status_code == 400


def test_a_nul_in_the_query_string_is_refused_with_a_page_that_says_so(owner_client, tenant):
    response = owner_client.get(reverse("assets:library", args=[tenant.slug]) + "?q=a%00b")
    assert response.status_code == 400
    assert "We could not read that address" in response.content.decode()
