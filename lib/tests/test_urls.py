"""lib.urls.reverse_many gives what reverse() gives, id after id."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from lib.urls import _MARKER, reverse_many


@pytest.mark.parametrize("slug", ["alba", f"x{_MARKER}"], ids=["plain", "marker-in-slug"])
def test_reverse_many_matches_reverse(slug):
    detail = reverse_many("assets:asset_detail", vary="asset_id", kwargs={"tenant_slug": slug})
    for asset_id in (1, 42, 10**12):
        kwargs = {"tenant_slug": slug, "asset_id": asset_id}
        assert detail(asset_id) == reverse("assets:asset_detail", kwargs=kwargs)


def test_reverse_many_with_uuid_arguments():
    conversation = uuid.uuid4()
    kwargs = {"tenant_slug": "alba", "conversation_id": conversation}
    reply = reverse_many("webhooks:comment_reply", vary="message_id", kwargs=kwargs)
    thread = reverse_many("webhooks:thread", vary="conversation_id", kwargs={"tenant_slug": "a"})
    for message in (uuid.uuid4(), uuid.UUID(int=0), str(uuid.uuid4())):
        expected = reverse("webhooks:comment_reply", kwargs={**kwargs, "message_id": message})
        assert reply(message) == expected
        assert thread(message) == reverse(
            "webhooks:thread", kwargs={"tenant_slug": "a", "conversation_id": message}
        )


def test_per_restaurant_builds_a_restaurants_links_once_per_prefix():
    from django.urls import reverse, set_script_prefix

    from assets import links
    from lib.urls import per_restaurant

    built: list[str] = []

    @per_restaurant
    def library(slug: str) -> str:
        built.append(slug)
        return reverse("assets:library", kwargs={"tenant_slug": slug})

    assert library("alba") == "/t/alba/library/" == library("alba")
    assert library("bruno") == reverse("assets:library", kwargs={"tenant_slug": "bruno"})
    assert built == ["alba", "bruno"]
    set_script_prefix("/under/")  # an app served below a path has its own links
    try:
        assert library("alba") == "/under/t/alba/library/"
        assert links.of_restaurant("alba").bulk == "/under/t/alba/library/bulk/"
    finally:
        set_script_prefix("/")
    urls = links.of_restaurant("alba")
    kwargs = {"tenant_slug": "alba"}
    for name in ("library", "folder_create", "upload", "bulk"):
        assert getattr(urls, name) == reverse(f"assets:{name}", kwargs=kwargs)
    assert urls.detail(7) == reverse("assets:asset_detail", kwargs={**kwargs, "asset_id": 7})
    assert urls.thumb(9) == reverse(
        "assets:asset_file", kwargs={**kwargs, "asset_id": 9, "kind": "thumb"}
    )
