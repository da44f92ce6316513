"""Writes to the asset library: folders, uploads, metadata, bulk actions, usage (renditions:
`assets.renditions`).

Every function takes keyword arguments and the tenant explicitly; callers run inside that
tenant's scope (views via the middleware, tasks via `TenantTask`). Files go through
``storages["default"]`` only, so the filesystem and S3 behave the same.

Functions the posting code uses: `asset_mark_used` here, and `asset_instagram_url` /
`asset_rendition_bytes` in `assets.selectors`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from assets import images, tasks
from assets.models import DEFAULT_FOLDERS, Asset, AssetTag, Folder, Rendition, Tag, storage_key
from assets.renditions import (
    RENDITION_KINDS,
    asset_render,
    file_save,
    files_delete,
    rendition_rows,
)
from assets.selectors import tenant_storage_used
from lib.tasks import enqueue_on_commit
from tenants.models import Tenant
from tenants.scoping import tenant_scope

logger = logging.getLogger(__name__)

# Photos up to this size get their renditions during the upload request; bigger ones in Celery.
INLINE_RENDER_MAX_PIXELS = 16_000_000
_UNSAFE_TITLE_CHARS = re.compile(r"[\x00-\x1f\x7f]")


# --- folders -----------------------------------------------------------------------------------


def folders_create_defaults(*, tenant: Tenant) -> None:
    """The protected default folders of a new restaurant (idempotent)."""
    with tenant_scope(tenant):
        existing = {
            name.lower()
            for name in Folder.objects.filter(tenant=tenant, parent=None).values_list(
                "name", flat=True
            )
        }
        Folder.objects.bulk_create(
            [
                Folder(tenant=tenant, name=name, is_protected=True)
                for name in DEFAULT_FOLDERS
                if name.lower() not in existing
            ]
        )


def _clean_folder_name(name: str) -> str:
    name = " ".join(_UNSAFE_TITLE_CHARS.sub("", name or "").split())
    if not name:
        raise ValidationError({"name": "Give the folder a name."})
    if len(name) > 80:
        raise ValidationError({"name": "Folder names can be at most 80 characters."})
    return name


def _check_folder_name_free(*, tenant: Tenant, parent: Folder | None, name: str, exclude=None):
    clash = Folder.objects.filter(tenant=tenant, parent=parent, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ValidationError({"name": f"There is already a folder called “{name}” there."})


def _check_same_tenant(tenant: Tenant, obj, field: str) -> None:
    if obj is not None and obj.tenant_id != tenant.pk:
        raise ValidationError({field: "Choose one of your own folders."})


def folder_create(*, tenant: Tenant, name: str, parent: Folder | None = None) -> Folder:
    _check_same_tenant(tenant, parent, "parent")
    name = _clean_folder_name(name)
    _check_folder_name_free(tenant=tenant, parent=parent, name=name)
    return Folder.objects.create(tenant=tenant, name=name, parent=parent)


def folder_rename(*, folder: Folder, name: str) -> Folder:
    if folder.is_protected:
        raise ValidationError({"name": "Default folders keep their names."})
    name = _clean_folder_name(name)
    _check_folder_name_free(tenant=folder.tenant, parent=folder.parent, name=name, exclude=folder)
    folder.name = name
    folder.save(update_fields=["name"])
    return folder


def _descendant_ids(folder: Folder) -> set[int]:
    pairs = list(Folder.objects.filter(tenant_id=folder.tenant_id).values_list("id", "parent_id"))
    found: set[int] = set()
    frontier = {folder.pk}
    while frontier:
        frontier = {pk for pk, parent in pairs if parent in frontier} - found
        found |= frontier
    return found


def folder_move(*, folder: Folder, parent: Folder | None) -> Folder:
    if folder.is_protected:
        raise ValidationError({"parent": "Default folders stay at the top level."})
    _check_same_tenant(folder.tenant, parent, "parent")
    if parent is not None and (parent.pk == folder.pk or parent.pk in _descendant_ids(folder)):
        raise ValidationError({"parent": "A folder cannot go inside itself."})
    _check_folder_name_free(tenant=folder.tenant, parent=parent, name=folder.name, exclude=folder)
    folder.parent = parent
    folder.save(update_fields=["parent"])
    return folder


def _free_name(*, tenant: Tenant, parent: Folder | None, name: str) -> str:
    candidate, n = name, 2
    while Folder.objects.filter(tenant=tenant, parent=parent, name__iexact=candidate).exists():
        candidate, n = f"{name} ({n})", n + 1
    return candidate


@transaction.atomic
def folder_delete(*, folder: Folder, move_contents_to_parent: bool) -> None:
    """Delete a folder. Its assets and subfolders either move up to its parent or are deleted."""
    if folder.is_protected:
        raise ValidationError("Default folders cannot be deleted.")
    tenant = folder.tenant
    if move_contents_to_parent:
        Asset.objects.filter(tenant=tenant, folder=folder).update(folder=folder.parent)
        for child in Folder.objects.filter(tenant=tenant, parent=folder):
            child.name = _free_name(tenant=tenant, parent=folder.parent, name=child.name)
            child.parent = folder.parent
            child.save(update_fields=["name", "parent"])
        folder.delete()
        return
    ids = _descendant_ids(folder) | {folder.pk}
    assets_delete(tenant=tenant, assets=Asset.objects.filter(tenant=tenant, folder_id__in=ids))
    # Children first (PROTECT on parent).
    remaining = set(ids)
    while remaining:
        leaves = set(
            Folder.objects.filter(tenant=tenant, pk__in=remaining)
            .exclude(children__in=Folder.objects.filter(tenant=tenant, pk__in=remaining))
            .values_list("pk", flat=True)
        )
        Folder.objects.filter(tenant=tenant, pk__in=leaves).delete()
        remaining -= leaves


# --- uploads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    asset: Asset
    duplicate: bool


def clean_title(file_name: str) -> str:
    """A display title from a client file name: no path, no control or bidi characters."""
    base = re.split(r"[\\/]", file_name or "")[-1]
    base = "".join(
        ch for ch in base if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    return " ".join(stem.replace("_", " ").split())[:200]


def _hash(upload: IO[bytes]) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _quota_error() -> images.ImageRejected:
    limit_gb = settings.ASSET_TENANT_QUOTA_BYTES / 1024**3
    return images.ImageRejected(
        f"Your library is full ({limit_gb:g} GB). Delete photos you no longer need and try again.",
        "quota",
    )


def asset_create_from_upload(
    *,
    tenant: Tenant,
    upload: IO[bytes],
    file_name: str = "",
    folder: Folder | None = None,
    user=None,
) -> UploadResult:
    """Validate, normalise and store one uploaded image; raises `images.ImageRejected`.

    Nothing is written (storage or database) unless the image is accepted. A file already in the
    tenant's library (same SHA-256 of the uploaded bytes) returns the existing asset instead.
    """
    _check_same_tenant(tenant, folder, "folder")
    size = getattr(upload, "size", None)
    if size is not None and size > settings.ASSET_MAX_UPLOAD_BYTES:
        raise images.ImageRejected(
            f"This file is larger than {settings.ASSET_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            "size",
        )
    if size == 0:
        raise images.ImageRejected("The file is empty.", "empty")
    sha256 = _hash(upload)
    existing = Asset.objects.filter(tenant=tenant, sha256=sha256).first()
    if existing is not None:
        return UploadResult(existing, duplicate=True)
    if tenant_storage_used(tenant=tenant) >= settings.ASSET_TENANT_QUOTA_BYTES:
        raise _quota_error()

    # Photos up to INLINE_RENDER_MAX_PIXELS get their renditions now (default focal point, crop)
    # from the pixels already decoded; bigger ones get them in a task.
    normalised = images.normalise(upload, renditions_up_to=INLINE_RENDER_MAX_PIXELS)
    enc, renditions = normalised.encoded, normalised.renditions
    source_format, inline = normalised.source_format, bool(normalised.renditions)
    del normalised
    new_bytes = len(enc.data) + sum(len(r.data) for r in renditions.values())
    if tenant_storage_used(tenant=tenant) + new_bytes > settings.ASSET_TENANT_QUOTA_BYTES:
        raise _quota_error()

    stored: list[str] = []
    try:
        key = file_save(storage_key(tenant_id=tenant.pk, ext=enc.ext), enc.data, stored)
        with transaction.atomic():
            # One upload at a time per tenant past this point, so the quota holds under races.
            Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
            if tenant_storage_used(tenant=tenant) + new_bytes > settings.ASSET_TENANT_QUOTA_BYTES:
                raise _quota_error()
            title = clean_title(file_name)
            asset = Asset.objects.create(
                tenant=tenant,
                folder=folder,
                title=title,
                search_text=title,
                key=key,
                content_type=enc.content_type,
                source_format=source_format,
                width=enc.width,
                height=enc.height,
                bytes=len(enc.data),
                upload_bytes=size if size is not None else 0,
                sha256=sha256,
                status=Asset.Status.READY if inline else Asset.Status.PROCESSING,
                uploaded_by=user if getattr(user, "pk", None) else None,
            )
            if inline:
                Rendition.objects.bulk_create(
                    rendition_rows(asset=asset, encoded=renditions, stored=stored)
                )
            else:
                _enqueue_render(asset)
    except IntegrityError:
        files_delete(stored)
        existing = Asset.objects.filter(tenant=tenant, sha256=sha256).first()
        if existing is None:
            raise
        return UploadResult(existing, duplicate=True)
    except BaseException:
        files_delete(stored)
        raise
    return UploadResult(asset, duplicate=False)


def _enqueue_render(asset: Asset, kinds: tuple[str, ...] = RENDITION_KINDS) -> None:
    enqueue_on_commit(
        tasks.asset_render, tenant_id=asset.tenant_id, asset_id=asset.pk, kinds=list(kinds)
    )


# --- metadata ----------------------------------------------------------------------------------


def clean_tag_name(name: str) -> str:
    name = " ".join(_UNSAFE_TITLE_CHARS.sub("", name or "").split()).lstrip("#").strip()
    if len(name) > 40:
        raise ValidationError({"tags": f"Tags can be at most 40 characters (“{name[:40]}…”)."})
    return name


def _tags_named(*, tenant: Tenant, names: Iterable[str]):
    """The tenant's tags with any of these (already cleaned) names, ignoring case."""
    query = Q(pk__in=[])
    for name in names:
        query |= Q(name__iexact=name)
    return Tag.objects.filter(query, tenant=tenant)


