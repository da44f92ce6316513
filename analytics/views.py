"""The analytics dashboard and its CSV export (docs/analytics.md). Views parse the period and
filter, call the selector, render."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
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


# The page's content is cached under its inputs (docs/analytics.md, "Dashboard cache"); the
# timeout only bounds how long an entry nobody asks for again keeps its memory.
CACHE_SECONDS = 6 * 3600
# Code that shapes the page is part of the key, so a deploy never serves an older page.
_CODE = hashlib.sha256(
    b"".join(
        Path(path).read_bytes()
        for path in (
            selectors.__file__,
            __file__,
            settings.BASE_DIR / "templates" / "analytics" / "_dashboard.html",
        )
    )
).hexdigest()[:16]


@require_GET
def dashboard(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = _form(request)
    tenant = request.tenant
    now = timezone.now()
    period, scope = form.period_in(tenant.tzinfo), form.scope()
    key = _cache_key(request, period=period, scope=scope, now=now)
    cached = cache.get(key)
    if cached is None:
        data = selectors.dashboard(tenant=tenant, period=period, scope=scope, now=now)
        context = {
            "form": form,
            "data": data,
            "chart_data": data.chart_data,
            "has_accounts": bool(form.fields["show"].choices[3:]),  # type: ignore[attr-defined]
            "query": request.GET.urlencode(),
            "best_time_min": settings.ANALYTICS_BEST_TIME_MIN_POSTS,
        }
        body = render_to_string("analytics/_dashboard.html", context, request)
        # The page around the content needs one fact of the data: whether to load the charts.
        # Keeping only that (not the data, a few hundred objects) makes a cached visit cheap.
        cached = (data.has_any_post, body)
        cache.set(key, cached, CACHE_SECONDS)
    has_any_post, body = cached
    context = {"form": form, "has_any_post": has_any_post, "body": body}
    return render(request, "analytics/dashboard.html", context)


def _cache_key(
    request: TenantRequest, *, period: selectors.Period, scope: selectors.Scope, now: datetime
) -> str:
    """Everything the content is made of: the restaurant (its slug and zone are in the page),
    the query as typed (the form shows it back, errors included), the period and filter it
    means, the setting the page reads, the code, and the data's version."""
    tenant = request.tenant
    inputs = [
        tenant.pk,
        tenant.slug,
        tenant.timezone,
        sorted(request.GET.lists()),
        period.start,
        period.end,
        scope,
        settings.ANALYTICS_BEST_TIME_MIN_POSTS,
        _CODE,
        selectors.dashboard_version(tenant=tenant, now=now),
    ]
    digest = hashlib.sha256(repr(inputs).encode()).hexdigest()
    return f"analytics:dashboard:{tenant.pk}:{digest}"


@require_GET
def export(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = _form(request)
    period = form.period_in(request.tenant.tzinfo)
    rows = selectors.export_rows(tenant=request.tenant, period=period, scope=form.scope())
    name = f"{request.tenant.slug}-posts-{period.start}-{period.end}.csv"
    return csv_export.csv_response(rows, filename=name)
