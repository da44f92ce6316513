"""The library's links within a restaurant, reversed once per process for each restaurant
(`lib.urls.per_restaurant`; docs/performance.md, "Pages")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from lib.urls import per_restaurant, reverse_many


@dataclass(frozen=True)
class Links:
    library: str
    folder_create: str
    upload: str
    bulk: str
    detail: Callable[[int], str]  # a photo's page, by its id
    thumb: Callable[[int], str]  # a photo's thumbnail file, by its id


@per_restaurant
def of_restaurant(slug: str) -> Links:
    """The links of the restaurant whose web address is ``slug``."""
    kwargs = {"tenant_slug": slug}
    return Links(
        library=reverse("assets:library", kwargs=kwargs),
        folder_create=reverse("assets:folder_create", kwargs=kwargs),
        upload=reverse("assets:upload", kwargs=kwargs),
        bulk=reverse("assets:bulk", kwargs=kwargs),
        detail=reverse_many("assets:asset_detail", vary="asset_id", kwargs=kwargs),
        thumb=reverse_many(
            "assets:asset_file", vary="asset_id", kwargs={**kwargs, "kind": "thumb"}
        ),
    )
