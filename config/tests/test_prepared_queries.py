"""docs/performance.md, "Pages": Django's queries bind their values on the server, so a query a
page runs on every request is prepared on its connection after psycopg's threshold and
PostgreSQL stops parsing and planning it each time."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.models import Membership
from tenants.scoping import scopes_disabled

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
    ),
]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_query_run_past_the_threshold_is_prepared_with_its_values_apart(tenant, other_tenant):
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold == 5
    with scopes_disabled():
        for n in range(threshold + 1):
            chosen = (tenant, other_tenant)[n % 2]  # other values, the same statement
            list(Membership.objects.filter(tenant=chosen, role="owner"))
    [statement] = [s for s in _prepared() if '"tenants_membership"' in s]
    assert "$1" in statement and "$2" in statement and "'owner'" not in statement


def test_a_query_run_fewer_times_is_not_prepared(tenant):
    connection.ensure_connection()
    with scopes_disabled():
        for _ in range(connection.connection.prepare_threshold):
            list(Membership.objects.filter(tenant=tenant, role="staff"))
    assert not [s for s in _prepared() if '"tenants_membership"' in s]
