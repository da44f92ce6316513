"""The grid's reads (assets.selectors.AssetMatches, with_tile_links): the statements compiled once
per shape of filter give what `asset_list`'s queryset gives, for every shape, and never another
restaurant's photos or tags."""

from __future__ import annotations

import html
import itertools
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from analytics.models import AssetScore
from assets import selectors, tiles, views
from assets.models import Asset, AssetTag, Folder, Rendition, Tag
from assets.selectors import SORTS, AssetFilters, AssetMatches
from tenants.scoping import scopes_disabled, tenant_scope

PHOTOS = 60  # more than a page of the grid (48) and of the picker (24)
WORDS = ["terrace", "lemon tart", "zzz"]


def _library(tenant) -> dict:
    """``PHOTOS`` photos in every state, shape, folder and use, some tagged, some scored."""
    now = timezone.now()
    with scopes_disabled():
        top = Folder.objects.create(tenant=tenant, name="Grid dishes")
        inner = Folder.objects.create(tenant=tenant, name="Grid desserts", parent=top)
        tags = [Tag.objects.create(tenant=tenant, name=name) for name in ("wine", "brunch", "<b>")]
        shapes = [(40, 30), (30, 40), (30, 30)]
        assets = Asset.objects.bulk_create(
            [
                Asset(
                    tenant=tenant,
                    folder=[top, inner, None][i % 3],
                    title=["Lemon tart", "Terrace", "", '<i>"&'][i % 4] + f" {i}",
                    search_text=["lemon tart", "terrace at noon", "", "fish"][i % 4] + f" {i}",
                    key=f"{tenant.pk}/grid-{i}.jpg",
                    content_type="image/jpeg",
                    source_format="JPEG",
                    width=shapes[i % 3][0],
                    height=shapes[i % 3][1],
                    bytes=1000,
                    upload_bytes=1000,
                    sha256=f"{tenant.pk:08x}{i:056x}",
                    status=["ready", "ready", "processing", "failed", "ready"][i % 5],
                    times_used=i % 4 // 2,
                    last_used_at=now - timedelta(hours=i % 7) if i % 4 // 2 else None,
                    last_posted_at=now - timedelta(days=i % 5) if i % 3 else None,
                )
                for i in range(PHOTOS)
            ]
        )
        Asset.objects.filter(pk__in=[a.pk for a in assets]).update(created_at=now)
        for n, asset in enumerate(assets[::4]):  # the same time: the order falls back to id
            Asset.objects.filter(pk=asset.pk).update(created_at=now - timedelta(minutes=n))
        thumb = {"kind": "thumb", "width": 40, "height": 30, "bytes": 100}
        Rendition.objects.bulk_create(
            Rendition(tenant=tenant, asset=a, key=f"{tenant.pk}/grid-{a.pk}.jpg", **thumb)
            for a in assets
            if a.status == "ready"
        )
        AssetTag.objects.bulk_create(
            AssetTag(tenant=tenant, asset=asset, tag=tag)
            for i, asset in enumerate(assets)
            for tag in tags[: i % 4]
        )
        AssetScore.objects.bulk_create(
            AssetScore(
                tenant=tenant, asset=asset, score=(i % 6) / 5, engagement_per_post=1, posts=1
            )
            for i, asset in enumerate(assets)
            if i % 2
        )
    return {"folder": inner, "tag": tags[1], "ids": [a.pk for a in assets]}


@pytest.fixture
def libraries(tenant, other_tenant):
    return {tenant: _library(tenant), other_tenant: _library(other_tenant)}


