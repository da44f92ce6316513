"""Reads of the asset library, including the two functions the posting code calls:

- ``asset_instagram_url(*, asset) -> str``: the URL Meta fetches the Instagram rendition from.
  ``PUBLIC_MEDIA_BASE_URL`` + ``/public/ig/<unguessable token>.jpg`` when that setting is set;
  otherwise a presigned S3 URL (≤ 15 minutes) when media is on S3; otherwise ``SITE_URL`` + the
  same public path. Raises `RenditionNotReady` while renditions are being made.
- ``asset_rendition_bytes(*, asset, kind) -> bytes``: a rendition's bytes ("thumb", "web",
  "instagram") or the stored original ("original"), e.g. for Facebook photo uploads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar, overload

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from assets import links as asset_links
from assets import tiles
from assets.models import Asset, AssetTag, Folder, Rendition, Tag
from assets.tiles import TileRow
from lib.statements import INT, TEXT, Arg, IdsStatement, Statement
from tenants.models import Tenant
from tenants.scoping import scopes_disabled
from tenants.statements import TENANT

SORTS = {
    "newest": ("Newest", [F("created_at").desc(), F("id").desc()]),
    "most_used": (
        "Most used",
        [F("times_used").desc(), F("last_used_at").desc(nulls_last=True), F("id").desc()],
    ),
    # analytics.AssetScore (reverse one-to-one): photos whose posts earned most per post first
    "engagement": (
        "Best engagement",
        [
            F("engagement_score__score").desc(nulls_last=True),
            F("created_at").desc(),
            F("id").desc(),
        ],
    ),
    "least_posted": (
        "Least recently posted",
        [F("last_posted_at").asc(nulls_first=True), F("created_at").asc(), F("id").asc()],
    ),
}


class RenditionNotReady(Exception):
    """The asset's renditions are still being made (or failed); try again later."""


def per_tenant(model: type[Model], aggregate: Aggregate) -> Coalesce:
    """``aggregate`` over the tenant's rows of ``model``, 0 when it has none: a subquery to
    annotate tenants with."""
    return Coalesce(
        Subquery(
            model._default_manager.filter(tenant=OuterRef("pk"))
            .order_by()
            .values("tenant")
            .annotate(n=aggregate)
            .values("n")
        ),
        Value(0),
    )


def tenant_storage_used(*, tenant: Tenant) -> int:
    """Bytes the tenant's originals and renditions take in storage."""
    originals = Asset.objects.filter(tenant=tenant).aggregate(n=Sum("bytes"))["n"] or 0
    renditions = Rendition.objects.filter(tenant=tenant).aggregate(n=Sum("bytes"))["n"] or 0
    return originals + renditions


@dataclass
class LibrarySummary:
    """The library's totals the sidebar shows: photos in all, photos in no folder, bytes used,
    and photos per folder id (for `folder_tree`'s counts)."""

    total: int
    unfiled: int
    storage_used: int
    per_folder: dict[int, int]


def library_summary(*, tenant: Tenant) -> LibrarySummary:
    """The sidebar's totals in one query: the tenant's photos counted and summed per folder
    (one pass over them, which also gives `folder_tree` its counts without a join), each row
    carrying the renditions' bytes (an uncorrelated subquery PostgreSQL runs once)."""
    per_folder: dict[int, int] = {}
    unfiled = originals = renditions = 0
    for folder_id, count, size, rendered in _SUMMARY.all(tenant=tenant):
        originals += size or 0
        renditions = rendered or 0  # the same on every row; no photo, no rendition
        if folder_id is None:
            unfiled = count
        else:
            per_folder[folder_id] = count
    return LibrarySummary(
        total=unfiled + sum(per_folder.values()),
        unfiled=unfiled,
        storage_used=originals + renditions,
        per_folder=per_folder,
    )


def _summary(tenant: Tenant) -> QuerySet:
    rendition_bytes = (
        Rendition.objects.filter(tenant=tenant)
        .order_by()
        .values("tenant")
        .annotate(n=Sum("bytes"))
        .values("n")
    )
    return (
        Asset.objects.filter(tenant=tenant)
        .order_by()
        .values_list("folder_id")
        .annotate(n=Count("id"), size=Sum("bytes"), rendered=Subquery(rendition_bytes))
    )


_SUMMARY = Statement(_summary, tenant=TENANT)  # every library page (lib/statements.py)