def tags_get_or_create(*, tenant: Tenant, names: Iterable[str]) -> list[Tag]:
    wanted: dict[str, str] = {}
    for raw in names:
        name = clean_tag_name(raw)
        if name:
            wanted.setdefault(name.lower(), name)
    if not wanted:
        return []
    found = {t.name.lower(): t for t in _tags_named(tenant=tenant, names=wanted)}
    for lower, name in wanted.items():
        if lower not in found:
            try:
                with transaction.atomic():
                    found[lower] = Tag.objects.create(tenant=tenant, name=name)
            except IntegrityError:  # created concurrently
                found[lower] = Tag.objects.get(tenant=tenant, name__iexact=name)
    return [found[lower] for lower in wanted]


def _refresh_search_text(*, tenant: Tenant, asset_ids: Iterable[int]) -> None:
    ids = list(asset_ids)
    tags: dict[int, list[str]] = {}
    for asset_id, name in AssetTag.objects.filter(tenant=tenant, asset_id__in=ids).values_list(
        "asset_id", "tag__name"
    ):
        tags.setdefault(asset_id, []).append(name)
    changed = []
    for asset in Asset.objects.filter(tenant=tenant, pk__in=ids).only(
        "id", "title", "description", "search_text"
    ):
        asset.search_text = " ".join(
            [asset.title, asset.description, *sorted(tags.get(asset.pk, []))]
        ).strip()
        changed.append(asset)
    Asset.objects.bulk_update(changed, ["search_text"], batch_size=500)


