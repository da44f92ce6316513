"""The one email per failed publication (never one per retry): docs/publishing.md."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from posting.models import Publication
from posting.timing import utc_to_local
from tenants.models import Membership, Tenant
from tenants.scoping import scopes_disabled


def publication_notify_failed(*, publication_id: Any) -> bool:
    """Email the restaurant's owners that this publication failed, once: the send is claimed
    with a conditional UPDATE on ``failure_notified_at``. Returns whether an email went out."""
    claimed = Publication.objects.filter(
        pk=publication_id, state=Publication.State.FAILED, failure_notified_at__isnull=True
    ).update(failure_notified_at=timezone.now())
    if not claimed:
        return False
    publication = Publication.objects.select_related("post", "account").get(pk=publication_id)
    tenant = Tenant.objects.get(pk=publication.tenant_id)
    with scopes_disabled():
        recipients = [
            email
            for email in Membership.objects.filter(
                tenant=tenant, role=Membership.Role.OWNER
            ).values_list("user__email", flat=True)
            if email
        ]
    if not recipients:
        return False
    post = publication.post
    context = {
        "tenant": tenant,
        "publication": publication,
        "excerpt": (post.text_for(publication.network) or "(photos only)")[:140],
        "when": (
            utc_to_local(instant=post.scheduled_at, zone=tenant.timezone)
            if post.scheduled_at
            else None
        ),
        "link": settings.SITE_URL
        + reverse("tenants:dashboard", kwargs={"tenant_slug": tenant.slug}),
    }
    send_mail(
        f"{tenant.name}: a post could not be published on {publication.account}",
        render_to_string("posting/email/publication_failed.txt", context),
        None,
        recipients,
    )
    return True