def _words(q: str) -> list[str]:
    return re.findall(r"\w+", q)[:10]


def _tsquery(words: list[str]) -> str:
    # Prefix matching ("brun" finds "brunch"); \w+ words cannot carry tsquery operators.
    return " & ".join(f"{w}:*" for w in words)


def _search(qs: QuerySet[Asset], q: str) -> QuerySet[Asset]:
    words = _words(q)
    if not words:
        return qs
    if connection.vendor == "postgresql":
        return _full_text(qs, _tsquery(words))
    for word in words:
        qs = qs.filter(search_text__icontains=word)
    return qs


def _full_text(qs: QuerySet[Asset], tsquery: str) -> QuerySet[Asset]:
    from django.contrib.postgres.search import SearchQuery, SearchVector

    query = SearchQuery(tsquery, search_type="raw", config="simple")
    # alias, not annotate: the vector is for the filter (and its index), not for the rows.
    return qs.alias(search=SearchVector("search_text", config="simple")).filter(search=query)


@dataclass
class AssetFilters:
    q: str = ""
    folder: Folder | None = None
    unfiled: bool = False
    tag: Tag | None = None
    orientation: str = ""
    used: str = ""
    sort: str = "newest"


def asset_list(
    *, tenant: Tenant, filters: AssetFilters | None = None, ready_only: bool = False
) -> QuerySet[Asset]:
    """The library grid's query: the assets with the id of each one's thumbnail (for
    `with_tile_links`, which adds their tags with one more query per page). The picker asks
    for ``ready_only`` (a photo still being prepared cannot be posted yet). The pages read it
    through `AssetMatches`."""
    f = filters or AssetFilters()
    return _in_order(tenant, _matching(tenant, f, ready_only=ready_only), f.sort)


def _matching(
    tenant: Tenant, f: AssetFilters, *, ready_only: bool, tsquery: str | None = None
) -> QuerySet[Asset]:
    """The photos ``f`` finds, in no order; ``tsquery`` searches instead of ``f.q``."""
    qs = Asset.objects.filter(tenant=tenant)
    if ready_only:
        qs = qs.filter(status=Asset.Status.READY)
    qs = _search(qs, f.q) if tsquery is None else _full_text(qs, tsquery)
    if f.folder is not None:
        qs = qs.filter(folder=f.folder)
    elif f.unfiled:
        qs = qs.filter(folder__isnull=True)
    if f.tag is not None:
        qs = qs.filter(pk__in=Asset.objects.filter(tenant=tenant, tags=f.tag).values("pk"))
    if f.orientation == "portrait":
        qs = qs.filter(height__gt=F("width"))
    elif f.orientation == "landscape":
        qs = qs.filter(width__gt=F("height"))
    elif f.orientation == "square":
        qs = qs.filter(width=F("height"))
    if f.used == "used":
        qs = qs.filter(times_used__gt=0)
    elif f.used == "unused":
        qs = qs.filter(times_used=0)
    return qs


def _in_order(tenant: Tenant, qs: QuerySet[Asset], sort: str) -> QuerySet[Asset]:
    order = SORTS.get(sort, SORTS["newest"])[1]
    thumb = Rendition.objects.filter(
        tenant=tenant, asset=OuterRef("pk"), kind=Rendition.Kind.THUMB
    ).values("pk")[:1]
    return qs.order_by(*order).annotate(thumb_id=Subquery(thumb))


class AssetMatches:
    """The photos ``filters`` find, as a `Paginator` takes them: ``count()``, and a page's
    slice as `tiles.TileRow`s in the grid's order.

    The count and the first page are read by statements compiled once per process for each
    shape of filter (`_Shape`: what changes the SQL; folder, tag and search words are their
    arguments), made the first time a shape is asked for (`STATEMENTS_MOST` at most); later
    pages, and a search on SQLite (a ``LIKE`` per word), by the queryset. Both are
    `asset_list`'s (lib/statements.py)."""

    def __init__(
        self, *, tenant: Tenant, filters: AssetFilters, per_page: int, ready_only: bool = False
    ) -> None:
        self.tenant, self.filters, self.per_page = tenant, filters, per_page
        self.ready_only = ready_only
        self._shape = _Shape.of(filters, ready_only=ready_only)
        self._values = self._shape[1] if self._shape else {}

    def count(self) -> int:
        statement = _statement(self._shape[0], None) if self._shape else None
        if statement is None:
            return _matching(self.tenant, self.filters, ready_only=self.ready_only).count()
        found = statement.all(tenant=self.tenant, **self._values)
        return found[0] if found else 0

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[TileRow]:  # not what a Paginator does: every photo
        return iter(self[0 : self.count()])

    @overload
    def __getitem__(self, index: int) -> TileRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[TileRow]: ...
    def __getitem__(self, index: int | slice) -> TileRow | list[TileRow]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        if stop is None or index.step is not None:
            raise TypeError("A page of photos is a slice with an end and no step.")
        if stop <= start:
            return []  # as a queryset's empty slice: no query
        statement = None
        if start == 0 and stop <= self.per_page and self._shape:
            statement = _statement(self._shape[0], self.per_page)
        if statement is not None:
            rows = statement.all(tenant=self.tenant, **self._values)[:stop]
        else:
            qs = asset_list(tenant=self.tenant, filters=self.filters, ready_only=self.ready_only)
            rows = list(qs.values_list(*tiles.FIELDS)[start:stop])
        return [TileRow(*row) for row in rows]


