"""Access inside a tenant: role checks, and the ``access_<thing>`` lookups every app uses.

The middleware already guarantees membership; `owner_required` adds the owner role (a member
without it gets a 403). An object is fetched with ``access_<thing>(*, tenant, id, lock=False)``
(docs/conventions.md): another tenant's object, or one that does not exist, is a 404 — the
same answer, so ids of other restaurants reveal nothing. Each app defines its own in
``<app>/access.py`` on top of `access_in_tenant`; ``lock=True`` takes a row lock
(``select_for_update``) and must run inside ``transaction.atomic()``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from tenants.models import Invitation, Membership, Tenant

M = TypeVar("M", bound=Model)


def access_in_tenant(
    queryset: QuerySet[M], *, tenant: Tenant, id: Any, lock: bool = False, what: str = "object"
) -> M:
    """The object with this id in this tenant's rows of ``queryset``, or `Http404`. Its
    ``tenant`` is the one given (not read again, nor joined in the query)."""
    rows = queryset.filter(tenant=tenant)
    if lock:
        rows = rows.select_for_update()
    try:
        found = rows.get(pk=id)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        raise Http404(f"No such {what}.") from None
    found.tenant = tenant  # type: ignore[attr-defined]  # the row's own: the query filtered on it
    return found


def access_read(statement: Any, *, tenant: Tenant, what: str = "object", **key: Any) -> Any:
    """`access_in_tenant` for a lookup compiled once per process (a `lib.statements.Statement`
    taking ``tenant`` and the object's key, already parsed by the caller: a page that reads its
    object on every request). The same answers: the row, its ``tenant`` the one given, or
    `Http404` for a missing one or another tenant's."""
    found = statement.first(tenant=tenant, **key)
    if found is None:
        raise Http404(f"No such {what}.")
    found.tenant = tenant  # the row's own: the statement filtered on it
    return found


def access_membership(*, tenant: Tenant, id: Any, lock: bool = False) -> Membership:
    return access_in_tenant(
        Membership.objects.select_related("user"),
        tenant=tenant,
        id=id,
        lock=lock,
        what="member",
    )


def access_invitation(*, tenant: Tenant, id: Any, lock: bool = False) -> Invitation:
    """An invitation of this tenant that is still open (not accepted yet)."""
    return access_in_tenant(
        Invitation.objects.filter(accepted_at__isnull=True),
        tenant=tenant,
        id=id,
        lock=lock,
        what="invitation",
    )


def owner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only the restaurant's owners may use this view (staff get 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if membership is None or not membership.is_owner:
            raise PermissionDenied("Only the restaurant's owners can do this.")
        return view(request, *args, **kwargs)

    wrapper.owner_only = True  # type: ignore[attr-defined]  # read by the URL-enumerating isolation test
    return wrapper
