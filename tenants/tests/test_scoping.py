"""tenants/scoping.py and tenants/middleware.py edges a one-line bug could break unnoticed
(issue 14's mutation findings)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Value
from django.http import HttpResponse
from django.test import RequestFactory
from django_scopes import get_scope

from tenants.middleware import TenantScopeMiddleware
from tenants.models import Invitation, Membership, Tenant
from tenants.scoping import ScopeError
from tenants.testing import make_user

# Each builds a queryset without evaluating it: used as a subquery, it would run unfiltered.
UNEVALUATED = {
    "exclude": lambda qs: qs.exclude(role="staff"),
    "distinct": lambda qs: qs.distinct(),
    "select_related": lambda qs: qs.select_related("user"),
    "prefetch_related": lambda qs: qs.prefetch_related("user"),
    "alias": lambda qs: qs.alias(n=Value(1)),
    "defer": lambda qs: qs.defer("role"),
    "explain": lambda qs: qs.explain(),
}


@pytest.mark.parametrize("method", UNEVALUATED, ids=UNEVALUATED.keys())
def test_each_queryset_builder_raises_outside_a_scope(method, owner):
    with pytest.raises(ScopeError):
        UNEVALUATED[method](Membership.objects)


@pytest.mark.parametrize("method", [m for m in UNEVALUATED if m != "explain"])
def test_an_unscoped_subquery_raises_instead_of_leaking(method, owner, outsider):
    with pytest.raises(ScopeError):
        list(Tenant.objects.filter(memberships__in=UNEVALUATED[method](Membership.objects)))


def _scope_seen_by_the_view(path: str, user) -> dict:
    seen: dict = {}

    def view(request):
        seen.update(get_scope())
        return HttpResponse("ok")

    request = RequestFactory().get(path)
    request.user = user
    TenantScopeMiddleware(view)(request)
    return seen


@pytest.mark.parametrize("path", ["/admin/", "/admin/tenants/tenant/", "/admin/login/"])
def test_admin_requests_of_non_staff_users_stay_scoped(path, db):
    member = make_user()
    assert _scope_seen_by_the_view(path, member).get("_enabled", True) is True
    inactive_staff = make_user(is_staff=True, is_active=False)
    assert _scope_seen_by_the_view(path, inactive_staff).get("_enabled", True) is True
    assert _scope_seen_by_the_view(path, AnonymousUser()).get("_enabled", True) is True


def test_admin_requests_of_active_staff_are_unscoped(db):
    operator = make_user(is_staff=True)
    assert _scope_seen_by_the_view("/admin/", operator)["_enabled"] is False


def test_portal_requests_of_staff_users_are_not_unscoped(tenant, db):
    operator = make_user(is_staff=True)
    Membership.objects.create(tenant=tenant, user=operator, role="owner")
    seen = _scope_seen_by_the_view(f"/t/{tenant.slug}/", operator)
    assert seen.get("_enabled", True) is True and seen["tenant"] == tenant


@pytest.mark.parametrize("path", ["/no-such-page/", "/t/alba/no-such-page/", "/admin-nope/", "/t/"])
def test_an_unknown_url_is_404(path, owner_client, client):
    assert owner_client.get(path).status_code == 404
    client.logout()
    assert client.get(path).status_code == 404


def test_disabling_scopes_inside_an_empty_tenant_scope_is_unscoped_not_an_error(tenant):
    """scopes_disabled() keeps the outer scope's keys (tenant=None here) but turns the scope
    off: the empty-scope guard applies to active scopes only."""
    from tenants.scoping import scope, scopes_disabled
    from tenants.testing import make_invitation

    make_invitation(tenant)
    with scope(tenant=None), scopes_disabled():
        assert Invitation.objects.count() == 1


def test_an_empty_tenant_scope_says_why_it_refuses(tenant):
    from tenants.scoping import scope
    from tenants.testing import make_invitation

    make_invitation(tenant)
    message = "The tenant scope is active but empty: refusing an unfiltered query."
    with scope(tenant=None), pytest.raises(ScopeError) as refused:
        Invitation.objects.count()
    assert str(refused.value) == message