_ORIENTATIONS = ("portrait", "landscape", "square")
_USES = ("used", "unused")


@dataclass(frozen=True)
class _Shape:
    """What of a grid's filters and order changes its SQL (`_matching`, `_in_order`)."""

    ready_only: bool
    folder: str  # "" (every folder), "folder" (the ``folder`` argument) or "none"
    tag: bool  # the ``tag`` argument
    orientation: str
    used: str
    search: bool  # the ``words`` argument: a tsquery (PostgreSQL only)
    sort: str

    @classmethod
    def of(cls, f: AssetFilters, *, ready_only: bool) -> tuple[_Shape, dict[str, Any]] | None:
        """The shape of ``f`` and its statements' arguments; None for a search on SQLite."""
        words = _words(f.q)
        if words and connection.vendor != "postgresql":
            return None
        values: dict[str, Any] = {}
        folder = ""
        if f.folder is not None:
            folder, values["folder"] = "folder", f.folder.pk
        elif f.unfiled:
            folder = "none"
        if f.tag is not None:
            values["tag"] = f.tag.pk
        if words:
            values["words"] = _tsquery(words)
        shape = cls(
            ready_only=ready_only,
            folder=folder,
            tag=f.tag is not None,
            orientation=f.orientation if f.orientation in _ORIENTATIONS else "",
            used=f.used if f.used in _USES else "",
            search=bool(words),
            sort=f.sort if f.sort in SORTS else "newest",
        )
        return shape, values

    def arguments(self) -> dict[str, Arg]:
        return {
            "tenant": TENANT,
            **({"folder": INT} if self.folder == "folder" else {}),
            **({"tag": INT} if self.tag else {}),
            **({"words": TEXT} if self.search else {}),
        }

    def filters(self, values: dict[str, Any]) -> AssetFilters:
        """Filters of this shape with ``values`` (a statement's stand-ins) in their places."""
        return AssetFilters(
            folder=Folder(pk=values["folder"]) if self.folder == "folder" else None,
            unfiled=self.folder == "none",
            tag=Tag(pk=values["tag"]) if self.tag else None,
            orientation=self.orientation,
            used=self.used,
            sort=self.sort,
        )


# (shape, the first page's length or None for the count) → its statement, made on first use.
# There are 576 shapes (`_Shape` without the order), each with a count and a first page per
# order: a compiled statement holds about 30 KB, so the first `STATEMENTS_MOST` asked for in a
# process get one and any other is read by its queryset, as a later page is.
STATEMENTS_MOST = 200
_STATEMENTS: dict[tuple[_Shape, int | None], Statement] = {}


def _statement(shape: _Shape, first: int | None) -> Statement | None:
    key = (replace(shape, sort="") if first is None else shape, first)
    found = _STATEMENTS.get(key)
    if found is not None or len(_STATEMENTS) >= STATEMENTS_MOST:
        return found

    def build(tenant: Tenant, **values: Any) -> QuerySet[Any]:
        f = shape.filters(values)
        qs = _matching(tenant, f, ready_only=shape.ready_only, tsquery=values.get("words"))
        if first is None:  # the count: one row (none without a match)
            return (
                qs.order_by().values("tenant").annotate(n=Count("pk")).values_list("n", flat=True)
            )
        return _in_order(tenant, qs, shape.sort).values_list(*tiles.FIELDS)[:first]

    return _STATEMENTS.setdefault(key, Statement(build, **shape.arguments()))


