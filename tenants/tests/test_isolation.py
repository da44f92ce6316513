"""Tenant isolation, tested from the outside in (design invariant 1; RELIABILITY T1–T5).

Every URL pattern is enumerated from the resolver at collection time, so a view added later is
covered without anyone editing this file. Each app declares its URL kwargs and its public URLs in
``<app>/tests/isolation.py`` (contract: tenants/tests/isolation.py). The checker itself is proven
against deliberately leaky views mounted by this module's own URLconf (``urlpatterns`` below).
"""

from __future__ import annotations

import asyncio
import uuid
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.test.utils import isolate_apps
from django.urls import path, reverse
from django.urls.converters import (
    IntConverter,
    PathConverter,
    SlugConverter,
    StringConverter,
    UUIDConverter,
)

from tenants.checks import unscoped_tenant_models
from tenants.models import Invitation, Membership, Tenant, TenantOwned
from tenants.scoping import ScopeError, TenantScopedManager, scope, scopes_disabled, tenant_scope
from tenants.testing import make_invitation, make_member, make_tenant, membership_of
from tenants.tests.urlmatrix import (
    check_tenant_url,
    classify,
    collect_declarations,
    enumerate_urls,
    tenant_checksum,
)

DECLARATIONS = collect_declarations()
ENTRIES = enumerate_urls()
TENANT_ENTRIES = [e for e in ENTRIES if classify(e, DECLARATIONS.public_urls) == "tenant"]
ADMIN_ENTRIES = [e for e in ENTRIES if classify(e, DECLARATIONS.public_urls) == "admin"]
OWNER_ONLY_ENTRIES = [e for e in TENANT_ENTRIES if getattr(e.callback, "owner_only", False)]


def _ids(entries):
    return [e.id for e in entries]


# --- T1 / T2: every pattern classified; every tenant URL isolated ---------------------------


def test_every_url_pattern_is_classified():
    unclassified = [
        e.id for e in ENTRIES if classify(e, DECLARATIONS.public_urls) == "unclassified"
    ]
    assert not unclassified, (
        "URL patterns that are neither under /t/<slug:tenant_slug>/, nor admin, nor listed in "
        "some <app>/tests/isolation.py PUBLIC_URLS (with the reason they are public):\n  "
        + "\n  ".join(unclassified)
    )


def test_every_declared_public_url_exists():
    names = {e.name for e in ENTRIES}
    stale = sorted(set(DECLARATIONS.public_urls) - names)
    assert not stale, f"PUBLIC_URLS name patterns that do not exist (remove them): {stale}"


def test_the_enumeration_sees_the_tenant_pages():
    names = {e.name for e in TENANT_ENTRIES}
    assert {
        "tenants:dashboard",
        "tenants:profile",
        "tenants:members",
        "tenants:member_remove",
    } <= names


@pytest.mark.parametrize("entry", TENANT_ENTRIES, ids=_ids(TENANT_ENTRIES))
def test_tenant_url_is_closed_to_anonymous_visitors_and_other_restaurants(
    entry, tenant, other_tenant, outsider
):
    failures = check_tenant_url(
        entry,
        tenant_a=tenant,
        tenant_b=other_tenant,
        owner_b=outsider,
        declarations=DECLARATIONS,
    )
    assert not failures, "\n".join(failures)


# --- Admin: staff only ------------------------------------------------------------------------


def _admin_path(entry) -> str:
    """A concrete address for an admin pattern (the ids need not exist: staff-only comes first)."""
    if entry.name is None:  # the catch-all
        return "/admin/no-such-page/"
    by_converter = {
        IntConverter: 1,
        UUIDConverter: uuid.UUID(int=1),
        SlugConverter: "x",
        StringConverter: "1",
        PathConverter: "1",
    }
    regex_samples = {"app_label": "tenants", "object_id": "1"}
    kwargs = {
        name: regex_samples[name] if conv is None else by_converter[type(conv)]
        for name, conv in entry.converters.items()
    }
    return reverse(entry.name, kwargs=kwargs)


ADMIN_OPEN = {
    "admin:login": "the admin's log-in form",
    "admin:logout": "logs out whoever is logged in, then goes to the admin index (and its login)",
}
ADMIN_CHECKED = [e for e in ADMIN_ENTRIES if e.name not in ADMIN_OPEN]


@pytest.mark.parametrize("entry", ADMIN_CHECKED, ids=_ids(ADMIN_CHECKED))
def test_admin_url_sends_anonymous_and_non_staff_users_to_the_admin_login(entry, client, outsider):
    url = _admin_path(entry)
    login = reverse("admin:login")
    for who in ("anonymous", "non-staff"):
        if who == "non-staff":
            client.force_login(outsider)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"{method.upper()} {url} as {who}"
            assert response["Location"].startswith(f"{login}?next="), f"{method} {url} as {who}"


# --- T3: owner-only views refuse staff -----------------------------------------------------------