def _every_filter(library: dict):
    """A filter of each shape (`selectors._Shape`), the orders and search words taken in turn."""
    search = connection.vendor == "postgresql"  # on SQLite a search is not a statement
    shapes = itertools.product(
        ("", "folder", "none"),
        (False, True),
        ("", "portrait", "landscape", "square"),
        ("", "used", "unused"),
        (False, True) if search else (False,),
    )
    for n, (folder, tag, orientation, used, searched) in enumerate(shapes):
        yield AssetFilters(
            q=WORDS[n % len(WORDS)] if searched else "",
            folder=library["folder"] if folder == "folder" else None,
            unfiled=folder == "none",
            tag=library["tag"] if tag else None,
            orientation=orientation,
            used=used,
            sort=list(SORTS)[n // 2 % len(SORTS)],
        )


@pytest.mark.parametrize(
    ("per_page", "ready_only"), [(views.PAGE_SIZE, False), (views.PICKER_PAGE_SIZE, True)]
)
def test_every_shapes_count_and_first_page_are_the_querysets(
    libraries, per_page, ready_only, monkeypatch
):
    made: dict = {}
    monkeypatch.setattr(selectors, "_STATEMENTS", made)
    monkeypatch.setattr(selectors, "STATEMENTS_MOST", 10_000)
    # Every shape for one restaurant, one in five for the other (the same statements).
    for every, (tenant, library) in zip((1, 5), libraries.items(), strict=True):
        own = set(library["ids"])
        with tenant_scope(tenant):
            for f in itertools.islice(_every_filter(library), 0, None, every):
                qs = selectors.asset_list(tenant=tenant, filters=f, ready_only=ready_only)
                matches = AssetMatches(
                    tenant=tenant, filters=f, per_page=per_page, ready_only=ready_only
                )
                rows = matches[0:per_page]
                assert matches.count() == qs.count(), f
                assert rows == [tiles.TileRow(*r) for r in qs.values_list(*tiles.FIELDS)[:per_page]]
                assert {r.pk for r in rows} <= own, f
            every_photo = AssetMatches(tenant=tenant, filters=AssetFilters(), per_page=PHOTOS)
            assert {r.pk for r in every_photo[0:PHOTOS]} == own  # its own, every one
    shapes = len(list(_every_filter(libraries[tenant])))
    assert len(made) == 2 * shapes + 1  # a count and a first page each: read by statements


def test_past_the_most_statements_a_shape_is_read_by_its_queryset(libraries, monkeypatch):
    monkeypatch.setattr(selectors, "_STATEMENTS", {})
    monkeypatch.setattr(selectors, "STATEMENTS_MOST", 1)
    tenant, library = next(iter(libraries.items()))
    with tenant_scope(tenant):
        for f in (AssetFilters(sort="most_used"), AssetFilters(folder=library["folder"])):
            matches = AssetMatches(tenant=tenant, filters=f, per_page=48)
            qs = selectors.asset_list(tenant=tenant, filters=f)
            assert matches.count() == qs.count()
            assert [r.pk for r in matches[0:48]] == [pk for (pk,) in qs.values_list("pk")[:48]]
    assert len(selectors._STATEMENTS) == 1  # the first count; nothing more


def test_later_pages_follow_the_first_in_the_grids_order(libraries):
    for tenant in libraries:
        with tenant_scope(tenant):
            for sort in SORTS:
                f = AssetFilters(sort=sort)
                matches = AssetMatches(tenant=tenant, filters=f, per_page=24)
                every = list(selectors.asset_list(tenant=tenant, filters=f).values_list("pk"))
                pages = matches[0:24] + matches[24:48] + matches[48:72]
                assert [r.pk for r in pages] == [pk for (pk,) in every]
                assert matches[5] == matches[0:24][5] and matches[30:30] == []
                assert [r.pk for r in matches] == [pk for (pk,) in every]


def test_another_restaurants_folder_or_tag_finds_nothing(libraries, tenant, other_tenant):
    theirs = libraries[other_tenant]
    with tenant_scope(tenant):
        for f in (AssetFilters(folder=theirs["folder"]), AssetFilters(tag=theirs["tag"])):
            matches = AssetMatches(tenant=tenant, filters=f, per_page=48)
            assert matches.count() == 0 and matches[0:48] == []


def test_a_pages_tag_names_are_the_querysets_and_only_this_restaurants(libraries):
    assert views.PAGE_SIZE <= selectors.TILE_TAG_IDS  # a page is read by the statement
    (mine, mine_library), (_, their_library) = libraries.items()
    with tenant_scope(mine):
        ids = mine_library["ids"]
        for n in (1, 7, selectors.TILE_TAG_IDS, selectors.TILE_TAG_IDS + 1, PHOTOS):
            found = selectors._tag_names_of(mine, ids[:n])
            assert found == list(selectors._tile_tags(mine, ids[:n]))
        assert {name for _, name in found} == {"wine", "brunch", "<b>"}
        assert selectors._tag_names_of(mine, their_library["ids"][:10]) == []


def test_a_tile_reads_the_same_from_a_row_and_from_a_photo():
    evil = '"><script>alert(1)</script>&amp;'
    for status, title, folder in [("ready", evil, 3), ("failed", "", None), ("processing", "a", 1)]:
        row = tiles.TileRow(7, title, status, folder, 9)
        asset = Asset(pk=7, title=title, status=status, folder_id=folder)
        for photo in (row, asset):
            photo.detail_url = "/t/x/library/a/7/?a=1&b=<2>"
            photo.thumb_url = "/t/x/library/a/7/file/thumb/?v=9&w=1"
            photo.tag_names = [evil, "wine"]
        assert tiles.tile(row, tenant_slug="x") == tiles.tile(asset, tenant_slug="x")
        assert tiles.picker_tiles([row], multiple=True) == tiles.picker_tiles(
            [asset], multiple=True
        )


def test_escaped_gives_what_html_escape_gives():
    from lib.display import escape

    rng = random.Random(8)
    alphabet = "ab &<>\"'é\u2003;#x27"
    texts = ["", "Terrace 12", "/t/x/library/a/7/?v=9", "<script>\"&'</script>", "&amp;"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(2000)]
    for text in texts:
        assert escape(text) == html.escape(text), text
