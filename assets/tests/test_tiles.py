"""The grid's cards drawn in Python (assets/tiles.py): every value escaped, the three states of
the picture part, and the page's cards in the grid."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assets import tiles
from assets.models import Asset
from assets.tests import markup
from assets.tests.factories import make_asset
from tenants.scoping import scopes_disabled


def _asset(status: str = "ready", **kwargs) -> Asset:
    asset = Asset(pk=7, title=kwargs.pop("title", "Tiramisu"), status=status, folder_id=3)
    asset.detail_url = "/t/x/library/a/7/"
    asset.thumb_url = "/t/x/library/a/7/file/thumb/?v=9&w=1"
    asset.tag_names = kwargs.pop("tag_names", ["dessert"])
    return asset


def test_a_ready_card_has_its_tick_box_picture_link_and_tags():
    elements = markup.parse(tiles.tile(_asset(), tenant_slug="x"))
    card = elements[0]
    assert (card.tag, card.get("id"), card.get("class")) == ("article", "asset-7", "tile")
    assert card.get("data-asset-id") == "7" and card.get("data-folder") == "3"
    tick = next(e for e in elements if e.tag == "input")
    assert tick.get("value") == "7" and tick.get("form") == "bulk-form"
    assert tick.get("aria-label") == "Select Tiramisu"
    img = next(e for e in elements if e.tag == "img")
    assert img.get("src") == "/t/x/library/a/7/file/thumb/?v=9&w=1" and img.get("alt") == ""
    link = next(e for e in elements if e.tag == "a")
    assert link.get("href") == "/t/x/library/a/7/" and markup.text_of(link) == "Tiramisu"
    assert [markup.text_of(e) for e in elements if e.get("class") == "badge"] == ["dessert"]


def test_every_value_is_escaped():
    evil = '"><script>alert(1)</script>'
    html = tiles.tile(_asset(title=evil, tag_names=[evil]), tenant_slug="x")
    assert "<script>" not in html and html.count("&lt;script&gt;") == 4
    assert "&quot;&gt;" in html and "&amp;w=1" in html


def test_an_untitled_card_without_tags_or_folder():
    asset = _asset(title="", tag_names=[])
    asset.folder_id = None
    elements = markup.parse(tiles.tile(asset, tenant_slug="x"))
    assert elements[0].get("data-folder") == ""
    assert markup.text_of(next(e for e in elements if e.tag == "a")) == "Untitled"
    assert not [e for e in elements if e.get("class") in ("tile-tags", "badge")]


@pytest.mark.parametrize(
    ("status", "state", "pending"),
    [("ready", "ready", False), ("failed", "failed", True), ("processing", "processing", True)],
)
def test_the_picture_part_in_each_state(status, state, pending):
    card = markup.parse(tiles.tile(_asset(status), tenant_slug="bistro"))
    assert ("tile-pending" in card[0].get("class")) is pending
    media = markup.parse(tiles.tile_media(_asset(status), tenant_slug="bistro"))
    assert media[0].get("data-state") == state
    polls = media[0].get("hx-get")
    if status == "processing":
        url = reverse("assets:asset_tile", kwargs={"tenant_slug": "bistro", "asset_id": 7})
        assert polls == url and media[0].get("hx-trigger") == "every 2s"
    else:
        assert not polls and media[0].get("data-title") == "Tiramisu"


def test_the_library_grid_shows_the_pages_cards_in_order(owner_client, tenant):
    first, second = make_asset(tenant, title="First"), make_asset(tenant, title="Second")
    with scopes_disabled():
        Asset.objects.filter(pk=first.pk).update(status="failed")
    url = reverse("assets:library", kwargs={"tenant_slug": tenant.slug})
    elements = markup.parse(owner_client.get(url).content.decode())
    cards = [e for e in elements if e.tag == "article"]
    assert [c.get("id") for c in cards] == [f"asset-{second.pk}", f"asset-{first.pk}"]
    assert [c.get("class") for c in cards] == ["tile", "tile tile-pending"]