def test_owner_only_views_are_found_from_the_resolver():
    names = {e.name for e in OWNER_ONLY_ENTRIES}
    assert {
        "tenants:member_invite",
        "tenants:member_role",
        "tenants:member_remove",
        "tenants:invitation_revoke",
    } <= names


@pytest.mark.parametrize("entry", OWNER_ONLY_ENTRIES, ids=_ids(OWNER_ONLY_ENTRIES))
def test_staff_get_403_on_owner_only_urls(entry, tenant, owner, staff_member, client):
    """Staff get 403 for every method; the one exception is a method the view refuses to
    everyone (405 for the owner too), where the staff member gets that same 405."""
    with scopes_disabled():
        values = {k: DECLARATIONS.kwarg_factories[k](tenant) for k in entry.object_kwargs}
    url = entry.build(tenant_slug=tenant.slug, **values)
    before = tenant_checksum(tenant)
    for method in ("get", "post"):
        client.force_login(staff_member)
        status = getattr(client, method)(url).status_code
        if status == 405:
            client.force_login(owner)
            assert getattr(client, method)(url).status_code == 405, f"{method.upper()} {url}"
        else:
            assert status == 403, f"{method.upper()} {url} as staff: {status}"
    assert tenant_checksum(tenant) == before


# Pages any member may use (the role matrix of the tenants app, decided in issue 2): staff may
# see the dashboard and the member list and edit the restaurant's profile.
@pytest.mark.parametrize("name", ["tenants:dashboard", "tenants:profile", "tenants:members"])
def test_staff_may_use_the_member_pages(name, tenant, staff_client):
    response = staff_client.get(reverse(name, args=[tenant.slug]))
    assert response.status_code == 200


# --- T5: another tenant's ids in a form or an address -------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [("tenants:member_remove", {}), ("tenants:member_role", {"role": "owner"})],
)
def test_another_restaurants_membership_id_is_404_and_changes_nothing(
    name, data, owner_client, tenant, other_tenant
):
    theirs = membership_of(other_tenant, make_member(other_tenant, role="staff"))
    before = tenant_checksum(other_tenant)
    response = owner_client.post(reverse(name, args=[tenant.slug, theirs.pk]), data)
    assert response.status_code == 404
    assert tenant_checksum(other_tenant) == before


def test_another_restaurants_invitation_id_is_404_and_changes_nothing(
    owner_client, tenant, other_tenant
):
    theirs, _token = make_invitation(other_tenant)
    before = tenant_checksum(other_tenant)
    response = owner_client.post(
        reverse("tenants:invitation_revoke", args=[tenant.slug, theirs.pk])
    )
    assert response.status_code == 404
    assert tenant_checksum(other_tenant) == before


# --- The checker catches mistakes (test-only views and URLconf) ---------------------------------


def leaky_detail(request: HttpRequest, tenant_slug: str, invitation_id: int) -> HttpResponse:
    """WRONG on purpose: looks an invitation up by id with the scope switched off."""
    with scopes_disabled():
        invitation = Invitation.objects.get(pk=invitation_id)
    return HttpResponse(invitation.email)


def leaky_delete(request: HttpRequest, tenant_slug: str, invitation_id: int) -> HttpResponse:
    """WRONG on purpose: deletes through the unscoped base manager."""
    Invitation._base_manager.filter(pk=invitation_id).delete()
    return HttpResponse("deleted")


def mystery(request: HttpRequest, tenant_slug: str, gizmo_id: int) -> HttpResponse:
    return HttpResponse("")