def rendition_url(*, tenant: Tenant, rendition: Rendition) -> str:
    """The portal URL of a rendition's file, versioned by the rendition's id: a new rendition
    (after moving the focal point, say) has a new URL, so the file can be cached for good."""
    url = reverse(
        "assets:asset_file",
        kwargs={"tenant_slug": tenant.slug, "asset_id": rendition.asset_id, "kind": rendition.kind},
    )
    return f"{url}?v={rendition.pk}"


_Tile = TypeVar("_Tile", Asset, TileRow)


def with_tile_links(*, tenant: Tenant, assets: Iterable[_Tile], tags: bool = True) -> list[_Tile]:
    """The photos (assets or `tiles.TileRow`s) with what a grid tile shows set on each:
    ``detail_url``, ``thumb_url`` (versioned like `rendition_url`) and ``tag_names``. URLs are
    reversed once per list and the tag names come from one query (a prefetch would build a
    queryset per asset); ``tags=False`` (the picker, which shows none) leaves them empty
    without the query."""
    assets = list(assets)
    links = asset_links.of_restaurant(tenant.slug)
    detail, thumb = links.detail, links.thumb
    missing = [a for a in assets if not hasattr(a, "thumb_id")]  # not from `asset_list`
    if missing:
        found = dict(
            Rendition.objects.filter(
                tenant=tenant, asset_id__in=[a.pk for a in missing], kind=Rendition.Kind.THUMB
            ).values_list("asset_id", "pk")
        )
        for asset in missing:
            asset.thumb_id = found.get(asset.pk)  # type: ignore[attr-defined]  # as asset_list annotates
    tag_names: dict[int, list[str]] = {}
    for asset_id, name in _tag_names_of(tenant, [a.pk for a in assets]) if tags and assets else ():
        tag_names.setdefault(asset_id, []).append(name)
    for asset in assets:
        asset.detail_url = detail(asset.pk)
        thumb_id = getattr(asset, "thumb_id", None)
        asset.thumb_url = f"{thumb(asset.pk)}?v={thumb_id}" if thumb_id else ""
        asset.tag_names = tag_names.get(asset.pk, [])
    return assets


def _tag_names_of(tenant: Tenant, asset_ids: list[int]) -> list[tuple[int, str]]:
    """(photo id, tag name) for each tag of the photos, by name: a grid's page or fewer by
    `_TILE_TAGS`, more (analytics' lists) by the queryset itself, in one query."""
    if len(asset_ids) > TILE_TAG_IDS:
        return list(_tile_tags(tenant, asset_ids))
    return _TILE_TAGS.all(tenant=tenant, ids=asset_ids)


def _tile_tags(tenant: Tenant, asset_ids: list[int]) -> QuerySet[AssetTag, tuple[int, str]]:
    return (
        AssetTag.objects.filter(tenant=tenant, asset_id__in=asset_ids)
        .order_by("tag__name")
        .values_list("asset_id", "tag__name")
    )


# At most a page of the grid (assets.views.PAGE_SIZE); lib/statements.py.
TILE_TAG_IDS = 48
_TILE_TAGS = IdsStatement(
    lambda tenant, ids: _tile_tags(tenant, ids), size=TILE_TAG_IDS, tenant=TENANT
)


@dataclass
class FolderNode:
    folder: Folder
    depth: int
    asset_count: int | None  # photos directly in the folder, when asked for

    @property
    def indent(self) -> int:
        """The depth the folder list indents to (deeper folders stay at the fourth step)."""
        return min(self.depth, 4)


def folder_tree(*, tenant: Tenant, counts: dict[int, int] | None = None) -> list[FolderNode]:
    """The tenant's folders in display order (depth-first); one query. With ``counts``
    (`LibrarySummary.per_folder`) each node carries its number of photos."""
    folders = _FOLDERS.all(tenant=tenant)
    by_parent: dict[int | None, list[Folder]] = {}
    for folder in folders:
        by_parent.setdefault(folder.parent_id, []).append(folder)
    out: list[FolderNode] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for folder in by_parent.get(parent_id, []):
            count = None if counts is None else counts.get(folder.pk, 0)
            out.append(FolderNode(folder, depth, count))
            walk(folder.pk, depth + 1)

    walk(None, 0)
    return out


def tag_list(*, tenant: Tenant) -> list[Tag]:
    """The tenant's tags by name, for the filter forms."""
    return _TAGS.all(tenant=tenant)


