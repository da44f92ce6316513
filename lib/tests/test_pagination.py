"""lib/pagination.py: the page Django's paginator gives, with its total, in one query."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lib.pagination import page_with_total
from tenants.models import Tenant
from tenants.testing import make_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def restaurants():
    for n in range(23):
        make_tenant(f"Restaurant {n:02d}")
    return Tenant.objects.order_by("name")


@pytest.mark.parametrize("shape", ["models", "values_list", "values"])
@pytest.mark.parametrize("number", [1, 2, 3, "2", None, "x"])
def test_a_page_is_djangos_page_in_one_query(restaurants, shape, number):
    queryset = {
        "models": restaurants,
        "values_list": restaurants.values_list("pk", "name"),
        "values": restaurants.values("pk", "name"),
    }[shape]
    expected = Paginator(queryset, 10).get_page(number)
    with CaptureQueriesContext(connection) as queries:
        page = page_with_total(queryset, per_page=10, number=number)
    assert len(queries) == 1
    assert page.number == expected.number
    assert page.paginator.count == expected.paginator.count == Tenant.objects.count()
    assert page.paginator.num_pages == expected.paginator.num_pages
    assert list(page.object_list) == list(expected.object_list)
    assert (page.has_next(), page.has_previous()) == (expected.has_next(), expected.has_previous())


@pytest.mark.parametrize("number", [4, 99, "99", 0, -4, str(10**40), 2**63 // 10])
def test_past_the_last_page_or_below_the_first_it_answers_the_last_page_as_django_does(
    restaurants, number
):
    expected = Paginator(restaurants, 10).get_page(number)
    page = page_with_total(restaurants, per_page=10, number=number)
    assert page.number == expected.number == 3
    assert list(page.object_list) == list(expected.object_list)


def test_an_empty_list_is_one_empty_page():
    empty = Tenant.objects.none()
    page = page_with_total(empty, per_page=10, number=1)
    assert (page.number, page.paginator.count, list(page.object_list)) == (1, 0, [])
