"""The library search really uses the GIN full-text index on PostgreSQL, not just "an index
exists and the SQL mentions to_tsvector": the planner must match the query's expression to the
index's (migration 0002) and pick it for a selective search in a big library.

Why the library is big here: every library query also filters by tenant, and on a tiny,
unanalysed table the planner rightly prefers the tenant's btree index and filters the few rows
(even with sequential scans off). The index earns its keep on a tenant with thousands of photos,
so that is the case tested, with fresh statistics."""

from __future__ import annotations

import pytest
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection

from assets.models import Asset
from assets.selectors import AssetFilters, asset_list
from assets.tests.test_library import _bulk_assets
from tenants.scoping import scopes_disabled, tenant_scope

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only"
)

INDEX = "assets_asset_search_gin"


@pytest.fixture
def big_library(tenant, other_tenant):
    """2,000 photos titled "Dish n" for our tenant (three of them tiramisù), 500 for another."""
    _bulk_assets(tenant, 2000)
    _bulk_assets(other_tenant, 500)
    with scopes_disabled():
        Asset.objects.filter(tenant=tenant, title__in=["Dish 7", "Dish 70", "Dish 700"]).update(
            search_text="Tiramisù della casa desserts"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assets_asset")
    return tenant


def _plan(qs) -> str:
    with connection.cursor() as cursor:
        # SET LOCAL lasts until the end of the test's transaction only.
        cursor.execute("SET LOCAL enable_seqscan = off")
    return qs.explain()


@pytest.mark.parametrize("q", ["tiramisù", "tira", "dessert casa"])
@pytest.mark.parametrize("sort", ["newest", "most_used", "least_posted"])
def test_the_library_search_query_uses_the_gin_index(big_library, q, sort):
    with tenant_scope(big_library):
        qs = asset_list(tenant=big_library, filters=AssetFilters(q=q, sort=sort))
        assert qs.count() == 3
        # The vector is only for the filter: not computed again for every row returned.
        assert "to_tsvector" not in str(qs.query).split(" FROM ")[0]
        plan = _plan(qs)
    assert INDEX in plan, plan
    assert "Bitmap Index Scan on " + INDEX in plan


def test_the_search_expression_matches_the_index_even_on_a_tiny_table(tenant):
    """Without the tenant filter nothing competes with the GIN index, so this fails only when
    the query's tsvector expression and the index's drift apart."""
    _bulk_assets(tenant, 5)
    query = SearchQuery("dish:*", search_type="raw", config="simple")
    with scopes_disabled():
        qs = Asset.objects.annotate(search=SearchVector("search_text", config="simple"))
        plan = _plan(qs.filter(search=query))
    assert INDEX in plan, plan


def test_a_query_with_another_text_configuration_cannot_use_the_index(tenant):
    """The control that shows the check above can fail: 'english' is not the indexed
    expression, so the planner has no way to use the index."""
    _bulk_assets(tenant, 5)
    query = SearchQuery("dish:*", search_type="raw", config="english")
    with scopes_disabled():
        qs = Asset.objects.annotate(search=SearchVector("search_text", config="english"))
        plan = _plan(qs.filter(search=query))
    assert INDEX not in plan, plan