# Read on every library page (lib/statements.py: compiled once per process).
_FOLDERS = Statement(
    lambda tenant: Folder.objects.filter(tenant=tenant).order_by("name"), tenant=TENANT
)
_TAGS = Statement(lambda tenant: Tag.objects.filter(tenant=tenant).order_by("name"), tenant=TENANT)


def folder_move_targets(*, nodes: list[FolderNode], folder: Folder) -> list[FolderNode]:
    """The folders `folder` may move into: the tree without the folder itself and everything
    inside it (in `folder_tree`'s depth-first order that is one run of deeper nodes)."""
    out: list[FolderNode] = []
    skip_below: int | None = None
    for node in nodes:
        if skip_below is not None and node.depth > skip_below:
            continue
        skip_below = None
        if node.folder.pk == folder.pk:
            skip_below = node.depth
            continue
        out.append(node)
    return out


def tag_suggestions(*, tenant: Tenant) -> list[str]:
    """The tenant's tag names, for the tag inputs' <datalist> (the autocomplete)."""
    return _TAG_NAMES.all(tenant=tenant)


TAG_SUGGESTIONS = 500  # at most, in the tag inputs' autocomplete
_TAG_NAMES = Statement(
    lambda tenant: (
        Tag.objects.filter(tenant=tenant)
        .order_by("name")
        .values_list("name", flat=True)[:TAG_SUGGESTIONS]
    ),
    tenant=TENANT,
)


def rendition_for(*, asset: Asset, kind: str) -> Rendition | None:
    return Rendition.objects.filter(tenant=asset.tenant_id, asset=asset, kind=kind).first()


def renditions_by_kind(*, asset: Asset) -> dict[str, Rendition]:
    """``asset`` as an access helper found it (its restaurant loaded with it)."""
    return {r.kind: r for r in _RENDITIONS.all(tenant=asset.tenant, asset_id=asset.pk)}


# The photo page's (lib/statements.py: compiled once per process).
_RENDITIONS = Statement(
    lambda tenant, asset_id: Rendition.objects.filter(tenant=tenant, asset_id=asset_id),
    tenant=TENANT,
    asset_id=INT,
)


def public_instagram_rendition(*, token: str) -> Rendition | None:
    """The Instagram rendition behind a public link. Unscoped on purpose: Meta fetches it
    with no login, and the unguessable token is the only key."""
    with scopes_disabled():
        return (
            Rendition.objects.filter(kind=Rendition.Kind.INSTAGRAM, public_token=token)
            .only("key", "content_type")
            .first()
        )


def folder_contents_count(*, folder: Folder) -> tuple[int, int]:
    """(photos directly in the folder, folders directly inside it)."""
    return (
        Asset.objects.filter(tenant=folder.tenant_id, folder=folder).count(),
        Folder.objects.filter(tenant=folder.tenant_id, parent=folder).count(),
    )


def _is_s3(storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a runtime requirement
        return False
    return isinstance(storage, S3Storage)


def asset_instagram_url(*, asset: Asset) -> str:
    """The public URL of the asset's Instagram rendition (see the module docstring)."""
    rendition = rendition_for(asset=asset, kind=Rendition.Kind.INSTAGRAM)
    if rendition is None:
        raise RenditionNotReady(f"Asset {asset.pk} has no Instagram rendition yet.")
    storage = storages["default"]
    path = reverse("assets_public:instagram", kwargs={"token": rendition.public_token})
    if settings.PUBLIC_MEDIA_BASE_URL:
        return settings.PUBLIC_MEDIA_BASE_URL.rstrip("/") + path
    if _is_s3(storage):
        expire = min(int(getattr(settings, "AWS_QUERYSTRING_EXPIRE", 900) or 900), 900)
        return storage.url(rendition.key, expire=expire)  # type: ignore[call-arg]  # S3Storage.url
    return settings.SITE_URL.rstrip("/") + path


def asset_rendition_bytes(*, asset: Asset, kind: str) -> bytes:
    """The bytes of a rendition ("thumb", "web", "instagram") or of the original ("original")."""
    if kind == "original":
        key = asset.key
    else:
        rendition = rendition_for(asset=asset, kind=kind)
        if rendition is None:
            raise RenditionNotReady(f"Asset {asset.pk} has no {kind} rendition yet.")
        key = rendition.key
    with storages["default"].open(key, "rb") as fh:
        return fh.read()