def forgotten(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


UNSCOPED_QUERIES = {
    "all": lambda: list(Invitation.objects.all()),
    "get": lambda: Invitation.objects.get(pk=1),
    "filter": lambda: list(Invitation.objects.filter(email__contains="@")),
    "exists": lambda: Invitation.objects.exists(),
    "exclude-exists": lambda: Invitation.objects.exclude(pk=0).exists(),
    "count": lambda: Invitation.objects.count(),
    "contains": lambda: Invitation.objects.contains(Invitation(pk=1)),
    "in_bulk": lambda: Invitation.objects.in_bulk([1]),
    "values_list": lambda: list(Invitation.objects.values_list("email")),
    "first": lambda: Invitation.objects.first(),
    "using-exists": lambda: Invitation.objects.using("default").exists(),
    "iterator": lambda: list(Invitation.objects.iterator()),
    "aiterator": lambda: Invitation.objects.aiterator(),
    "async-for": lambda: asyncio.run(_consume(Invitation.objects.using("default"))),
    "related-manager": lambda: list(Membership.objects.select_related("user")),
}


async def _consume(queryset):
    return [row async for row in queryset]


def unscoped_query(request: HttpRequest, query: str) -> HttpResponse:
    """WRONG on purpose: a tenant-owned query outside /t/<slug>/ (no scope is active)."""
    return HttpResponse(repr(UNSCOPED_QUERIES[query]()))


urlpatterns = [
    path("t/<slug:tenant_slug>/leaky/<int:invitation_id>/", leaky_detail, name="leaky_detail"),
    path(
        "t/<slug:tenant_slug>/leaky/<int:invitation_id>/delete/", leaky_delete, name="leaky_delete"
    ),
    path("t/<slug:tenant_slug>/mystery/<int:gizmo_id>/", mystery, name="mystery"),
    path("forgotten/", forgotten, name="forgotten"),
    path("unscoped/<str:query>/", unscoped_query, name="unscoped_query"),
    *import_module(settings.ROOT_URLCONF).urlpatterns,
]


def _entry(name):
    return next(e for e in enumerate_urls() if e.name == name)


def _check(name, tenant, other_tenant, outsider):
    return check_tenant_url(
        _entry(name),
        tenant_a=tenant,
        tenant_b=other_tenant,
        owner_b=outsider,
        declarations=DECLARATIONS,
    )


@pytest.mark.urls(__name__)
def test_the_checker_reports_a_view_that_reads_another_restaurants_row(
    tenant, other_tenant, outsider
):
    failures = _check("leaky_detail", tenant, other_tenant, outsider)
    leaks = [f for f in failures if "another restaurant's own address" in f]
    assert leaks, failures
    assert any(f.startswith("GET ") and ": 200;" in f for f in leaks), leaks


@pytest.mark.urls(__name__)
def test_the_checker_reports_a_view_that_changes_another_restaurants_rows(
    tenant, other_tenant, outsider
):
    failures = _check("leaky_delete", tenant, other_tenant, outsider)
    assert any("tenant A's rows changed" in f for f in failures), failures


@pytest.mark.urls(__name__)
def test_the_checker_passes_a_correct_view_mounted_the_same_way(tenant, other_tenant, outsider):
    assert _check("tenants:member_remove", tenant, other_tenant, outsider) == []


@pytest.mark.urls(__name__)
def test_the_checker_names_a_url_kwarg_without_a_factory(tenant, other_tenant, outsider):
    [failure] = _check("mystery", tenant, other_tenant, outsider)
    assert "'gizmo_id'" in failure
    assert "tests/isolation.py" in failure


@pytest.mark.urls(__name__)
def test_a_public_pattern_nobody_declared_is_unclassified():
    entry = _entry("forgotten")
    assert classify(entry, DECLARATIONS.public_urls) == "unclassified"
    assert entry.route == "forgotten/"


# --- Unscoped queries raise; scopes filter --------------------------------------------------------


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("query", sorted(UNSCOPED_QUERIES))
def test_an_unscoped_query_in_a_request_raises_instead_of_leaking(query, owner_client, tenant):
    make_invitation(tenant)
    with pytest.raises(ScopeError):
        owner_client.get(reverse("unscoped_query", args=[query]))


def test_an_empty_tenant_scope_raises(tenant):
    make_invitation(tenant)
    with scope(tenant=None), pytest.raises(ScopeError):
        Invitation.objects.exists()
    with pytest.raises(ScopeError):
        Invitation.objects.with_scope(tenant=None).count()
    with pytest.raises(ScopeError):
        tenant_scope(None)


def test_a_tenant_scope_sees_only_that_restaurants_rows(tenant, other_tenant):
    ours, _ = make_invitation(tenant)
    theirs, _ = make_invitation(other_tenant)
    with tenant_scope(tenant):
        assert list(Invitation.objects.all()) == [ours]
        assert not Invitation.objects.filter(pk=theirs.pk).exists()
        with pytest.raises(Invitation.DoesNotExist):
            Invitation.objects.get(pk=theirs.pk)


# --- T4: every model pointing at Tenant is scoped -------------------------------------------------


def test_every_model_pointing_at_a_restaurant_fails_closed():
    assert unscoped_tenant_models() == []


@isolate_apps("tenants")
def test_the_model_check_reports_unscoped_models():
    class PlainManager(models.Model):
        tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    class OtherName(models.Model):
        restaurant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
        objects = TenantScopedManager()

    class BackDoor(TenantOwned):
        unscoped = models.Manager()

    class Good(TenantOwned):
        pass

    class NoTenant(models.Model):
        owner = models.ForeignKey(get_user_model(), on_delete=models.CASCADE, related_name="+")

    reported = unscoped_tenant_models([PlainManager, OtherName, BackDoor, Good, NoTenant])
    assert reported == ["tenants.PlainManager", "tenants.OtherName", "tenants.BackDoor"]


def test_the_checksum_notices_a_change(tenant):
    before = tenant_checksum(tenant)
    invitation, _ = make_invitation(tenant)
    assert tenant_checksum(tenant)[0] == before[0] + 1
    middle = tenant_checksum(tenant)
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk).update(email="changed@example.com")
    assert tenant_checksum(tenant) != middle


def test_a_second_restaurant_does_not_change_the_first(tenant):
    before = tenant_checksum(tenant)
    make_member(make_tenant("Elsewhere"), role="owner")
    assert tenant_checksum(tenant) == before
