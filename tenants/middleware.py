"""Runs every portal request inside its tenant's scope (design invariant 1; pretix's
PermissionMiddleware is the model).

- ``/t/<tenant_slug>/…``: anonymous → login redirect; not a member → 404 (existence is not
  revealed); member → ``request.tenant`` and ``request.membership`` are set and the view, template
  rendering included, runs inside ``scope(tenant=…)`` and with the restaurant's time zone active,
  so every time a template shows is on the restaurant's clock (design invariant 4).
- ``/admin/…`` for active staff users: unscoped, so agency operators see every tenant.
- Everything else runs with no scope, so a tenant-owned query there raises instead of leaking.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from tenants.scoping import scopes_disabled, tenant_scope

if TYPE_CHECKING:
    from tenants.http import TenantRequest


class TenantScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)

        if match.app_name == "admin" or match.namespace == "admin":
            if request.user.is_active and request.user.is_staff:
                with scopes_disabled():
                    return self._respond(request)
            return self.get_response(request)

        slug = match.kwargs.get("tenant_slug")
        if slug is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())

        from tenants.selectors import memberships_of

        # One query for this restaurant's membership and the switcher's list of restaurants.
        memberships = memberships_of(user=request.user)
        membership = next((m for m in memberships if m.tenant.slug == slug), None)
        if membership is None:
            raise Http404("No such restaurant.")
        portal = cast("TenantRequest", request)
        portal.tenant = membership.tenant
        portal.membership = membership
        portal.user_tenants = [m.tenant for m in memberships]
        with tenant_scope(membership.tenant), timezone.override(membership.tenant.tzinfo):
            return self._respond(request)

    def _respond(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # TemplateResponse renders lazily; render now, inside the scope.
        if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
            response.render()
        return response
