"""``{% posting_dashboard %}``: the home page's posting block (next posts, what needs the owner,
a nudge when nothing is planned). A template tag so the tenants app, which sits below posting,
shows it without importing it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone

from posting import selectors

register = template.Library()
NUDGE_DAYS = 7


@register.inclusion_tag("posting/_dashboard.html", takes_context=True)
def posting_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    tenant = context["tenant"]
    upcoming = selectors.upcoming_posts(tenant=tenant)
    soon = timezone.now() + timedelta(days=NUDGE_DAYS)
    return {
        "tenant": tenant,
        "upcoming": upcoming,
        "attention": selectors.failed_publications(tenant=tenant),
        "nothing_soon": not any(p.scheduled_at and p.scheduled_at <= soon for p in upcoming),
        "nudge_days": NUDGE_DAYS,
    }
