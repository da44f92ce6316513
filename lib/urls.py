"""URL helpers for pages that list many links to the same view (docs/performance.md)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# An id no real URL part holds; `reverse_many` checks it occurs exactly once.
_MARKER = 7_346_251_908_413
_UUID_MARKER = uuid.UUID(int=_MARKER)


def reverse_many(
    viewname: str, *, vary: str, kwargs: dict[str, Any], current_app: str | None = None
) -> Callable[[Any], str]:
    """``reverse()`` once for links that differ only in the argument ``vary`` (an integer or a
    UUID); returns id → URL. A grid of 48 photos needs 96 links, and each ``{% url %}`` costs
    tens of µs."""
    clean: Callable[[Any], Any]
    marker: Any
    try:
        marker, clean = _MARKER, int
        url = reverse(viewname, kwargs={**kwargs, vary: marker}, current_app=current_app)
    except NoReverseMatch:  # a <uuid:…> argument
        marker, clean = _UUID_MARKER, _uuid
        url = reverse(viewname, kwargs={**kwargs, vary: marker}, current_app=current_app)
    parts = url.split(str(marker))
    if len(parts) != 2:  # the marker is also in another argument: reverse each time
        return lambda value: reverse(
            viewname, kwargs={**kwargs, vary: clean(value)}, current_app=current_app
        )
    head, tail = parts
    return lambda value: f"{head}{clean(value)}{tail}"


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


_T = TypeVar("_T")


def per_restaurant(build: Callable[[str], _T]) -> Callable[[str], _T]:
    """``build(slug)`` (a restaurant's links) made once per process for each restaurant, URL
    prefix and URL configuration (reverse reads those two itself): a page's dozen ``reverse``
    or ``{% url %}`` cost tens of µs each, every request (docs/performance.md, "Pages")."""

    @lru_cache(maxsize=1024)
    def cached(slug: str, prefix: str, urlconf: str) -> _T:
        return build(slug)

    @wraps(build)
    def links(slug: str) -> _T:
        return cached(slug, get_script_prefix(), str(get_urlconf() or settings.ROOT_URLCONF))

    links.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return links
