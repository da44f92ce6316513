"""`{% load analytics %}`: per-post figures for the post page, and number formats for the
dashboard (docs/analytics.md)."""

from __future__ import annotations

from typing import Any

from django import template

from analytics import selectors

register = template.Library()


@register.inclusion_tag("analytics/_post_figures.html")
def post_figures(post: Any) -> dict[str, Any]:
    """The latest figures of each publication of ``post`` and their growth over the points.
    Drop ``{% load analytics %}{% post_figures post %}`` into a post page."""
    return {"rows": selectors.post_figures(post=post)}


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.0423 → "4.2 %"; None → "not available yet"."""
    if value is None:
        return "not available yet"
    return f"{value * 100:.{digits}f} %"


@register.filter
def figure(value: int | float | None) -> str:
    """A count with thousands separators; None → "not available yet" (never 0)."""
    if value is None:
        return "not available yet"
    return f"{round(value):,}"


@register.filter
def change_words(value: float | None) -> str:
    """+0.12 → "up 12 %"; None → "no earlier figures to compare"."""
    if value is None:
        return "no earlier figures to compare"
    if abs(value) < 0.005:
        return "unchanged"
    return f"{'up' if value > 0 else 'down'} {abs(value) * 100:.0f} %"


@register.filter
def change_class(value: float | None) -> str:
    if value is None or abs(value) < 0.005:
        return "flat"
    return "up" if value > 0 else "down"
