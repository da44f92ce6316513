"""The library grid's tiles, drawn in Python: the markup of one photo's card lives here.

A page has 48 tiles of a dozen values each; through the template engine every value costs a
variable lookup, a localisation check and an escape, and a tile cost as much as the rest of
the page (docs/performance.md). Here a tile is one f-string: every value is escaped with
`html.escape` (what Django's ``escape`` does; `lib.display.escape` skips it for a text with
nothing to escape) and numbers are plain ``int``.

- `tile`: the whole card (tick box, picture part, caption link, tags), for the grid and for
  the upload answer that adds a card without a page load.
- `picker_tiles`: the asset picker's cards.
- `tile_media`: the picture part alone. While the photo is being prepared it polls
  ``views.asset_tile``, which answers this same part: only it is swapped, so the tick box,
  the caption and the focus stay put, and assets.js announces "ready" in ``#library-status``.

The photos are `TileRow`s or `Asset`s with the attributes `selectors.with_tile_links` sets
(``detail_url``, ``thumb_url``, ``tag_names``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from assets.models import Asset
from lib.display import escape as escaped


@dataclass(slots=True)
class TileRow:
    """A photo as its tile shows it, read as plain values (`selectors.AssetMatches`): 48 model
    instances cost more than the grid's query (docs/performance.md, "Pages"). The last three
    are set by `selectors.with_tile_links`, as on an `Asset`."""

    pk: int
    title: str
    status: str
    folder_id: int | None
    thumb_id: int | None  # the thumbnail rendition's id, None until there is one
    detail_url: str = ""
    thumb_url: str = ""
    tag_names: list[str] = field(default_factory=list)


# What a tile reads of a photo, in `TileRow`'s order: the grid's query selects only these.
FIELDS = ("pk", "title", "status", "folder_id", "thumb_id")
Tileable = Asset | TileRow


def tile_media(asset: Tileable, *, tenant_slug: str) -> SafeString:
    """The picture part of a tile: the thumbnail, "could not prepare", or a placeholder that
    polls until the photo is ready."""
    title = escaped(asset.title or "Untitled")
    return mark_safe(_media(asset, title, tenant_slug))  # noqa: S308 - `_media` escapes


def _media(asset: Tileable, title: str, tenant_slug: str) -> str:
    """`tile_media`'s markup, with the title already escaped."""
    if asset.status == Asset.Status.READY:
        return (
            f'<div class="tile-media" data-state="ready" data-title="{title}">'
            f'<img src="{escaped(asset.thumb_url)}" alt="" loading="lazy" class="tile-img"></div>'
        )
    if asset.status == Asset.Status.FAILED:
        return (
            '<div class="tile-media tile-placeholder tile-failed" data-state="failed" '
            f'data-title="{title}">Could not prepare this photo</div>'
        )
    poll = reverse(
        "assets:asset_tile", kwargs={"tenant_slug": tenant_slug, "asset_id": int(asset.pk)}
    )
    return (
        '<div class="tile-media tile-placeholder" data-state="processing" '
        f'hx-get="{escaped(poll)}" hx-trigger="every 2s" hx-swap="outerHTML">Preparing…</div>'
    )


def tile(asset: Tileable, *, tenant_slug: str) -> SafeString:
    """One photo's card in the grid. The caption is the card's link (its ::after covers the
    picture too: one tab stop per card); the tick box belongs to the bulk form."""
    return mark_safe(_card(asset, tenant_slug))  # noqa: S308 - `_card` escapes every value


def _card(asset: Tileable, tenant_slug: str) -> str:
    pk = int(asset.pk)
    title = escaped(asset.title or "Untitled")
    pending = "" if asset.status == Asset.Status.READY else " tile-pending"
    folder = "" if asset.folder_id is None else int(asset.folder_id)
    tags = ""
    if asset.tag_names:
        badges = "".join(f'<span class="badge">{escaped(name)}</span> ' for name in asset.tag_names)
        tags = f'<span class="tile-tags">{badges}</span>'
    return (
        f'<article class="tile{pending}" id="asset-{pk}" data-asset-id="{pk}" '
        f'data-folder="{folder}">\n'
        f'  <label class="tile-select"><input type="checkbox" name="assets" value="{pk}" '
        f'form="bulk-form" aria-label="Select {title}"></label>\n'
        f"  {_media(asset, title, tenant_slug)}\n"
        f'  <div class="tile-meta">\n'
        f'    <a class="tile-link" href="{escaped(asset.detail_url)}">{title}</a>\n'
        f"    {tags}\n"
        f"  </div>\n"
        f"</article>"
    )


def picker_tiles(assets: Iterable[Tileable], *, multiple: bool) -> SafeString:
    """The picker's cards: a tick box (a radio button when one photo is asked for) carrying
    the thumbnail's URL for assets.js, the picture and the title. Ready photos only."""
    kind = "checkbox" if multiple else "radio"
    cards = []
    for asset in assets:
        thumb = escaped(asset.thumb_url)
        cards.append(
            f'<label class="tile picker-tile">\n'
            f'        <input type="{kind}" name="picked" value="{int(asset.pk)}" '
            f'data-thumb="{thumb}">\n'
            f'        <img src="{thumb}" alt="{escaped(asset.title or "Photo")}" loading="lazy" '
            f'class="tile-img">\n'
            f'        <span class="tile-title">{escaped(asset.title or "Untitled")}</span>\n'
            f"      </label>"
        )
    return mark_safe("\n      ".join(cards))  # noqa: S308 - every value is escaped


def tiles(assets: Iterable[Tileable], *, tenant_slug: str) -> SafeString:
    """The grid's cards, in order."""
    return mark_safe("".join(_card(asset, tenant_slug) for asset in assets))  # noqa: S308
