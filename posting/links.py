"""The posting pages' links within a restaurant, reversed once per process for each restaurant
(and URL configuration), as `{% tenant_nav %}` and the dashboard's are: they depend on nothing
else, and each ``{% url %}`` or ``reverse`` costs tens of µs, a dozen on a page
(docs/performance.md, "Pages")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.urls import reverse

from lib.urls import per_restaurant, reverse_many

# The pages the posting templates link to, by the short name a template reads them by
# (``links.history``, ``links.month``…).
_PAGES = {
    "history": "posting:history",
    "new": "posting:new",
    "drafts": "posting:drafts",
    "preview": "posting:preview",
    "suggestions": "posting:suggestions",
    "month": "calendar:month",
    "move": "calendar:move",
    "accounts": "social:accounts",
    "upload": "assets:upload",
    "picker": "assets:picker",
}


@dataclass(frozen=True)
class Links:
    pages: Mapping[str, str]  # by short name (`_PAGES`)
    detail: Callable[[int], str]  # a post's page, by its id
    edit: Callable[[int], str]  # editing a post, by its id
    cancel: Callable[[int], str]  # cancelling a whole post, by its id
    thumb: Callable[[int], str]  # a photo's thumbnail, by its id
    # A publication's actions, by its id.
    retry: Callable[[int], str]
    publish_now: Callable[[int], str]
    cancel_publication: Callable[[int], str]


@per_restaurant
def of_restaurant(slug: str) -> Links:
    """The links of the restaurant whose web address is ``slug``."""
    kwargs = {"tenant_slug": slug}

    def by_id(name: str, vary: str, **more: str) -> Callable[[int], str]:
        return reverse_many(name, vary=vary, kwargs={**kwargs, **more})

    def action(name: str) -> Callable[[int], str]:
        return by_id("posting:publication_action", "publication_id", action=name)

    pages = {short: reverse(name, kwargs=kwargs) for short, name in _PAGES.items()}
    return Links(
        pages=MappingProxyType(pages),
        detail=by_id("posting:detail", "post_id"),
        edit=by_id("posting:edit", "post_id"),
        cancel=by_id("posting:cancel", "post_id"),
        thumb=by_id("assets:asset_file", "asset_id", kind="thumb"),
        retry=action("retry"),
        publish_now=action("publish-now"),
        cancel_publication=action("cancel"),
    )
