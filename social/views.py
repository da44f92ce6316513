"""Accounts page, Connect / callback / page picker, check, reconnect, disconnect, and
Facebook's deauthorize and data-deletion callbacks. Views parse, call one service, render."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from social import selectors
from social.access import access_account
from social.forms import PagePickerForm
from social.graph import GraphError
from social.graph.signed_request import SignedRequestInvalid, parse_signed_request
from social.models import DataDeletionRequest, OAuthState, SocialAccount
from social.services import connections, lifecycle, oauth, token_health
from tenants.access import owner_required
from tenants.http import TenantRequest
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def _accounts_url(tenant: Tenant) -> str:
    return reverse("social:accounts", kwargs={"tenant_slug": tenant.slug})


@require_GET
def accounts(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    rows = list(selectors.accounts_for_tenant(tenant=request.tenant))
    return render(
        request,
        "social/accounts.html",
        {
            "accounts": rows,
            "holding": [a for a in rows if a.is_holding],
            "history": [a for a in rows if not a.is_holding],
            "checks": selectors.recent_checks(tenant=request.tenant),
            "required_scopes": settings.FACEBOOK_SCOPES,
            "missing_scopes": sorted({s for a in rows if a.is_holding for s in a.missing_scopes}),
            "tz": request.tenant.tzinfo,
        },
    )


def _start(
    request: TenantRequest, purpose: str, account: SocialAccount | None = None
) -> HttpResponse:
    url = oauth.oauth_start(
        tenant=request.tenant,
        user=request.user,
        session=request.session,
        purpose=purpose,
        reconnect_account=account,
        next_path=request.POST.get("next") or request.GET.get("next") or "",
    )
    return redirect(url)


@owner_required
@require_POST
def connect(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return _start(request, OAuthState.Purpose.CONNECT)


@owner_required
@require_POST
def rerequest(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return _start(request, OAuthState.Purpose.REREQUEST)


@owner_required
@require_http_methods(["GET", "POST"])
def reconnect(request: TenantRequest, tenant_slug: str, account_id) -> HttpResponse:
    """GET too: the one-click link in the "needs reconnecting" email starts the flow."""
    return _start(
        request, OAuthState.Purpose.RECONNECT, access_account(tenant=request.tenant, id=account_id)
    )


@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Facebook's redirect. Public URL; the tenant comes from the server-side state."""
    if not request.user.is_authenticated:
        return _connect_error(
            request,
            "You were logged out before Facebook sent you back. Nothing was saved; log in and "
            "connect again.",
        )
    try:
        outcome = oauth.oauth_callback(
            params=request.GET.dict(), user=request.user, session=request.session
        )
    except connections.ConnectError as exc:
        # The reason is a short code for operators; the owner sees exc.message.
        logger.info("facebook connect ended without a connection: %s", exc.reason)
        if exc.tenant is None:
            return _connect_error(request, exc.message)
        level = messages.INFO if isinstance(exc, connections.ConnectCancelled) else messages.ERROR
        messages.add_message(request, level, exc.message)
        return redirect(_accounts_url(exc.tenant))
    if outcome.connected is not None:
        return _connected(request, outcome.tenant, outcome.connected)
    if outcome.message:
        level = messages.ERROR if outcome.message_is_error else messages.WARNING
        messages.add_message(request, level, outcome.message)
    assert outcome.pending is not None  # no connection: the picker shows the pending one
    return redirect("social:pick", tenant_slug=outcome.tenant.slug, pending_id=outcome.pending.pk)


def _connect_error(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "social/connect_error.html", {"message": message}, status=400)


def _connected(
    request: HttpRequest, tenant: Tenant, result: connections.ConnectResult
) -> HttpResponse:
    names = ", ".join(str(a) for a in result.accounts)
    messages.success(request, f"Connected: {names}.")
    if result.missing_scopes:
        messages.warning(
            request,
            "Some permissions were not granted, so some features will not work: "
            + ", ".join(result.missing_scopes)
            + '. Use "Grant missing permissions" to fix this.',
        )
    return redirect(result.next_path or _accounts_url(tenant))


@owner_required
@require_http_methods(["GET", "POST"])
def pick_pages(request: TenantRequest, tenant_slug: str, pending_id) -> HttpResponse:
    pending = selectors.pending_for(
        tenant=request.tenant, pending_id=pending_id, user=request.user, session=request.session
    )
    if pending is None:
        raise Http404("This page choice has expired; connect again.")
    target = selectors.reconnect_target_page(pending=pending)  # a reconnect's page, pre-ticked
    form = PagePickerForm(
        request.POST or None, pending=pending, initial_ids=[target] if target else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = connections.connection_complete(
                pending=pending, page_ids=form.cleaned_data["page_ids"], user=request.user
            )
        except connections.ConnectError as exc:
            logger.info("facebook connect ended without a connection: %s", exc.reason)
            messages.error(request, exc.message)
            return redirect("social:pick", tenant_slug=request.tenant.slug, pending_id=pending.pk)
        return _connected(request, request.tenant, result)
    return render(request, "social/pick.html", {"form": form, "pending": pending})


@owner_required
@require_POST
def check_now(request: TenantRequest, tenant_slug: str, account_id) -> HttpResponse:
    account = access_account(tenant=request.tenant, id=account_id)
    try:
        check = token_health.account_check(account=account, trigger="manual")
    except GraphError as exc:
        messages.error(request, f"{exc.user_message}")
    else:
        level = messages.SUCCESS if check.result == check.Result.OK else messages.WARNING
        messages.add_message(request, level, f"Checked {account.name}: {check.detail}")
    return redirect(_accounts_url(request.tenant))


@owner_required
@require_POST
def disconnect(request: TenantRequest, tenant_slug: str, account_id) -> HttpResponse:
    account = access_account(tenant=request.tenant, id=account_id)
    lifecycle.account_disconnect(account=account, user=request.user)
    messages.success(request, f"Disconnected {account.name}. Its history is kept below.")
    return redirect(_accounts_url(request.tenant))


# -- Facebook's server-to-server callbacks (graph-api.md §10) --------------------------------
def _signed_payload(request: HttpRequest) -> dict | None:
    try:
        return parse_signed_request(request.POST.get("signed_request", ""))
    except SignedRequestInvalid as exc:
        logger.warning("facebook callback refused: %s", exc)
        return None


def _refused() -> JsonResponse:
    return JsonResponse({"error": "invalid signed_request"}, status=400)


@csrf_exempt
@require_POST
def deauthorize(request: HttpRequest) -> HttpResponse:
    payload = _signed_payload(request)
    if payload is None:
        return _refused()
    count = lifecycle.facebook_user_deauthorize(facebook_user_id=str(payload["user_id"]))
    logger.info("deauthorize: %s account(s) revoked", count)
    return JsonResponse({"success": True})


@csrf_exempt
@require_POST
def data_deletion(request: HttpRequest) -> HttpResponse:
    payload = _signed_payload(request)
    if payload is None:
        return _refused()
    deletion = lifecycle.facebook_user_data_delete(
        facebook_user_id=str(payload["user_id"]), issued_at=payload["issued_at"]
    )
    status_path = reverse(
        "social_data_deletion_status", kwargs={"code": deletion.confirmation_code}
    )
    return JsonResponse(
        {"url": settings.SITE_URL + status_path, "confirmation_code": deletion.confirmation_code}
    )


@require_GET
def data_deletion_status(request: HttpRequest, code: str) -> HttpResponse:
    deletion = get_object_or_404(DataDeletionRequest, confirmation_code=code)
    return render(request, "social/data_deletion_status.html", {"deletion": deletion})
