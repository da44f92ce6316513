"""The brand asset library: folders, assets (the normalised original), renditions and tags.

Every model is `TenantOwned` (direct tenant FK, scoped manager). Files live in the default
storage under ``<tenant id>/<uuid>.<ext>`` keys generated here, never from a user's file name.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant, TenantOwned

DEFAULT_FOLDERS = ["Brand Assets", "Dishes", "Exterior", "Interior", "Events"]


def storage_key(*, tenant_id: int, ext: str) -> str:
    """The only way a storage key is made (RELIABILITY U6): ``<tenant id>/<uuid4>.<ext>``."""
    return f"{int(tenant_id)}/{uuid.uuid4().hex}.{ext}"


def public_token() -> str:
    return secrets.token_urlsafe(32)


class Folder(TenantOwned):
    """A node of the tenant's folder tree. Default folders are protected from delete and rename."""

    name = models.CharField(max_length=80)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_protected = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "parent",
                Lower("name"),
                name="folder_unique_name_in_parent",
            ),
            models.UniqueConstraint(
                "tenant",
                Lower("name"),
                condition=models.Q(parent__isnull=True),
                name="folder_unique_name_at_top",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(TenantOwned):
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="tag_unique_name_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class Asset(TenantOwned):
    """One image: the stored original is the re-encoded, metadata-free version of the upload."""

    class Status(models.TextChoices):
        PROCESSING = "processing", _("Preparing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class PadMode(models.TextChoices):
        CROP = "crop", _("Crop around the focal point")
        PAD = "pad", _("Pad with a colour")

    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(max_length=2000, blank=True)
    tags = models.ManyToManyField(Tag, through="AssetTag", related_name="assets", blank=True)
    # Denormalised "title description tags" for full-text search (GIN index on PostgreSQL).
    search_text = models.TextField(blank=True, default="", editable=False)

    key = models.CharField(max_length=200, unique=True, editable=False)
    content_type = models.CharField(max_length=40, editable=False)
    source_format = models.CharField(max_length=10, editable=False)  # what the upload really was
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    bytes = models.PositiveBigIntegerField(editable=False)  # stored original
    upload_bytes = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)  # of the uploaded bytes

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    focal_x = models.FloatField(default=0.5)
    focal_y = models.FloatField(default=0.5)
    instagram_mode = models.CharField(max_length=4, choices=PadMode.choices, default=PadMode.CROP)
    pad_color = models.CharField(max_length=7, default="#ffffff")

    times_used = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set for the grid by assets.selectors.asset_list / with_tile_links (not columns).
    detail_url: str
    thumb_url: str
    tag_names: list[str]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "sha256"], name="asset_unique_hash_per_tenant"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="asset_tenant_newest"),
            models.Index(fields=["tenant", "folder"], name="asset_tenant_folder"),
        ]

    def __str__(self) -> str:
        return self.title or f"Asset {self.pk}"

    @property
    def orientation(self) -> str:
        if self.width > self.height:
            return "landscape"
        if self.height > self.width:
            return "portrait"
        return "square"


class AssetTag(TenantOwned):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "tag"], name="assettag_unique_pair")
        ]


class Rendition(TenantOwned):
    class Kind(models.TextChoices):
        THUMB = "thumb", _("Thumbnail")
        WEB = "web", _("Web size")
        INSTAGRAM = "instagram", _("Instagram")

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="renditions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=40, default="image/jpeg")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveBigIntegerField()
    # Unguessable; only the Instagram rendition is served publicly under it (Meta fetches it).
    public_token = models.CharField(max_length=64, unique=True, default=public_token)
    created_at = models.DateTimeField(auto_now_add=True)

    url: str  # set for the detail page by assets.selectors.rendition_url (not a column)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "kind"], name="rendition_unique_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of asset {self.asset_id}"


class TenantStorage(Tenant):
    """Admin-only view of a tenant's storage use (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "storage usage"
        verbose_name_plural = "storage usage per tenant"
