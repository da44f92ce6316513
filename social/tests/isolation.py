"""For the URL-enumerating isolation test (tenants/tests/test_isolation.py)."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model


def _account(tenant) -> str:
    from social.models import SocialAccount

    account = SocialAccount.objects.create(
        tenant=tenant,
        kind=SocialAccount.Kind.FACEBOOK_PAGE,
        external_id=str(uuid.uuid4().int)[:15],
        name=f"Page of {tenant.name}",
        page_token="isolation-page-token",
    )
    return str(account.pk)


def _pending(tenant) -> str:
    from social.models import PendingConnection

    user = get_user_model().objects.create_user(username=f"iso-{uuid.uuid4().hex[:8]}")
    pending = PendingConnection.objects.create(
        tenant=tenant,
        user=user,
        session_binding="x" * 64,
        facebook_user_id="1",
        user_token="isolation-user-token",
        pages=[{"id": "1", "name": "P", "instagram": None}],
    )
    return str(pending.pk)


KWARG_FACTORIES = {"account_id": _account, "pending_id": _pending}

PUBLIC_URLS = {
    "social_oauth_callback": "Facebook's OAuth redirect; the tenant comes from the server-side state, bound to user and session",
    "social_deauthorize": "Facebook's deauthorize callback, authenticated by the signed_request HMAC",
    "social_data_deletion": "Facebook's data-deletion callback, authenticated by the signed_request HMAC",
    "social_data_deletion_status": "The public status page Facebook links users to, found by an unguessable confirmation code",
}
