"""tenants/scoping.py and tenants/middleware.py edges a one-line bug could break unnoticed
(issue 14's mutation findings)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import AnonymousUser
from django.db.models import Value
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import include, path
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
        seen["path"] = request.path  # the view gets the request itself
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


def test_tenant_scope_without_a_tenant_says_so():
    from tenants.scoping import tenant_scope

    with pytest.raises(ScopeError) as refused:
        tenant_scope(None)
    assert str(refused.value) == "tenant_scope() needs a tenant, not None."


def test_a_template_response_is_rendered_inside_the_tenants_scope(tenant, owner):
    """TemplateResponse renders lazily: the middleware renders it while the scope is active,
    so a lazy queryset in the context is evaluated with the tenant filter."""
    from django.template import engines
    from django.template.response import TemplateResponse

    from tenants.testing import make_invitation

    make_invitation(tenant, email="lazy@alba.example")
    template = engines["django"].from_string("{% for i in items %}{{ i.email }}{% endfor %}")

    def view(request):
        return TemplateResponse(request, template, {"items": Invitation.objects.all()})

    request = RequestFactory().get(f"/t/{tenant.slug}/")
    request.user = owner
    response = TenantScopeMiddleware(view)(request)
    assert response.is_rendered
    assert response.content.decode() == "lazy@alba.example"


def _portal_request(tenant, user, query: str = ""):
    request = RequestFactory().get(f"/t/{tenant.slug}/{query}")
    request.user = user
    return request


def test_the_portal_request_carries_the_users_restaurants_by_name_and_the_local_time_zone(
    tenant, owner
):
    from django.utils import timezone

    from tenants.testing import make_tenant

    for name in ("Zucca", "Aglio", "Aglio"):
        Membership.objects.create(tenant=make_tenant(name), user=owner, role="staff")
    seen = {}

    def view(request):
        seen["names"] = [t.name for t in request.user_tenants]
        seen["ids"] = [t.pk for t in request.user_tenants]
        seen["zone"] = timezone.get_current_timezone_name()
        seen["tenant"], seen["membership"] = request.tenant, request.membership
        return HttpResponse("ok")

    TenantScopeMiddleware(view)(_portal_request(tenant, owner))
    assert seen["names"] == ["Aglio", "Aglio", "Trattoria Alba", "Zucca"]
    assert seen["ids"][0] < seen["ids"][1]  # same name: the older restaurant first
    assert seen["zone"] == tenant.timezone == "Europe/Rome"
    assert seen["tenant"] == tenant and seen["membership"].user == owner
    assert timezone.get_current_timezone_name() == "UTC"  # only while the view runs


def test_a_restaurant_the_user_is_not_in_is_a_404_that_says_so(tenant, outsider):
    from django.http import Http404

    with pytest.raises(Http404, match=r"^No such restaurant\.$"):
        TenantScopeMiddleware(lambda request: HttpResponse("leak"))(
            _portal_request(tenant, outsider)
        )


def test_an_anonymous_visitor_is_sent_to_log_in_with_the_whole_address(tenant):
    response = TenantScopeMiddleware(lambda request: HttpResponse("leak"))(
        _portal_request(tenant, AnonymousUser(), "?page=2")
    )
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/t/{tenant.slug}/%3Fpage%3D2"


# Another admin site (namespace "ops") and a non-admin app mounted under the "admin" namespace:
# the middleware treats a URL as the admin's when its app or its namespace is "admin".
ops_site = AdminSite(name="ops")
urlpatterns = [
    path("admin/", admin.site.urls),
    path("ops/", ops_site.urls),
    path(
        "tools/", include(([path("probe/", lambda r: HttpResponse())], "tools"), namespace="admin")
    ),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("path", ["/admin/", "/ops/", "/tools/probe/"])
def test_any_admin_app_or_namespace_is_unscoped_for_active_staff_only(path, db):
    assert _scope_seen_by_the_view(path, make_user(is_staff=True))["_enabled"] is False
    assert _scope_seen_by_the_view(path, make_user()).get("_enabled", True) is True


def test_the_middleware_reads_the_users_restaurants_in_one_query(
    tenant, owner, django_assert_num_queries
):
    from tenants.testing import make_tenant

    for name in ("Zucca", "Aglio"):
        Membership.objects.create(tenant=make_tenant(name), user=owner, role="staff")
    request = _portal_request(tenant, owner)
    with django_assert_num_queries(1):
        TenantScopeMiddleware(lambda r: HttpResponse([t.slug for t in r.user_tenants]))(request)


def test_restaurants_of_the_same_name_are_listed_by_id_whatever_order_they_joined_in(tenant, owner):
    """The switcher's tie-breaker (``tenant_id`` after the name): the memberships are made in
    the opposite order of the restaurants' ids, so the insertion order cannot stand in for it."""
    from tenants.testing import make_tenant

    top = Tenant.objects.order_by("-pk").values_list("pk", flat=True).first()
    ids = [top + 1000 - n for n in range(5)]  # descending
    for pk in ids:
        Membership.objects.create(tenant=make_tenant("Aglio", pk=pk), user=owner, role="staff")
    seen = []

    def view(request):
        seen.extend(t.pk for t in request.user_tenants)
        return HttpResponse()

    TenantScopeMiddleware(view)(_portal_request(tenant, owner))
    assert seen == [*sorted(ids), tenant.pk]  # "Aglio" × 5, then "Trattoria Alba"


def test_current_tenant_is_the_active_scopes_restaurant_and_refuses_outside_one(tenant):
    from tenants.scoping import current_tenant, scopes_disabled, tenant_scope

    with tenant_scope(tenant):
        assert current_tenant() is tenant
        with scopes_disabled(), pytest.raises(ScopeError):
            current_tenant()  # unscoped code has no restaurant to give
    with pytest.raises(ScopeError):
        current_tenant()


def test_a_tenant_task_runs_in_its_restaurants_scope_and_refuses_an_unknown_one(
    tenant, other_tenant
):
    from celery import current_app

    from tenants.scoping import current_tenant
    from tenants.tasks import TenantTask

    class Probe(TenantTask):  # not registered with the app: called directly
        name = "tenants.tests.probe"

        def run(self, *, tenant_id: int) -> int:
            return current_tenant().pk

    Probe.bind(current_app)
    probe = Probe()
    assert probe(tenant_id=other_tenant.pk) == other_tenant.pk
    assert probe(tenant_id=str(tenant.pk)) == tenant.pk  # an id as JSON text carries it
    with pytest.raises(Tenant.DoesNotExist):
        probe(tenant_id=other_tenant.pk + 1000)
    with pytest.raises(TypeError):
        probe()
