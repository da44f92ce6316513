"""Library pages under /t/<tenant_slug>/library/. The middleware has already checked membership
and activated the tenant scope; every query here still filters by ``request.tenant``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from assets import images, selectors, services, sidebar, tiles, uploads
from assets import links as asset_links
from assets.access import access_asset, access_folder
from assets.forms import (
    AssetForm,
    BulkForm,
    FolderCreateForm,
    FolderDeleteForm,
    FolderMoveForm,
    FolderRenameForm,
    LibraryFilterForm,
    UploadForm,
    folder_choices,
)
from assets.models import Asset, Folder, Rendition
from assets.tiles import TileRow
from tenants.http import TenantRequest
from tenants.redirects import safe_next_path

PAGE_SIZE = 48
PICKER_PAGE_SIZE = 24
FILE_KINDS = {"original", *Rendition.Kind.values}
IMMUTABLE = "max-age=31536000, immutable"  # a year: for URLs whose bytes never change


def _library_url(request: TenantRequest, **params) -> str:
    url = asset_links.of_restaurant(request.tenant.slug).library
    query = "&".join(f"{k}={v}" for k, v in params.items() if v not in (None, ""))
    return f"{url}?{query}" if query else url


def _next_or_library(request: TenantRequest) -> str:
    """Back to the ``next`` page when it is one of this restaurant's pages (a path:
    `tenants.redirects.safe_next_path`), else to the library. A bare word is not a path:
    `redirect` would look it up as a URL name and fail."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return safe_next_path(request.tenant, target) or _library_url(request)


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@require_GET
def library(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    tenant = request.tenant
    summary = selectors.library_summary(tenant=tenant)
    nodes = selectors.folder_tree(tenant=tenant, counts=summary.per_folder)
    tags = selectors.tag_list(tenant=tenant)
    filter_form = LibraryFilterForm(request.GET, tenant=tenant, nodes=nodes, tags=tags)
    status = 200
    matches: selectors.AssetMatches | list[TileRow] = []
    if filter_form.is_valid():
        matches = selectors.AssetMatches(
            tenant=tenant, filters=filter_form.filters(), per_page=PAGE_SIZE
        )
    else:
        status = 400
    paginator = Paginator(matches, PAGE_SIZE)
    if filter_form.is_valid() and not filter_form.narrows():
        # A whole folder (or the whole library): the summary has counted it already.
        paginator.count = _folder_count(summary, filter_form.cleaned_data.get("folder"))
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = selectors.with_tile_links(tenant=tenant, assets=page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    current_folder = filter_form.cleaned_data.get("folder") if filter_form.is_valid() else None
    selected_tag_pk = getattr(filter_form.cleaned_data.get("tag"), "pk", None)
    context = {
        "links": asset_links.of_restaurant(tenant.slug),
        "page": page,
        "tiles": tiles.tiles(page.object_list, tenant_slug=tenant.slug),
        "nodes": nodes,
        "folder_links": sidebar.folder_links(nodes, current_pk=getattr(current_folder, "pk", None)),
        "tags": tags,
        "filter_form": filter_form,
        "upload_form": UploadForm(
            nodes=nodes,
            initial={"folder": request.GET.get("folder", "") if filter_form.is_valid() else ""},
        ),
        "bulk_action_options": sidebar.options(BulkForm.ACTIONS),
        # The bulk bar's menus as BulkForm has them (its folder field: folder_choices).
        "bulk_folder_options": sidebar.options(folder_choices(nodes, empty_label="No folder")),
        "tag_options": sidebar.options(
            ((t.pk, t.name) for t in tags),
            selected=selected_tag_pk,
        ),
        "tag_suggestions": sidebar.options((t.name, None) for t in tags),
        "folder_form": FolderCreateForm(nodes=nodes),
        "current_folder": current_folder,
        "current_folder_pk": getattr(current_folder, "pk", None),
        "query": query.urlencode(),
        "summary": summary,
        # A search or filter that finds nothing offers a way back to the whole folder.
        "narrowed": filter_form.is_valid() and filter_form.narrows(),
        "clear_url": _library_url(
            request, folder=getattr(current_folder, "pk", current_folder) or ""
        ),
    }
    template = "assets/library.html"
    if request.headers.get("HX-Target") == "asset-results":
        template = "assets/_results.html"
    return TemplateResponse(request, template, context, status=status)


def _folder_count(summary: selectors.LibrarySummary, folder: Folder | str | None) -> int:
    """Photos in ``folder`` as the library filter form cleans it: a folder, "none" (no
    folder) or nothing (every photo)."""
    if isinstance(folder, Folder):
        return summary.per_folder.get(folder.pk, 0)
    return summary.unfiled if folder == "none" else summary.total


@csrf_exempt
def upload(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Upload one or more photos. The size limit is installed before the body is parsed, which
    is why CSRF is checked inside (`_upload`) rather than by the middleware."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    handler = uploads.install(request)
    return _upload(request, tenant_slug, handler=handler)


@csrf_protect
def _upload(
    request: TenantRequest, tenant_slug: str, *, handler: uploads.SizeLimitUploadHandler
) -> HttpResponse:
    tenant = request.tenant
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = UploadForm(request.POST, nodes=selectors.folder_tree(tenant=tenant))
    results: list[dict] = []
    limit_mb = handler.limit // (1024 * 1024)
    for name in handler.too_large:
        results.append(
            {
                "name": services.clean_title(name),
                "ok": False,
                "code": "size",
                "message": f"This file is larger than {limit_mb} MB.",
            }
        )
    if not form.is_valid():
        results.append({"name": "", "ok": False, "code": "folder", "message": _errors(form)})
    else:
        files = request.FILES.getlist("file")
        if not files and not handler.too_large:
            results.append(
                {"name": "", "ok": False, "code": "none", "message": "Choose at least one photo."}
            )
        for upload_file in files:
            results.append(_upload_one(request, upload_file, folder=form.cleaned_data["folder"]))
    accepted = [r for r in results if r["ok"]]
    if wants_json:
        status = 200 if accepted else (413 if any(r["code"] == "size" for r in results) else 400)
        return JsonResponse({"results": results, "library": _library_counts(tenant)}, status=status)
    for r in results:
        level = messages.SUCCESS if r["ok"] else messages.ERROR
        messages.add_message(request, level, f"{r['name'] or 'Upload'}: {r['message']}")
    return redirect(_next_or_library(request))


def _library_counts(tenant) -> dict:
    """What the library page shows next to its folders, for assets.js to update after uploads."""
    summary = selectors.library_summary(tenant=tenant)
    return {
        "total": summary.total,
        "unfiled": summary.unfiled,
        "storage_used": filesizeformat(summary.storage_used),
        "folders": {
            str(n.folder.pk): n.asset_count
            for n in selectors.folder_tree(tenant=tenant, counts=summary.per_folder)
        },
    }


def _upload_one(request: TenantRequest, upload_file, *, folder: Folder | None) -> dict:
    name = services.clean_title(upload_file.name)
    try:
        result = services.asset_create_from_upload(
            tenant=request.tenant,
            upload=upload_file,
            file_name=upload_file.name,
            folder=folder,
            user=request.user,
        )
    except images.ImageRejected as exc:
        return {"name": name, "ok": False, "code": exc.code, "message": exc.message}
    except ValidationError as exc:
        return {"name": name, "ok": False, "code": "invalid", "message": " ".join(exc.messages)}
    finally:
        upload_file.close()
    asset = result.asset
    return {
        "name": name,
        "ok": True,
        "code": "duplicate" if result.duplicate else "created",
        "message": "Already in your library." if result.duplicate else "Uploaded.",
        "asset_id": asset.pk,
        "duplicate": result.duplicate,
        "tile": tiles.tile(_with_links(request, asset), tenant_slug=request.tenant.slug),
    }


@require_GET
def asset_tile(request: TenantRequest, tenant_slug: str, asset_id: int) -> HttpResponse:
    """The picture part of a grid tile: a tile still being prepared polls this until it is
    ready, and only that part is swapped (its tick box and caption, and focus, stay put)."""
    asset = access_asset(tenant=request.tenant, id=asset_id)
    return HttpResponse(
        tiles.tile_media(_with_links(request, asset), tenant_slug=request.tenant.slug)
    )


def _with_links(request: TenantRequest, asset: Asset) -> Asset:
    return selectors.with_tile_links(tenant=request.tenant, assets=[asset])[0]


@require_GET
def asset_file(
    request: TenantRequest, tenant_slug: str, asset_id: int, kind: str
) -> HttpResponseBase:
    """A stored file of the tenant's asset, with the content type sniffed at upload + nosniff."""
    if kind not in FILE_KINDS:
        raise Http404("No such file.")
    asset = access_asset(tenant=request.tenant, id=asset_id)
    cache = "private, max-age=3600"
    if kind == "original":
        key, content_type = asset.key, asset.content_type
    else:
        rendition = selectors.rendition_for(asset=asset, kind=kind)
        if rendition is None:
            raise Http404("Not ready yet.")
        key, content_type = rendition.key, rendition.content_type
        # A URL naming this rendition (selectors.rendition_url) never shows other bytes.
        current = request.GET.get("v") == str(rendition.pk)
        cache = f"private, {IMMUTABLE}" if current else "private, no-cache"
    download = request.GET.get("download") == "1"
    return _stream(key, content_type, cache=cache, download=download)


def _stream(key: str, content_type: str, *, cache: str, download: bool = False) -> FileResponse:
    try:
        fh = storages["default"].open(key, "rb")
    except OSError:  # FileNotFoundError included
        raise Http404("The file is missing.") from None
    ext = images.FORMATS.get(content_type.split("/")[-1].upper(), ("", "", "jpg"))[2]
    response = FileResponse(
        fh, content_type=content_type, as_attachment=download, filename=f"photo.{ext}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def public_instagram(request: HttpRequest, token: str) -> HttpResponseBase:
    """The Instagram rendition, public by an unguessable token because Meta fetches it."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if len(token) < 40:  # not one of ours: no query
        raise Http404("No such image.")
    rendition = selectors.public_instagram_rendition(token=token)
    if rendition is None:
        raise Http404("No such image.")
    # The token names one rendition; a new one (another focal point) gets a new token.
    return _stream(rendition.key, rendition.content_type, cache=f"public, {IMMUTABLE}")


def asset_detail(request: TenantRequest, tenant_slug: str, asset_id: int) -> HttpResponse:
    asset = access_asset(tenant=request.tenant, id=asset_id)
    tenant = request.tenant
    nodes = selectors.folder_tree(tenant=tenant)
    if request.method == "POST":
        form = AssetForm(request.POST, asset=asset, nodes=nodes)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.asset_update(
                    asset=asset,
                    title=data["title"],
                    description=data["description"],
                    tag_names=form.tag_names(),
                    folder=data["folder"],
                    focal_x=data["focal_x"],
                    focal_y=data["focal_y"],
                    instagram_mode=data["instagram_mode"],
                    pad_color=data["pad_color"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Saved.")
                return redirect("assets:asset_detail", tenant_slug=tenant.slug, asset_id=asset.pk)
        status = 400
    else:
        form, status = AssetForm(asset=asset, nodes=nodes), 200
    renditions = selectors.renditions_by_kind(asset=asset)
    for rendition in renditions.values():
        rendition.url = selectors.rendition_url(tenant=tenant, rendition=rendition)
    return TemplateResponse(
        request,
        "assets/detail.html",
        {
            "asset": asset,
            "form": form,
            "renditions": renditions,
            "tag_names": selectors.tag_suggestions(tenant=tenant),
        },
        status=status,
    )


@require_POST
def bulk(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    tenant = request.tenant
    nodes = selectors.folder_tree(tenant=tenant)
    form = BulkForm(request.POST, tenant=tenant, nodes=nodes)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(_next_or_library(request))
    data = form.cleaned_data
    assets, action = list(data["assets"]), data["action"]
    count = len(assets)
    noun = "photo" if count == 1 else "photos"
    if action == "move":
        services.assets_move(tenant=tenant, assets=assets, folder=data["folder"])
        where = data["folder"].name if data["folder"] else "no folder"
        messages.success(request, f"Moved {count} {noun} to {where}.")
    elif action == "tag":
        services.assets_tag(tenant=tenant, assets=assets, tag_names=[data["tag"]])
        messages.success(request, f"Tagged {count} {noun} “{data['tag'].strip()}”.")
    elif action == "untag":
        services.assets_untag(tenant=tenant, assets=assets, tag_names=[data["tag"]])
        messages.success(request, f"Removed “{data['tag'].strip()}” from {count} {noun}.")
    elif not data["confirm"]:
        return TemplateResponse(
            request,
            "assets/bulk_confirm.html",
            {"assets": assets, "count": count, "next": _next_or_library(request)},
        )
    else:
        services.assets_delete(tenant=tenant, assets=assets)
        messages.success(request, f"Deleted {count} {noun}.")
    return redirect(_next_or_library(request))


@require_POST
def folder_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = FolderCreateForm(request.POST, nodes=selectors.folder_tree(tenant=request.tenant))
    if form.is_valid():
        try:
            folder = services.folder_create(
                tenant=request.tenant,
                name=form.cleaned_data["name"],
                parent=form.cleaned_data["parent"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Folder “{folder.name}” created.")
            return redirect(_library_url(request, folder=folder.pk))
    else:
        messages.error(request, _errors(form))
    return redirect(_library_url(request))


def folder_edit(request: TenantRequest, tenant_slug: str, folder_id: int) -> HttpResponse:
    folder = access_folder(tenant=request.tenant, id=folder_id)
    # Only folders it can go into: not itself, nor one inside it.
    nodes = selectors.folder_move_targets(
        nodes=selectors.folder_tree(tenant=request.tenant), folder=folder
    )
    rename_form = FolderRenameForm(initial={"name": folder.name})
    move_form = FolderMoveForm(nodes=nodes, initial={"parent": str(folder.parent_id or "")})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        form: FolderRenameForm | FolderMoveForm = (
            FolderRenameForm(request.POST)
            if action == "rename"
            else FolderMoveForm(request.POST, nodes=nodes)
        )
        if form.is_valid():
            try:
                if action == "rename":
                    services.folder_rename(folder=folder, name=form.cleaned_data["name"])
                else:
                    services.folder_move(folder=folder, parent=form.cleaned_data["parent"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Folder saved.")
                return redirect(_library_url(request, folder=folder.pk))
        status = 400
        if isinstance(form, FolderRenameForm):
            rename_form = form
        else:
            move_form = form
    return TemplateResponse(
        request,
        "assets/folder_edit.html",
        {"folder": folder, "rename_form": rename_form, "move_form": move_form},
        status=status,
    )


def folder_delete(request: TenantRequest, tenant_slug: str, folder_id: int) -> HttpResponse:
    folder = access_folder(tenant=request.tenant, id=folder_id)
    asset_count, child_count = selectors.folder_contents_count(folder=folder)
    form = FolderDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.folder_delete(
                folder=folder, move_contents_to_parent=form.cleaned_data["contents"] == "move"
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_library_url(request, folder=folder.pk))
        messages.success(request, f"Folder “{folder.name}” deleted.")
        return redirect(_library_url(request, folder=folder.parent_id or ""))
    return TemplateResponse(
        request,
        "assets/folder_delete.html",
        {
            "folder": folder,
            "form": form,
            "asset_count": asset_count,
            "child_count": child_count,
            "empty": not asset_count and not child_count,
        },
    )


@require_GET
def picker(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """The asset picker (a modal partial), see templates/assets/_picker.html for how to use it."""
    tenant = request.tenant
    nodes = selectors.folder_tree(tenant=tenant)
    form = LibraryFilterForm(request.GET, tenant=tenant, nodes=nodes, tags=None)
    matches: selectors.AssetMatches | list[TileRow] = []
    if form.is_valid():
        matches = selectors.AssetMatches(
            tenant=tenant, filters=form.filters(), per_page=PICKER_PAGE_SIZE, ready_only=True
        )
    page = Paginator(matches, PICKER_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_tile_links(tenant=tenant, assets=page.object_list, tags=False)
    multiple = request.GET.get("multiple", "1") != "0"
    template = "assets/_picker.html"
    if request.headers.get("HX-Target") == "picker-results":
        template = "assets/_picker_results.html"
    return TemplateResponse(
        request,
        template,
        {
            "page": page,
            "tiles": tiles.picker_tiles(page.object_list, multiple=multiple),
            "nodes": nodes,
            "form": form,
            "multiple": multiple,
            "current_folder": form.cleaned_data.get("folder") if form.is_valid() else None,
        },
        status=200 if form.is_valid() else 400,
    )
