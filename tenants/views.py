from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from tenants.models import Membership
from tenants.scoping import scopes_disabled


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to their (first) restaurant."""
    with scopes_disabled():
        membership = Membership.objects.filter(user=request.user).select_related("tenant").first()
    if membership is None:
        return TemplateResponse(request, "tenants/no_tenant.html")
    return redirect("tenants:dashboard", tenant_slug=membership.tenant.slug)


def dashboard(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return TemplateResponse(request, "tenants/dashboard.html")


def placeholder(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return TemplateResponse(request, "tenants/placeholder.html")
