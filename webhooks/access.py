"""``access_<thing>`` lookups of the inbox (docs/conventions.md): another tenant's conversation,
comment or rule, or a missing one, is a 404."""

from __future__ import annotations

from typing import Any

from tenants.access import access_in_tenant
from tenants.models import Tenant
from webhooks.models import AutoReplyRule, Conversation, Message


def access_conversation(*, tenant: Tenant, id: Any, lock: bool = False) -> Conversation:
    return access_in_tenant(
        Conversation.objects.select_related("account", "account__linked_page"),
        tenant=tenant,
        id=id,
        lock=lock,
        what="conversation",
    )


def access_comment(*, tenant: Tenant, conversation: Conversation, id: Any) -> Message:
    """A comment (or message) of this conversation."""
    return access_in_tenant(
        Message.objects.filter(conversation=conversation), tenant=tenant, id=id, what="comment"
    )


def access_rule(*, tenant: Tenant, id: Any) -> AutoReplyRule:
    return access_in_tenant(AutoReplyRule.objects.all(), tenant=tenant, id=id, what="rule")
