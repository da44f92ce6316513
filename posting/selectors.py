"""Reads of the publishing engine."""

from __future__ import annotations

from django.db.models import QuerySet

from posting.models import Publication
from social.models import SocialAccount
from tenants.models import Tenant


def publications_awaiting_choice(*, tenant: Tenant) -> QuerySet[Publication]:
    """Held publications whose account works again: the owner picks "publish now" or a new
    time (`posting.services.publication_publish_now`, `publication_reschedule`)."""
    return (
        Publication.objects.filter(
            tenant=tenant,
            state=Publication.State.HELD,
            account__status__in=(SocialAccount.Status.ACTIVE, SocialAccount.Status.EXPIRING),
        )
        .select_related("post", "account")
        .order_by("next_attempt_at")
    )
