"""The request type of portal views, for type checking (docs/conventions.md, "Type checking").

`tenants.middleware.TenantScopeMiddleware` sets ``request.tenant`` and ``request.membership`` on
every ``/t/<tenant_slug>/…`` request before the view runs, and only lets members (so logged-in
users) through. Portal views annotate ``request: TenantRequest`` to say so."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

from tenants.models import Membership, Tenant


class TenantRequest(HttpRequest):
    tenant: Tenant
    membership: Membership
    user_tenants: list[Tenant]  # the switcher's list: every restaurant this user belongs to
    user: User  # a member is always a logged-in user
