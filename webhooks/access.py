"""``access_<thing>`` lookups of the inbox (docs/conventions.md): another tenant's conversation,
comment or rule, or a missing one, is a 404."""

from __future__ import annotations

from typing import Any

from tenants.access import access_in_tenant
from tenants.models import Tenant
from webhooks.models import AutoReplyRule, Conversation, Message


def access_conversation(
    *, tenant: Tenant, id: Any, lock: bool = False, tokens: bool = True
) -> Conversation:
    """With its account (and the account's Page, whose token an Instagram reply goes out
    with). ``tokens=False`` (the thread page and its poll, which show the account's name and
    send nothing) loads only the account's name: an account's row is wide and its encrypted
    fields cost their context even unread."""
    if tokens:
        conversations = Conversation.objects.select_related("account", "account__linked_page")
    else:
        conversations = Conversation.objects.select_related("account").only(
            *_CONVERSATION_FIELDS, "account__name"
        )
    return access_in_tenant(conversations, tenant=tenant, id=id, lock=lock, what="conversation")


_CONVERSATION_FIELDS = [field.name for field in Conversation._meta.concrete_fields]


def access_comment(*, tenant: Tenant, conversation: Conversation, id: Any) -> Message:
    """A comment (or message) of this conversation."""
    return access_in_tenant(
        Message.objects.filter(conversation=conversation), tenant=tenant, id=id, what="comment"
    )


def access_rule(*, tenant: Tenant, id: Any) -> AutoReplyRule:
    return access_in_tenant(AutoReplyRule.objects.all(), tenant=tenant, id=id, what="rule")
