"""``{% tenant_nav %}``: the portal's main navigation (templates/tenants/_nav.html).

Its nine links depend only on the restaurant, the page's app and URL name (and the URL
configuration), so each combination is rendered once per process and kept: every portal page
shows it, and its nine ``{% url %}`` reversals were a tenth of the layout's time
(docs/performance.md)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@lru_cache(maxsize=1024)
def _nav(slug: str, app: str, here: str, prefix: str, urlconf: str) -> SafeString:
    context = {"s": slug, "app": app, "here": here}
    return mark_safe(render_to_string("tenants/_nav.html", context))  # noqa: S308 - a template's output


@register.simple_tag(takes_context=True)
def tenant_nav(context: dict[str, Any]) -> SafeString:
    match = getattr(context.get("request"), "resolver_match", None)
    return _nav(
        context["tenant"].slug,
        getattr(match, "app_name", "") or "",
        getattr(match, "url_name", "") or "",
        get_script_prefix(),
        str(get_urlconf() or settings.ROOT_URLCONF),
    )
