"""``{% posting_dashboard %}``: the home page's posting block (next posts, what needs the owner,
a nudge when nothing is planned). A template tag so the tenants app, which sits below posting,
shows it without importing it. ``{% net_icon network size %}``: the Facebook or Instagram mark.
``{% publication_line p back %}``: one publication's line in a list, ``{% post_rows posts %}``:
the posts list's rows (both posting/publication_html.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from posting import links, selectors

register = template.Library()
NUDGE_DAYS = 7

# The marks are drawn once per page, as symbols in base.html's sprite (`#net-facebook`,
# `#net-instagram`); each icon refers to its symbol. A calendar month shows a few hundred, and
# the whole drawing in each was two thirds of the page's bytes (docs/performance.md, "Pages").
_ICON = (
    '<svg class="net net-{network}" width="{size}" height="{size}" role="img" '
    'aria-label="{label}" focusable="false"><use href="#net-{network}"></use></svg>'
)
_LABELS = {"facebook": "Facebook", "instagram": "Instagram"}


@register.simple_tag
def net_icon(network: str, size: int = 16) -> SafeString:
    """The network's mark (Facebook's for "facebook", Instagram's otherwise). A tag rather than
    an included template: a calendar month shows a few hundred (docs/performance.md)."""
    network = "facebook" if network == "facebook" else "instagram"
    markup = _ICON.format(network=network, label=_LABELS[network], size=int(size or 16))
    return mark_safe(markup)  # noqa: S308 (constant markup, an int)


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

    line = publication_html.line(p, back=back, **_line_parts(context))
    return mark_safe(line)  # noqa: S308 - escaped there


@register.simple_tag(takes_context=True)
def post_rows(context: template.Context, posts: list[Any]) -> SafeString:
    """The posts list's rows (posting/publication_html.py, `post_row`), each post as
    `posting.views.history` prepares it."""
    from posting import publication_html

    parts = _line_parts(context)
    rows = "".join(publication_html.post_row(post, **parts) for post in posts)
    return mark_safe(rows)  # noqa: S308 - escaped there


def _line_parts(context: template.Context) -> dict[str, Any]:
    """What every publication line of a page shares, worked out once per page."""
    from posting import publication_html

    shared: dict[str, Any] | None = context.render_context.get("publication_line")
    if shared is None:
        tenant = context["tenant"]
        shared = {
            "csrf_field": format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                context.get("csrf_token", ""),
            ),
            "reconnect_url": links.of_restaurant(tenant.slug).pages["accounts"],
            "zone": str(tenant.timezone),
            "urls": publication_html.ActionUrls.for_restaurant(tenant.slug),
        }
        context.render_context["publication_line"] = shared
    return shared
