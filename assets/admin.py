"""Operators' view of every tenant's library: assets with thumbnails, folders, storage per tenant.

Admin runs unscoped for staff (tenants.middleware); the thumbnail view lives under /admin/ so it
gets the same staff-only treatment."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from assets.models import Asset, Folder, Rendition, Tag, TenantStorage
from assets.selectors import per_tenant
from assets.views import _stream
from lib.admin import ChangeList, ModelAdmin, RestaurantFilter
from lib.urls import reverse_many


class _AssetChangeList(ChangeList):
    """The rows' thumbnails reversed once per page (lib/urls.py), not once per row (the change
    links are, by lib.admin.ChangeList)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        thumbnail = reverse_many(
            "admin:assets_asset_thumbnail",
            vary="asset_id",
            kwargs={},
            current_app=self.model_admin.admin_site.name,
        )
        for asset in self.result_list:
            asset.admin_thumbnail_url = thumbnail(asset.pk)


@admin.register(Asset)
class AssetAdmin(ModelAdmin):
    list_display = [
        "thumbnail",
        "title",
        "tenant",
        "folder",
        "status",
        "size",
        "times_used",
        "created_at",
    ]
    list_filter = ["status", RestaurantFilter]
    list_select_related = ["tenant", "folder"]
    # A page of 100 rows with thumbnails took 47 ms to render and 100 image requests to show;
    # the total count is one COUNT(*) over every tenant's photos (docs/performance.md).
    list_per_page = 50
    search_fields = ["title", "description", "tenant__name", "tenant__slug"]
    readonly_fields = [
        "thumbnail",
        "key",
        "content_type",
        "source_format",
        "width",
        "height",
        "bytes",
        "upload_bytes",
        "sha256",
        "search_text",
    ]
    raw_id_fields = ["folder", "uploaded_by"]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _AssetChangeList

    def get_urls(self):
        return [
            path(
                "<int:asset_id>/thumbnail/",
                self.admin_site.admin_view(self.thumbnail_view),
                name="assets_asset_thumbnail",
            ),
            *super().get_urls(),
        ]

    def thumbnail_view(self, request: HttpRequest, asset_id: int) -> HttpResponseBase:
        rendition = Rendition.objects.filter(asset_id=asset_id, kind="thumb").first()
        if rendition is None:
            raise Http404("No thumbnail yet.")
        return _stream(rendition.key, rendition.content_type, cache="private, max-age=3600")

    @admin.display(description="Photo")
    def thumbnail(self, obj: Asset) -> str:
        if not obj.pk or obj.status != Asset.Status.READY:
            return "—"
        url = getattr(obj, "admin_thumbnail_url", None) or reverse(
            "admin:assets_asset_thumbnail", args=[obj.pk]
        )
        return format_html('<img src="{}" alt="" width="64" height="64" class="admin-thumb">', url)

    @admin.display(description="Size", ordering="bytes")
    def size(self, obj: Asset) -> str:
        return filesizeformat(obj.bytes)


@admin.register(Folder)
class FolderAdmin(ModelAdmin):
    list_display = ["name", "tenant", "parent", "is_protected", "created_at"]
    list_filter = ["is_protected", RestaurantFilter]
    list_select_related = ["tenant", "parent"]
    search_fields = ["name", "tenant__name"]
    raw_id_fields = ["parent"]


@admin.register(Tag)
class TagAdmin(ModelAdmin):
    list_display = ["name", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name", "tenant__name"]


@admin.register(TenantStorage)
class TenantStorageAdmin(ModelAdmin):
    """Storage used per tenant (originals + renditions), biggest first."""

    list_display = ["name", "slug", "asset_count", "originals", "renditions", "total"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _assets=per_tenant(Asset, Count("id")),
                _originals=per_tenant(Asset, Sum("bytes")),
                _renditions=per_tenant(Rendition, Sum("bytes")),
            )
            .order_by("-_originals")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Assets", ordering="_assets")
    def asset_count(self, obj) -> int:
        return obj._assets

    @admin.display(description="Originals", ordering="_originals")
    def originals(self, obj) -> str:
        return filesizeformat(obj._originals)

    @admin.display(description="Renditions", ordering="_renditions")
    def renditions(self, obj) -> str:
        return filesizeformat(obj._renditions)

    @admin.display(description="Total")
    def total(self, obj) -> str:
        return filesizeformat(obj._originals + obj._renditions)
