"""Owner-only social views refuse staff with 403 whatever the method: the role check runs
before the method check, so a staff member never learns which methods a view takes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from social.tests.isolation import KWARG_FACTORIES

OWNER_ONLY = [
    ("social:connect", []),
    ("social:rerequest", []),
    ("social:pick", ["pending_id"]),
    ("social:check", ["account_id"]),
    ("social:reconnect", ["account_id"]),
    ("social:disconnect", ["account_id"]),
]


def url_for(name: str, kwargs: list[str], tenant) -> str:
    values = {k: KWARG_FACTORIES[k](tenant) for k in kwargs}
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **values})


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
@pytest.mark.parametrize(("name", "kwargs"), OWNER_ONLY)
def test_staff_get_403_on_owner_only_social_views_for_any_method(
    staff_client, tenant, name, kwargs, method
):
    url = url_for(name, kwargs, tenant)

    assert getattr(staff_client, method)(url).status_code == 403


@pytest.mark.parametrize("name", ["social:connect", "social:rerequest", "social:check"])
def test_the_owner_still_gets_405_for_a_get_on_a_post_only_view(owner_client, tenant, name):
    kwargs = ["account_id"] if name == "social:check" else []

    assert owner_client.get(url_for(name, kwargs, tenant)).status_code == 405


def test_staff_may_see_the_accounts_page(staff_client, tenant):
    assert staff_client.get(reverse("social:accounts", args=[tenant.slug])).status_code == 200
