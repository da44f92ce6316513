"""The analytics dashboard and its CSV export (docs/analytics.md). Views parse the period and
filter, call the selector, render."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from analytics import export as csv_export
from analytics import selectors
from analytics.forms import PeriodForm
from tenants.http import TenantRequest


def _form(request: TenantRequest) -> PeriodForm:
    today = timezone.now().astimezone(request.tenant.tzinfo).date()
    accounts = selectors.accounts(tenant=request.tenant)
    return PeriodForm(request.GET or None, accounts=accounts, today=today)


@require_GET
def dashboard(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = _form(request)
    tz = request.tenant.tzinfo
    data = selectors.dashboard(
        tenant=request.tenant, period=form.period_in(tz), scope=form.scope(), now=timezone.now()
    )
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "data": data,
            "chart_data": data.chart_data,
            "has_accounts": bool(form.fields["show"].choices[3:]),  # type: ignore[attr-defined]
            "query": request.GET.urlencode(),
            "best_time_min": settings.ANALYTICS_BEST_TIME_MIN_POSTS,
        },
    )


@require_GET
def export(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = _form(request)
    period = form.period_in(request.tenant.tzinfo)
    rows = selectors.export_rows(tenant=request.tenant, period=period, scope=form.scope())
    name = f"{request.tenant.slug}-posts-{period.start}-{period.end}.csv"
    return csv_export.csv_response(rows, filename=name)
