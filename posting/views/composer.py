"""The composer: write a post (with the AI writer and photo suggestions), see what Facebook and
Instagram will show, and publish it now, schedule it or keep it as a draft."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from posting import ai, links, selectors, services
from posting.access import access_post
from posting.forms import ComposerForm
from posting.models import Post
from posting.rules import PostRefused
from posting.suggestions import asset_suggestions
from social.models import SocialAccount
from tenants.http import TenantRequest

TOKEN_TTL = 3600  # a composer form submitted twice within the hour makes one post
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # becomes part of a cache key


def _context(request: TenantRequest, form: ComposerForm, *, post: Post | None = None) -> dict:
    tenant = request.tenant
    chosen = selectors.asset_ids_of(form.selected_asset_ids())
    return {
        "links": links.of_restaurant(tenant.slug).pages,
        "form": form,
        "post": post,
        "accounts": form.account_list,
        "media": selectors.composer_media(tenant=tenant, asset_ids=chosen),
        "post_types": ai.POST_TYPES,
        "zone": tenant.timezone,
        "now_local": timezone.now().astimezone(tenant.tzinfo),
        "ai_left": ai.ai_drafts_left(tenant=tenant),
    }


def _token_key(request: TenantRequest, token: str) -> str:
    return f"composer:{request.tenant.pk}:{request.user.pk}:{token}"


@require_http_methods(["GET", "POST"])
def post_new(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    tenant = request.tenant
    accounts = selectors.composer_accounts(tenant=tenant)
    if request.method == "GET":
        initial: dict[str, Any] = {"form_token": secrets.token_urlsafe(16), "action": "schedule"}
        if request.GET.get("date"):
            initial["date"] = request.GET["date"]
            initial["time"] = "19:00"
        if request.GET.get("asset"):
            initial["asset_ids"] = ",".join(
                str(i) for i in selectors.asset_ids_of(request.GET["asset"])
            )
        if request.GET.get("type") in ai.POST_TYPES:
            initial["post_type"] = request.GET["type"]
        initial["accounts"] = [
            str(a.pk) for a in accounts if a.status in SocialAccount.WORKING_STATUSES
        ]
        form = ComposerForm(initial=initial, tenant=tenant, accounts=accounts)
        return TemplateResponse(request, "posting/composer.html", _context(request, form))

    _refuse_foreign_ids(request)
    form = ComposerForm(request.POST, tenant=tenant, accounts=accounts)
    token = request.POST.get("form_token", "")
    if not FORM_TOKEN.fullmatch(token):  # ours come from token_urlsafe; other text is ignored
        token = ""
    if token and not cache.add(_token_key(request, token), 0, TOKEN_TTL):
        existing = cache.get(_token_key(request, token))
        messages.info(request, "This post was already saved; it was not sent twice.")
        if existing:
            return redirect("posting:detail", tenant_slug=tenant.slug, post_id=existing)
        return redirect("posting:history", tenant_slug=tenant.slug)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.post_create(
                tenant=tenant,
                author=request.user,
                account_ids=data["accounts"],
                text=data["text"],
                text_facebook=data["text_facebook"],
                text_instagram=data["text_instagram"],
                link=data["link"],
                asset_ids=[a.pk for a in data["asset_ids"]],
                when=form.when,
                publish_now=data["action"] == "publish_now",
                post_type=data["post_type"],
            )
        except PostRefused as refused:
            form.add_refusal(refused)
        else:
            if token:
                cache.set(_token_key(request, token), result.post.pk, TOKEN_TTL)
            _say_done(request, result, action=data["action"])
            return redirect("posting:detail", tenant_slug=tenant.slug, post_id=result.post.pk)
    if token:
        cache.delete(_token_key(request, token))  # nothing was made: the next submit may try
    return TemplateResponse(request, "posting/composer.html", _context(request, form), status=400)


def _refuse_foreign_ids(request: TenantRequest) -> None:
    """An account or photo id that is not this restaurant's is a 404, as for any other object of
    another restaurant (docs/architecture.md, invariant 1); nothing is saved. A photo deleted
    meanwhile is not foreign: the form says so and keeps the rest."""
    if selectors.ids_of_other_restaurants(
        tenant=request.tenant,
        account_ids=request.POST.getlist("accounts"),
        asset_ids=selectors.asset_ids_of(request.POST.get("asset_ids", "")),
    ):
        raise Http404("No such account or photo.")


def _say_done(request: TenantRequest, result: services.PostResult, *, action: str) -> None:
    what = {
        "publish_now": "Your post is on its way; it usually goes out within a minute.",
        "schedule": "Your post is scheduled.",
        "draft": "Your draft is saved.",
    }[action]
    messages.success(request, what)
    for note in result.notes:
        messages.warning(request, note)


@require_http_methods(["GET", "POST"])
def post_edit(request: TenantRequest, tenant_slug: str, post_id: int) -> HttpResponse:
    tenant = request.tenant
    post = access_post(tenant=tenant, id=post_id)
    publications = selectors.post_live_publications(post=post)
    if not publications or not all(p.is_editable for p in publications):
        messages.error(request, services.EDIT_REFUSED)
        return redirect("posting:detail", tenant_slug=tenant.slug, post_id=post.pk)
    accounts = [p.account for p in publications]
    if request.method == "GET":
        local = post.scheduled_at.astimezone(tenant.tzinfo) if post.scheduled_at else None
        initial = {
            "post_type": post.post_type,
            "accounts": [str(a.pk) for a in accounts],
            "text": post.text,
            "text_facebook": post.text_facebook,
            "text_instagram": post.text_instagram,
            "link": post.link,
            "asset_ids": ",".join(str(pk) for pk in selectors.post_photo_ids(post=post)),
            "date": local.date() if local else None,
            "time": local.strftime("%H:%M") if local else None,
            "action": "schedule" if local else "draft",
        }
        form = ComposerForm(initial=initial, tenant=tenant, accounts=accounts)
        return TemplateResponse(
            request, "posting/composer.html", _context(request, form, post=post)
        )

    data = request.POST.copy()
    data.setlist("accounts", [str(a.pk) for a in accounts])  # targets are fixed once made
    form = ComposerForm(data, tenant=tenant, accounts=accounts)
    if form.is_valid():
        cleaned = form.cleaned_data
        try:
            result = services.post_edit(
                post=post,
                text=cleaned["text"],
                text_facebook=cleaned["text_facebook"],
                text_instagram=cleaned["text_instagram"],
                link=cleaned["link"],
                asset_ids=[a.pk for a in cleaned["asset_ids"]],
                post_type=cleaned["post_type"],
            )
            if cleaned["action"] != "draft":
                result = services.post_reschedule(
                    post=post, when=form.when, publish_now=cleaned["action"] == "publish_now"
                )
        except PostRefused as refused:
            form.add_refusal(refused)
        else:
            _say_done(request, result, action=cleaned["action"])
            return redirect("posting:detail", tenant_slug=tenant.slug, post_id=post.pk)
    return TemplateResponse(
        request, "posting/composer.html", _context(request, form, post=post), status=400
    )


@require_POST
def drafts(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """The AI writer's three drafts (htmx partial)."""
    tenant = request.tenant
    chosen = selectors.composer_media(
        tenant=tenant, asset_ids=selectors.asset_ids_of(request.POST.get("asset_ids", ""))
    )
    words = [item.asset.title for item in chosen if item.asset.title]
    try:
        result = ai.drafts_write(
            tenant=tenant,
            post_type=request.POST.get("post_type", ""),
            notes=request.POST.get("notes", ""),
            photo_words=words,
            use_ai=request.POST.get("writer") != "offline",
        )
    except ai.WriterInputError as problem:
        return TemplateResponse(request, "posting/_drafts.html", {"problem": str(problem)})
    context = {"result": result, "ai_left": ai.ai_drafts_left(tenant=tenant)}
    return TemplateResponse(request, "posting/_drafts.html", context)


