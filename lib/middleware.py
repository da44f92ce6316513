"""Response headers that depend on who is asking, and query strings no view can use."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class PrivatePagesMiddleware:
    """Pages shown to a logged-in user (the portal and the admin) must not be kept by a shared
    cache, nor by the browser after logging out: they get ``Cache-Control: private, no-store``
    (with Django's other never-cache directives). A response that set its own Cache-Control
    (e.g. a long-cached, versioned image) keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        # Without a session cookie nobody is logged in: do not touch request.user (that would
        # load the session and add "Vary: Cookie" to public, cacheable answers).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class NulCharacterMiddleware:
    """A NUL character in the query string is refused with 400 (templates/400.html).

    PostgreSQL refuses NUL in any text, so a lookup given one — the admin's list filters take
    their values straight from the query string — ended in a 500. Django's form fields already
    refuse NUL in what is posted; this covers what forms do not see."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            raise BadRequest("The query string holds a NUL character.")
        return self.get_response(request)
