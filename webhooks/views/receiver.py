"""``/webhooks/facebook``: Facebook's verification handshake and its signed event POSTs.

The view parses the request, calls `webhooks.receive`, and maps every outcome to the status
Meta acts on: 200 only once the events are durable and their processing is queued; 5xx when the
database or the broker is down, so Meta retries (docs/webhooks.md)."""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.db import DatabaseError, DataError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from webhooks import receive, tasks
from webhooks.receive import Readable

logger = logging.getLogger(__name__)


PLAIN_TEXT = "text/plain; charset=utf-8"


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type=PLAIN_TEXT)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def facebook(request: HttpRequest) -> HttpResponse:
    """Django's way in: the handshake, and the POSTs `webhooks.wsgi.ReceiverFront` leaves to
    Django (a refused host, a plain-HTTP redirect, an unreadable length)."""
    if request.method == "GET":
        return _handshake(request)
    status, text = post_answer(
        declared=request.META.get("CONTENT_LENGTH") or "",
        stream=request,
        signature=request.META.get(receive.SIGNATURE_HEADER),
    )
    return _plain(text, status)


def post_answer(*, declared: str, stream: Readable, signature: str | None) -> tuple[int, str]:
    """A signed POST's status and text: read (``declared``: its Content-Length), verify, store,
    enqueue. Shared by the view and `webhooks.wsgi.ReceiverFront`."""
    try:
        body = receive.body_read(declared=declared, stream=stream, limit=receive.max_body_bytes())
    except receive.BodyTooLarge:
        logger.warning("webhook refused: body over %s bytes", receive.max_body_bytes())
        return 413, "The body is larger than this endpoint accepts."
    if not receive.signature_valid(
        body=body, header=signature, secret=settings.FACEBOOK_APP_SECRET
    ):
        logger.warning("webhook refused: missing or invalid X-Hub-Signature-256")
        return 403, "The signature is missing or invalid."
    try:
        stored = receive.events_store(body=body, enqueue=tasks.delivery_enqueue)
    except receive.MalformedPayload as exc:
        logger.warning("webhook refused: signed but unreadable: %s", exc)
        return 400, "The body is not a webhook payload."
    except DataError as exc:  # not an outage: a value the database refused (docs/webhooks.md)
        logger.error("webhook not stored, the database refused a value: %s", type(exc).__name__)
        return 503, "Not stored; please retry."
    except DatabaseError as exc:
        logger.error("webhook not stored, database unavailable: %s", type(exc).__name__)
        return 503, "Not stored; please retry."
    except receive.EnqueueFailed as exc:
        logger.error("webhook not accepted, task queue unavailable: %s", exc)
        return 503, "Not queued; please retry."
    logger.info(
        "webhook stored: delivery %s, %s items, %s new",
        stored.delivery_id,
        stored.items,
        stored.new,
    )
    return 200, "OK"


def _handshake(request: HttpRequest) -> HttpResponse:
    """graph-api.md §8: answer exactly the challenge when mode and verify token match."""
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    expected = settings.FACEBOOK_WEBHOOK_VERIFY_TOKEN
    if (
        mode == "subscribe"
        and challenge
        and expected
        and hmac.compare_digest(token.encode(), expected.encode())
    ):
        return _plain(challenge, 200)
    logger.warning("webhook verification refused (mode %r)", mode[:20])
    return _plain("Verification failed.", 403)
