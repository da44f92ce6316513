"""The receiver's lean path: ``/webhooks/facebook`` skips the rest of the middleware stack.

Facebook POSTs every event of every restaurant to one URL, signed, without cookies; the view
answers ``text/plain``. Sessions, CSRF (the view is ``csrf_exempt``: the signature is its
authentication), users, messages, tenant scopes and URL resolution do nothing for it but cost
most of a delivery's CPU time (docs/performance.md, "Webhooks"). So this middleware, placed
after ``SecurityMiddleware`` (which still redirects plain HTTP and sets its headers; WhiteNoise,
between them outside tests, only serves ``/static/``),
hands that one path straight to `webhooks.views.receiver.facebook` and gives the answer the
headers the skipped middleware would have set (Content-Length, X-Frame-Options, the
Content-Security-Policy).
Every other path goes through the whole stack unchanged. The view itself is unchanged: size
cap, signature on the raw bytes, one insert, enqueue after commit, 5xx when the database or
broker is down (docs/webhooks.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from webhooks.views import receiver as receiver_views

# The path webhooks/urls_public.py routes to the same view (a test keeps the two equal).
RECEIVER_PATH = "/webhooks/facebook"


class WebhookReceiverMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != RECEIVER_PATH:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS still applies (DisallowedHost → 400), as in CommonMiddleware
        response = receiver_views.facebook(request)
        # What CommonMiddleware, XFrameOptionsMiddleware and CSPMiddleware add to every other
        # answer. The length also spares gunicorn the chunked framing (one write fewer).
        if not response.streaming:
            response.headers.setdefault("Content-Length", str(len(response.content)))
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        response.headers.setdefault("Content-Security-Policy", _policy())
        return response


@functools.cache
def _policy() -> str:
    """The CONTENT_SECURITY_POLICY header without a nonce (a text/plain answer runs no script)."""
    return build_policy()


@receiver(setting_changed)
def _policy_forget(*, setting: str, **kwargs: object) -> None:
    if setting == "CONTENT_SECURITY_POLICY":
        _policy.cache_clear()
