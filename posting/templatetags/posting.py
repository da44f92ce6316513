"""``{% posting_dashboard %}``: the home page's posting block (next posts, what needs the owner,
a nudge when nothing is planned). A template tag so the tenants app, which sits below posting,
shows it without importing it. ``{% net_icon network size %}``: the Facebook or Instagram mark.
``{% publication_line p back %}``: one publication's line in a list (posting/publication_html.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from posting import selectors

register = template.Library()
NUDGE_DAYS = 7

_FACEBOOK = (
    '<svg class="net net-facebook" viewBox="0 0 24 24" width="{size}" height="{size}" role="img" '
    'aria-label="Facebook" focusable="false"><circle cx="12" cy="12" r="12" fill="#1877f2"/>'
    '<path fill="#fff" d="M13.4 19v-6.1h2l.3-2.4h-2.3V9c0-.7.2-1.2 1.2-1.2h1.2V5.7c-.2 0-1-.1-1.8'
    '-.1-1.8 0-3 1.1-3 3.1v1.8H9v2.4h2V19h2.4z"/></svg>'
)
_INSTAGRAM = (
    '<svg class="net net-instagram" viewBox="0 0 24 24" width="{size}" height="{size}" role="img" '
    'aria-label="Instagram" focusable="false"><rect width="24" height="24" rx="6" fill="#d62976"/>'
    '<rect x="5" y="5" width="14" height="14" rx="4" fill="none" stroke="#fff" '
    'stroke-width="1.8"/><circle cx="12" cy="12" r="3.2" fill="none" stroke="#fff" '
    'stroke-width="1.8"/><circle cx="16.3" cy="7.7" r="1" fill="#fff"/></svg>'
)


@register.simple_tag
def net_icon(network: str, size: int = 16) -> SafeString:
    """The network's mark (Facebook's for "facebook", Instagram's otherwise). A tag rather than
    an included template: a calendar month shows a few hundred (docs/performance.md)."""
    icon = _FACEBOOK if network == "facebook" else _INSTAGRAM
    return mark_safe(icon.format(size=int(size or 16)))  # noqa: S308 (constant markup, an int)


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


@register.simple_tag(takes_context=True)
def publication_line(context: template.Context, p: Any, back: str) -> SafeString:
    """``back``: where the line's actions return to ("history" or "detail"). Needs ``tenant``
    in the context; what every line shares is worked out once per page."""
    from posting import publication_html

    shared: dict[str, Any] | None = context.render_context.get("publication_line")
    if shared is None:  # once per page
        tenant = context["tenant"]
        shared = {
            "csrf_field": format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                context.get("csrf_token", ""),
            ),
            "reconnect_url": reverse("social:accounts", kwargs={"tenant_slug": tenant.slug}),
            "zone": str(tenant.timezone),
            "urls": publication_html.ActionUrls.for_restaurant(tenant.slug),
        }
        context.render_context["publication_line"] = shared
    return mark_safe(publication_html.line(p, back=back, **shared))  # noqa: S308 - escaped there