@transaction.atomic
def asset_update(
    *,
    asset: Asset,
    title: str,
    description: str,
    tag_names: Iterable[str],
    folder: Folder | None,
    focal_x: float,
    focal_y: float,
    instagram_mode: str,
    pad_color: str,
) -> Asset:
    """Edit an asset's details; a new focal point, mode or colour regenerates the Instagram
    rendition (which also gets a new public URL)."""
    tenant = asset.tenant
    _check_same_tenant(tenant, folder, "folder")
    if not (0 <= focal_x <= 1 and 0 <= focal_y <= 1):
        raise ValidationError({"focal_x": "The focal point must be inside the image."})
    reframe = (asset.focal_x, asset.focal_y, asset.instagram_mode, asset.pad_color) != (
        focal_x,
        focal_y,
        instagram_mode,
        pad_color,
    )
    asset.title = clean_title(title) if title else ""
    asset.description = description
    asset.folder = folder
    asset.focal_x, asset.focal_y = focal_x, focal_y
    asset.instagram_mode, asset.pad_color = instagram_mode, pad_color
    asset.full_clean(exclude=["tenant", "key", "tags"])
    asset.save()
    tags = tags_get_or_create(tenant=tenant, names=tag_names)
    AssetTag.objects.filter(tenant=tenant, asset=asset).exclude(tag__in=tags).delete()
    have = set(AssetTag.objects.filter(tenant=tenant, asset=asset).values_list("tag_id", flat=True))
    AssetTag.objects.bulk_create(
        [AssetTag(tenant=tenant, asset=asset, tag=t) for t in tags if t.pk not in have]
    )
    _refresh_search_text(tenant=tenant, asset_ids=[asset.pk])
    if reframe:
        if asset.width * asset.height <= INLINE_RENDER_MAX_PIXELS:
            asset_render(asset=asset, kinds=("instagram",))
        else:
            Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.PROCESSING)
            _enqueue_render(asset, kinds=("instagram",))
    asset.refresh_from_db()
    return asset


