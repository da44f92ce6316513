"""For the URL-enumerating isolation test (tenants/tests/test_isolation.py)."""

from __future__ import annotations

import uuid


def _conversation(tenant):
    from webhooks.models import Conversation
    from webhooks.tests.helpers import account

    return Conversation.objects.create(
        tenant=tenant,
        account=account(tenant),
        kind=Conversation.Kind.COMMENTS,
        network=Conversation.Network.FACEBOOK,
        post_id=f"1_{uuid.uuid4().int % 10**12}",
    )


def _conversation_id(tenant) -> str:
    return str(_conversation(tenant).pk)


def _message_id(tenant) -> str:
    from webhooks.models import Message

    conversation = _conversation(tenant)
    return str(
        Message.objects.create(
            tenant=tenant,
            conversation=conversation,
            direction=Message.Direction.IN,
            remote_id=f"c_{uuid.uuid4().hex}",
            text="A comment",
        ).pk
    )


def _rule_id(tenant) -> int:
    from webhooks.models import AutoReplyRule

    return AutoReplyRule.objects.create(tenant=tenant, keywords="truffle", answer="Yes").pk


KWARG_FACTORIES = {
    "conversation_id": _conversation_id,
    "message_id": _message_id,
    "rule_id": _rule_id,
}

PUBLIC_URLS = {
    "webhooks_facebook": "Facebook's webhook endpoint: every POST is authenticated by the X-Hub-Signature-256 HMAC of its raw body, the GET handshake by the verify token",
}
