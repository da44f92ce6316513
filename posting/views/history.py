"""The posts list (what went out, what is coming, what needs the owner) and one post's page with
its publications' states, links and actions (retry, publish now, reschedule, cancel)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from lib.form_rendering import fields_html, unbound_fields_html
from lib.pagination import page_with_total
from posting import links, selectors, services
from posting.access import access_post, access_publication
from posting.models import Publication
from posting.rules import PostRefused
from tenants.http import TenantRequest
from tenants.models import Tenant

PAGE_SIZE = selectors.LIST_PAGE


class HistoryFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "Any state"), *Publication.State.choices]
    )
    network = forms.ChoiceField(
        label="Network",
        required=False,
        choices=[("", "Facebook and Instagram"), *Publication.Network.choices],
    )
    account = forms.ChoiceField(label="Account", required=False)
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, accounts: list[tuple[str, str]], **kwargs) -> None:
        """``accounts``: (id, name) of each account (`posting.selectors.account_names`)."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["account"]).choices = [
            ("", "All accounts"),
            *accounts,
        ]


_FILTER_FIELDS = "posting/_filter_fields.html"


def filter_fields(form: HistoryFilterForm) -> SafeString:
    """The filter's fields as templates/posting/_filter_fields.html draws them."""
    return fields_html(_FILTER_FIELDS, form=form)


def _unbound_fields(accounts: tuple[tuple[str, str], ...]) -> SafeString:
    """The filter as the list opens, once per process for each list of accounts."""
    return unbound_fields_html(_FILTER_FIELDS, "form", HistoryFilterForm, accounts)


@require_GET
def history(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    tenant = request.tenant
    accounts = selectors.account_names(tenant=tenant)
    filters = selectors.HistoryFilters()
    if request.GET:
        form = HistoryFilterForm(request.GET, accounts=accounts)
        if form.is_valid():
            filters = selectors.HistoryFilters(**form.cleaned_data)
        fields = filter_fields(form)
    else:
        fields = _unbound_fields(tuple(accounts))
    page = _page(tenant, filters, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    posts = selectors.posts_listed(tenant=tenant, rows=page.object_list)
    held = selectors.publications_held(tenant=tenant)
    awaiting = held.awaiting_choice[:20]
    urls = links.of_restaurant(tenant.slug)
    for post in posts:
        post.url = urls.detail(post.pk)
        first = post.first_asset_id
        post.thumb_url = urls.thumb(first) if first else ""
    context = {
        "links": urls.pages,
        "filter_fields": fields,
        "page": page,
        "posts": posts,
        "filtered": any(vars(filters).values()),
        "query": query.urlencode(),
        "awaiting": awaiting,
        "held": held.for_reconnect,
    }
    return TemplateResponse(request, "posting/history.html", context)


def _page(tenant: Tenant, filters: selectors.HistoryFilters, number: str | None) -> Page:
    """The page of posts asked for, with the total: the first page of the list as it opens (or
    filtered by state or network) from one statement (`selectors.posts_first_page`), any other
    page as `lib.pagination.page_with_total` reads it."""
    first = _page_number(number) == 1 and selectors.posts_first_page(tenant=tenant, filters=filters)
    if not first:
        listed = selectors.post_history(tenant=tenant, filters=filters)
        return page_with_total(
            listed.values_list(*selectors.POST_LIST_FIELDS), per_page=PAGE_SIZE, number=number
        )
    rows, total = first
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = total  # cached_property: nothing counts the rows again
    return paginator.page(1)


def _page_number(number: str | None) -> int:
    """As `page_with_total` reads it: anything but a number is the first page."""
    try:
        return int(number or "")
    except ValueError:
        return 1


@require_GET
def detail(request: TenantRequest, tenant_slug: str, post_id: int) -> HttpResponse:
    tenant = request.tenant
    page = selectors.post_page(post=access_post(tenant=tenant, id=post_id))
    live = [p for p in page.publications if p.state != Publication.State.CANCELLED]
    editable = bool(live) and all(p.is_editable for p in live)
    urls = links.of_restaurant(tenant.slug)
    context = {
        "links": urls.pages,
        "edit_url": urls.edit(page.post.pk),
        "cancel_url": urls.cancel(page.post.pk),
        "post": page.post,
        "publications": page.publications,
        "attempt_lists": page.attempt_lists,
        "media": page.media,
        "editable": editable,
    }
    return TemplateResponse(request, "posting/detail.html", context)


def _back(request: TenantRequest, publication: Publication) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt in ("history", "calendar"):
        name = "posting:history" if nxt == "history" else "calendar:month"
        return redirect(name, tenant_slug=request.tenant.slug)
    return redirect("posting:detail", tenant_slug=request.tenant.slug, post_id=publication.post_id)


@require_POST
def publication_action(
    request: TenantRequest, tenant_slug: str, publication_id: int, action: str
) -> HttpResponse:
    """retry | publish-now | cancel | reschedule for one publication."""
    publication = access_publication(tenant=request.tenant, id=publication_id)
    try:
        if action == "retry":
            services.publication_retry(publication=publication)
            messages.success(request, "It will be tried again within a minute.")
        elif action == "publish-now":
            services.publication_publish_now(publication=publication)
            messages.success(request, "It is on its way; it usually goes out within a minute.")
        elif action == "cancel":
            services.publication_cancel(publication=publication)
            messages.success(request, f"Cancelled for {publication.account}.")
        elif action == "reschedule":
            when = _wall_time(request)
            if when is None:
                raise PostRefused("Pick a day and a time.", code="no_time")
            result = services.publication_reschedule(publication=publication, when=when)
            messages.success(request, "Rescheduled.")
            for note in result.notes:
                messages.warning(request, note)
        else:
            raise PostRefused("That is not something a post can do.", code="unknown_action")
    except PostRefused as refused:
        messages.error(request, refused.sentence)
    return _back(request, publication)


def _wall_time(request: TenantRequest) -> datetime | None:
    try:
        return datetime.strptime(
            f"{request.POST.get('date', '')} {request.POST.get('time', '')}", "%Y-%m-%d %H:%M"
        )
    except ValueError:
        return None


@require_POST
def post_cancel(request: TenantRequest, tenant_slug: str, post_id: int) -> HttpResponse:
    post = access_post(tenant=request.tenant, id=post_id)
    try:
        services.post_cancel(post=post)
        messages.success(request, "The post is cancelled; nothing will go out.")
    except PostRefused as refused:
        messages.error(request, refused.sentence)
    return redirect("posting:detail", tenant_slug=request.tenant.slug, post_id=post.pk)
