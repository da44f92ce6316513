"""Reconciliation: did an ambiguous publish go out? Look before any retry (docs/publishing.md).

A publication lands in ``needs_reconcile`` when a publishing write got no answer, or when its
worker stopped mid-attempt (the sweeper). `publication_reconcile` looks where the post would
be — the Page's ``/published_posts`` since the attempt began, or the Instagram account's
container status and recent ``/media`` — and resolves to ``published`` (remote id stored) or,
when it is proven absent, back to ``scheduled`` for a new attempt. If Facebook cannot be asked
right now, it stays and the sweeper asks again later. Never a blind retry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from posting import publish, states
from posting.models import Publication, PublishAttempt
from social.graph import GraphClient, GraphError, TokenInvalid, publishing
from social.services.token_health import account_mark_broken

logger = logging.getLogger(__name__)
S = Publication.State
LOOK_BACK = timedelta(minutes=10)  # clocks differ; a post is never older than its attempt


def _parse_time(value: str) -> datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _candidates(
    found: list[publishing.RemotePost], *, text: str, since: datetime, known: set[str]
) -> list[publishing.RemotePost]:
    matches = []
    for post in found:
        created = _parse_time(post.created_time)
        if post.id in known or (created is not None and created < since):
            continue
        if post.text.strip() == text.strip():
            matches.append(post)
    return matches


def _known_remote_ids(publication: Publication) -> set[str]:
    """Posts other publications of this account already claim (never adopt them twice)."""
    return set(
        Publication.objects.filter(tenant=publication.tenant_id, account=publication.account_id)
        .exclude(pk=publication.pk)
        .exclude(remote_id="")
        .values_list("remote_id", flat=True)
    )


def _look(publication: Publication, *, since: datetime) -> tuple[bool, str, str]:
    """(found, remote id, permalink) from what Facebook shows now."""
    client = GraphClient()
    account = publication.account
    token = account.graph_token
    text = publish._message(publication)
    known = _known_remote_ids(publication)
    unix = int(since.timestamp())
    if publication.network == Publication.Network.FACEBOOK:
        posts = publishing.published_posts(
            client, page_id=account.external_id, token=token, since=unix
        )
        matches = _candidates(posts, text=text, since=since, known=known)
        if matches:
            oldest = matches[-1]
            return True, oldest.id, oldest.permalink
        return False, "", ""
    container_published = False
    if publication.ig_container_id:
        status = publishing.container_status(
            client, container_id=publication.ig_container_id, token=token
        )
        container_published = status.status_code == "PUBLISHED"
    media = publishing.recent_media(client, ig_user_id=account.external_id, token=token, since=unix)
    matches = _candidates(media, text=text, since=since, known=known)
    if matches:
        oldest = matches[-1]
        return True, oldest.id, oldest.permalink
    return container_published, "", ""


def publication_reconcile(*, publication_id: Any) -> str:
    """Resolve one ``needs_reconcile`` publication (see the module docstring)."""
    publication = (
        Publication.objects.select_related("account", "account__linked_page", "post")
        .filter(pk=publication_id, state=S.NEEDS_RECONCILE)
        .first()
    )
    if publication is None:
        return "not waiting"
    attempt = PublishAttempt.objects.filter(publication=publication).order_by("-number").first()
    started = attempt.started_at if attempt else (publication.claimed_at or publication.created_at)
    try:
        found, remote_id, permalink = _look(publication, since=started - LOOK_BACK)
    except GraphError as exc:
        logger.info("reconcile %s: cannot look now: %s", publication.pk, exc.describe())
        if isinstance(exc, TokenInvalid):
            account_mark_broken(
                account=publication.account,
                words=exc.user_message,
                code=f"{exc.code}/{exc.subcode or ''}",
                trigger="publish",
            )
        later = timezone.now() + timedelta(seconds=settings.PUBLISH_RECONCILE_RETRY_SECONDS)
        Publication.objects.filter(pk=publication.pk, state=S.NEEDS_RECONCILE).update(
            next_attempt_at=later
        )
        return "later"
    now = timezone.now()
    with transaction.atomic():
        if found:
            moved = states.transition(
                ids=[publication.pk],
                source=S.NEEDS_RECONCILE,
                target=S.PUBLISHED,
                remote_id=remote_id,
                permalink=permalink,
                published_at=now,
                last_error="",
                next_attempt_at=None,
            )
            if moved:
                publish.published_photos(publication)
                if attempt is not None:
                    PublishAttempt.objects.filter(pk=attempt.pk).update(
                        outcome=PublishAttempt.Outcome.PUBLISHED,
                        ended_at=attempt.ended_at or now,
                        detail=f"Found on Facebook by reconciliation ({remote_id or 'id unknown'}).",
                    )
            return "published"
        states.transition(
            ids=[publication.pk],
            source=S.NEEDS_RECONCILE,
            target=S.SCHEDULED,
            next_attempt_at=now,
            ig_container_id="",
            ig_children_ids=[],
        )
        if attempt is not None:
            PublishAttempt.objects.filter(pk=attempt.pk).update(
                detail="Reconciliation: not on Facebook, so it will be sent again.",
                ended_at=attempt.ended_at or now,
            )
    return "absent"
