"""Role checks inside a tenant. The middleware already guarantees membership; these add roles.

Another tenant's object is a 404 (the middleware and scoped managers see to that); a member
without the role gets a 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def owner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only the restaurant's owners may use this view (staff get 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if membership is None or not membership.is_owner:
            raise PermissionDenied("Only the restaurant's owners can do this.")
        return view(request, *args, **kwargs)

    wrapper.owner_only = True  # read by the URL-enumerating isolation test
    return wrapper
