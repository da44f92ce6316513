from __future__ import annotations

import pytest

from assets.tests.conftest import media_root  # noqa: F401  (autouse: a media folder per test)
from posting.tests.factories import make_instagram, make_page
from tenants.scoping import tenant_scope


@pytest.fixture(autouse=True)
def fresh_page_budgets():
    """Rate budgets live in the (Redis) cache: no test inherits another's blocks."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page(tenant):
    return make_page(tenant, name="Trattoria Alba")


@pytest.fixture
def instagram(tenant, page):
    return make_instagram(tenant, page=page, name="trattoria.alba")


@pytest.fixture
def photo(tenant):
    from assets.tests.factories import make_asset

    return make_asset(tenant, title="Tagliatelle", width=800, height=800)


@pytest.fixture
def scoped(tenant):
    """Ask for it to run the test body inside the tenant's scope, as views and tasks do
    (entered in `pytest_runtest_call`: fixtures themselves run with scopes disabled)."""
    return tenant


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    tenant = getattr(item, "funcargs", {}).get("scoped")
    if tenant is None:
        return (yield)
    with tenant_scope(tenant):
        return (yield)
