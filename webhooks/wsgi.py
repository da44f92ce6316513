"""The receiver's front door: Facebook's webhook POSTs are answered before Django's handler.

Every event of every restaurant arrives at ``/webhooks/facebook``, so its cost per delivery
bounds how many restaurants one server can take (docs/performance.md, "Webhooks"). Django's
handler around the view (the request object, the request signals, the middleware chain, the
response object) cost as much CPU as verifying, parsing and storing a delivery. So
``config/wsgi.py`` wraps Django's WSGI application in `ReceiverFront`, which answers the
ordinary case itself and passes everything else to Django unchanged:

- it takes only a ``POST`` to exactly that path, from an allowed host (``ALLOWED_HOSTS``, read
  as Django reads the Host header), over HTTPS when ``SECURE_SSL_REDIRECT`` is on, with a
  plain Content-Length; anything else (the verification ``GET``, a refused host, plain HTTP to
  be redirected, a chunked body) goes to Django, which answers it as for any other URL;
- it runs the same code as the view (`webhooks.views.receiver.post_answer`: size cap, signature
  on the raw bytes, one insert, enqueue after commit, 5xx when the database or the broker is
  down);
- it does for the database connection what Django's request signals do
  (``close_old_connections`` before and after: ``CONN_MAX_AGE`` and unusable connections), and
  logs an unexpected error as Django does (``django.request``, ``Internal Server Error``) with a
  plain 500;
- its answers carry the headers Django's answer would: the ones ``SecurityMiddleware`` adds
  (HSTS on HTTPS, nosniff, Referrer-Policy, Cross-Origin-Opener-Policy), ``X-Frame-Options``, the
  Content-Security-Policy, Content-Type and Content-Length, worked out once by those same
  middleware classes. A test compares its answers with Django's, header by header.

Not sent for these requests: Django's ``request_started`` / ``request_finished`` and
``got_request_exception`` signals (nothing of ours listens beyond the connection handling done
here).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from http.client import responses
from typing import Any

from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import LimitedStream
from django.core.signals import setting_changed
from django.db import close_old_connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware

from webhooks import receive
from webhooks.views import receiver as receiver_views

# The path webhooks/urls_public.py routes to the same view (a test keeps the two equal).
RECEIVER_PATH = "/webhooks/facebook"
# Django's request log: where its handler reports an exception a view raised.
request_logger = logging.getLogger("django.request")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ReceiverFront:
    """A WSGI application: the receiver's ordinary POSTs here, every other request to ``app``."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != RECEIVER_PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        secure = _served_here(environ)
        declared = environ.get("CONTENT_LENGTH") or ""
        if secure is None or not receive.length_plain(declared):
            return self.app(environ, start_response)
        close_old_connections()
        try:
            status, text = receiver_views.post_answer(
                declared=declared,
                stream=LimitedStream(environ["wsgi.input"], int(declared)),
                signature=environ.get(receive.SIGNATURE_HEADER),
            )
        except Exception:
            request_logger.error(
                "Internal Server Error: %s",
                RECEIVER_PATH,
                exc_info=True,
                extra={"status_code": 500},
            )
            status, text = 500, "Server error; please retry."
        finally:
            close_old_connections()
        body = text.encode()
        start_response(
            f"{status} {responses[status]}",  # the reason phrase Django's answers carry
            [
                *_headers(secure),
                ("Content-Type", receiver_views.PLAIN_TEXT),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]


def _served_here(environ: dict[str, Any]) -> bool | None:
    """Whether the request came over HTTPS, or None when Django must answer it: a host
    ``ALLOWED_HOSTS`` refuses (Django's 400 and its log line), or plain HTTP that
    ``SECURE_SSL_REDIRECT`` sends to HTTPS. The same reading of the headers as Django's
    (``get_host``, ``is_secure``: ``USE_X_FORWARDED_HOST``, ``SECURE_PROXY_SSL_HEADER``)."""
    request = HttpRequest()
    request.META = environ
    try:
        request.get_host()
    except DisallowedHost:
        return None
    secure = request.is_secure()
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None
    return secure


@functools.cache
def _headers(secure: bool) -> tuple[tuple[str, str], ...]:
    """The headers Django's middleware gives a text/plain answer of this path, but its type and
    length: worked out once per process by ``SecurityMiddleware`` itself, then what
    ``XFrameOptionsMiddleware`` and the CSP middleware add (no nonce: the answer runs no script)."""
    request = HttpRequest()
    request.is_secure = lambda: secure  # type: ignore[method-assign]
    response = HttpResponse()
    SecurityMiddleware(lambda request: response).process_response(request, response)
    response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
    response.headers.setdefault("Content-Security-Policy", build_policy())
    return tuple((name, value) for name, value in response.items() if name != "Content-Type")


@receiver(setting_changed)
def _headers_forget(**kwargs: object) -> None:
    _headers.cache_clear()
