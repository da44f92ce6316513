"""Telling a restaurant's owners that a connection needs them: one email per breakage (and one
per expiry warning), with a one-click reconnect link."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from social import selectors
from social.models import SocialAccount
from tenants.models import Tenant
from tenants.scoping import tenant_scope

Status = SocialAccount.Status


STATUS_WORDS: dict[str, str] = {
    Status.NEEDS_RECONNECT: "needs reconnecting",
    Status.EXPIRING: "expires soon",
}


def account_notify(*, account: SocialAccount) -> bool:
    """Email the restaurant's owners once per breakage (and once per expiry warning), with a
    one-click reconnect link. Returns whether an email went out."""
    field = (
        "broken_notified_at" if account.status == Status.NEEDS_RECONNECT else "expiring_notified_at"
    )
    if account.status not in STATUS_WORDS:
        return False
    tenant = Tenant.objects.get(pk=account.tenant_id)
    with tenant_scope(tenant), transaction.atomic():
        # Claim the notification under a row lock so parallel checks send one email.
        locked = SocialAccount.objects.select_for_update().filter(tenant=tenant).get(pk=account.pk)
        if getattr(locked, field) is not None or locked.status != account.status:
            return False
        setattr(locked, field, timezone.now())
        locked.save(update_fields=[field])
        instagram = (
            list(locked.instagram_accounts.filter(status=locked.status)) if locked.is_page else []
        )
    recipients = selectors.owner_emails(tenant=tenant)
    if not recipients:
        return False
    context = {
        "tenant": tenant,
        "account": locked,
        "status_words": STATUS_WORDS[locked.status],
        "reconnect_url": settings.SITE_URL
        + reverse("social:reconnect", kwargs={"tenant_slug": tenant.slug, "account_id": locked.pk}),
        "instagram": instagram,
        "accounts_url": settings.SITE_URL
        + reverse("social:accounts", kwargs={"tenant_slug": tenant.slug}),
    }
    subject = f"{tenant.name}: {locked} {STATUS_WORDS[locked.status]}"
    send_mail(
        subject,
        render_to_string("social/email/connection_problem.txt", context),
        None,
        recipients,
    )
    return True
