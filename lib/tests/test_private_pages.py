"""Pages of logged-in users are never stored by a shared cache or kept by the browser."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from config.tests.test_security_headers import tenant_urls_without_ids


def _directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


@pytest.mark.parametrize("name", ["tenants:dashboard", "tenants:profile", "tenants:members"])
def test_portal_pages_of_a_logged_in_user_are_private_and_not_stored(owner_client, tenant, name):
    response = owner_client.get(reverse(name, args=[tenant.slug]))
    assert response.status_code == 200
    assert {"private", "no-store"} <= _directives(response)


def test_every_portal_page_without_ids_is_private_and_not_stored(owner_client, tenant):
    owner_client.raise_request_exception = False
    urls = tenant_urls_without_ids(tenant.slug)
    assert len(urls) >= 4
    for url in urls:
        assert {"private", "no-store"} <= _directives(owner_client.get(url)), url


def test_admin_pages_of_a_logged_in_operator_are_private_and_not_stored(db):
    operator = get_user_model().objects.create_user(
        username="ops@tablecast.example", password="x", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(operator)
    for url in ("/admin/", "/admin/tenants/tenant/"):
        response = client.get(url)
        assert response.status_code == 200
        assert {"private", "no-store"} <= _directives(response), url


def test_a_logged_in_users_public_pages_are_private_too(owner_client):
    response = owner_client.get(reverse("signup"))
    assert {"private", "no-store"} <= _directives(response)


def test_anonymous_public_pages_are_left_alone(client, db):
    assert "no-store" not in _directives(client.get(reverse("signup")))