@require_GET
def suggestions(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Five photos for the post type and notes, each with its reason (htmx partial); photos
    that earned more engagement before rank higher once analytics has scored them."""
    # analytics sits above posting (it reads publications); only this page asks it for scores.
    from analytics.selectors import asset_scores

    tenant = request.tenant
    picked = asset_suggestions(
        tenant=tenant,
        post_type=request.GET.get("post_type", ""),
        notes=request.GET.get("notes", "")[:1000],
        scores=asset_scores(tenant=tenant),
    )
    media = {
        m.asset.pk: m
        for m in selectors.composer_media(tenant=tenant, asset_ids=[s.asset.pk for s in picked])
    }
    items = [(s, media[s.asset.pk]) for s in picked if s.asset.pk in media]
    return TemplateResponse(request, "posting/_suggestions.html", {"items": items})


@require_POST
def preview(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """What Facebook and Instagram will show for the form as it is now (htmx partial)."""
    tenant = request.tenant
    chosen = {str(a) for a in request.POST.getlist("accounts")}
    accounts = [a for a in selectors.composer_accounts(tenant=tenant) if str(a.pk) in chosen]
    text = request.POST.get("text", "")
    media = selectors.composer_media(
        tenant=tenant, asset_ids=selectors.asset_ids_of(request.POST.get("asset_ids", ""))
    )
    link = request.POST.get("link", "").strip()
    context = {
        "facebook": [a for a in accounts if a.is_page],
        "instagram": [a for a in accounts if not a.is_page],
        "text_facebook": request.POST.get("text_facebook") or text,
        "text_instagram": request.POST.get("text_instagram") or text,
        "media": media,
        "link": link,
        "link_host": link.split("//", 1)[-1].split("/", 1)[0] if link else "",
    }
    return TemplateResponse(request, "posting/_preview.html", context)
