"""Entry id → the one connected account → its restaurant (docs/webhooks.md).

Runs without a tenant scope (it is what finds the tenant), so it reads events through
events and accounts under ``scopes_disabled()``."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from social.models import SocialAccount
from tenants.scoping import scopes_disabled
from webhooks.models import WebhookEvent

logger = logging.getLogger(__name__)

# Meta's ``object`` → the kind of account whose external id is ``entry[].id``.
OBJECT_KINDS = {
    "page": SocialAccount.Kind.FACEBOOK_PAGE,
    "instagram": SocialAccount.Kind.INSTAGRAM,
}


def delivery_route(*, delivery_id: uuid.UUID | str) -> dict[int, list[int]]:
    """Assign tenant and account to the delivery's pending events; mark the rest unrouted (and
    log them). Returns ``{tenant_id: [event ids]}`` of the events to process, in order."""
    with scopes_disabled():
        events = list(
            WebhookEvent.objects.filter(
                delivery_id=delivery_id, status=WebhookEvent.Status.PENDING
            ).order_by("id")
        )
    return events_route(events=events)


def events_route(*, events: list[WebhookEvent]) -> dict[int, list[int]]:
    wanted = {(OBJECT_KINDS.get(e.object), e.entry_id) for e in events if e.object in OBJECT_KINDS}
    accounts: dict[tuple[str, str], SocialAccount] = {}
    if wanted:
        with scopes_disabled():
            rows = SocialAccount.objects.filter(
                external_id__in={entry_id for _kind, entry_id in wanted},
                status__in=SocialAccount.HOLDING_STATUSES,
            )
            accounts = {(a.kind, a.external_id): a for a in rows}
    groups: dict[int, list[int]] = defaultdict(list)
    seen: dict[str, SocialAccount] = {}
    now = timezone.now()
    with scopes_disabled(), transaction.atomic():
        for event in events:
            account = accounts.get((OBJECT_KINDS.get(event.object, ""), event.entry_id))
            if account is None:
                event.status = WebhookEvent.Status.UNROUTED
                logger.warning(
                    "webhook event %s unrouted: no connected account for object %r id %r",
                    event.pk,
                    event.object[:40],
                    event.entry_id[:64],
                )
            else:
                event.tenant_id, event.account_id = account.tenant_id, account.pk
                groups[account.tenant_id].append(event.pk)
                seen[str(account.pk)] = account
        WebhookEvent.objects.bulk_update(events, ["status", "tenant", "account"])
        if seen:
            SocialAccount.objects.filter(pk__in=list(seen)).update(last_webhook_at=now)
    return dict(groups)