# --- bulk --------------------------------------------------------------------------------------


def assets_move(*, tenant: Tenant, assets, folder: Folder | None) -> int:
    _check_same_tenant(tenant, folder, "folder")
    return Asset.objects.filter(tenant=tenant, pk__in=_ids(assets)).update(folder=folder)


def _ids(assets) -> list[int]:
    return [a if isinstance(a, int) else a.pk for a in assets]


@transaction.atomic
def assets_tag(*, tenant: Tenant, assets, tag_names: Iterable[str]) -> int:
    ids = list(
        Asset.objects.filter(tenant=tenant, pk__in=_ids(assets)).values_list("pk", flat=True)
    )
    tags = tags_get_or_create(tenant=tenant, names=tag_names)
    existing = set(
        AssetTag.objects.filter(tenant=tenant, asset_id__in=ids, tag__in=tags).values_list(
            "asset_id", "tag_id"
        )
    )
    AssetTag.objects.bulk_create(
        [
            AssetTag(tenant=tenant, asset_id=a, tag=t)
            for a in ids
            for t in tags
            if (a, t.pk) not in existing
        ]
    )
    _refresh_search_text(tenant=tenant, asset_ids=ids)
    return len(ids)


@transaction.atomic
def assets_untag(*, tenant: Tenant, assets, tag_names: Iterable[str]) -> int:
    ids = list(
        Asset.objects.filter(tenant=tenant, pk__in=_ids(assets)).values_list("pk", flat=True)
    )
    tags = _tags_named(tenant=tenant, names=filter(None, map(clean_tag_name, tag_names)))
    AssetTag.objects.filter(tenant=tenant, asset_id__in=ids, tag__in=tags).delete()
    _refresh_search_text(tenant=tenant, asset_ids=ids)
    return len(ids)


@transaction.atomic
def assets_delete(*, tenant: Tenant, assets) -> int:
    """Delete assets with their renditions; the files go once the transaction commits."""
    qs = Asset.objects.filter(tenant=tenant, pk__in=_ids(assets))
    keys = list(qs.values_list("key", flat=True)) + list(
        Rendition.objects.filter(tenant=tenant, asset__in=qs).values_list("key", flat=True)
    )
    count = qs.count()
    AssetTag.objects.filter(tenant=tenant, asset__in=qs).delete()
    Rendition.objects.filter(tenant=tenant, asset__in=qs).delete()
    qs.delete()
    transaction.on_commit(lambda: files_delete(keys))
    return count


# --- usage (called by the posting code) --------------------------------------------------------


def asset_mark_used(*, asset: Asset) -> None:
    """Count one use of the asset in a post (call when a post that uses it is scheduled)."""
    Asset.objects.filter(tenant=asset.tenant_id, pk=asset.pk).update(
        times_used=F("times_used") + 1, last_used_at=timezone.now()
    )


def asset_mark_posted(*, asset: Asset, posted_at=None) -> None:
    """Record that a post using the asset went out (feeds "least recently posted")."""
    Asset.objects.filter(tenant=asset.tenant_id, pk=asset.pk).update(
        last_posted_at=posted_at or timezone.now()
    )
