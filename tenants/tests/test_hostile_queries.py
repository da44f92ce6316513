"""Every restaurant page answers hostile query strings and form posts with a page, a redirect or
a 4xx, never a 500: a NUL
character (PostgreSQL refuses it in any text), numbers too big for a column, dates that do not
exist, markup, very long values, repeated parameters. The pages are found from the URLconf (as in
the isolation test), so a new page is probed without editing this file; each page gets every
query parameter any view reads, all at once, and every URL a POST of every field name the views
and their forms read."""

from __future__ import annotations

import pytest

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
