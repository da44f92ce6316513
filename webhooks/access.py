"""``access_<thing>`` lookups of the inbox (docs/conventions.md): another tenant's conversation,
comment or rule, or a missing one, is a 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404

from lib.statements import UUID, Statement
from tenants.access import access_in_tenant, access_read
from tenants.models import Tenant
from tenants.statements import TENANT
from webhooks.models import AutoReplyRule, Conversation, Message


def access_conversation(
    *, tenant: Tenant, id: Any, lock: bool = False, tokens: bool = True
) -> Conversation:
    """With its account (and the account's Page, whose token an Instagram reply goes out
    with). ``tokens=False`` (the thread page and its poll, which show the account's name and
    send nothing) loads only the account's name: an account's row is wide and its encrypted
    fields cost their context even unread. That read, on every thread page and poll, is a
    statement compiled once per process (lib/statements.py), with `access_in_tenant`'s
    answers: the row of this tenant with this id, its ``tenant`` the one given, or `Http404`
    for a missing, another restaurant's or a malformed id."""
    if not tokens and not lock:
        return _shown(tenant=tenant, id=id)
    if tokens:
        conversations = Conversation.objects.select_related("account", "account__linked_page")
    else:
        conversations = _named(Conversation.objects.all())
    return access_in_tenant(conversations, tenant=tenant, id=id, lock=lock, what="conversation")


def _shown(*, tenant: Tenant, id: Any) -> Conversation:
    try:
        key = id if isinstance(id, uuid.UUID) else uuid.UUID(str(id))
    except ValueError:  # not a thread's id
        raise Http404("No such conversation.") from None
    return access_read(_SHOWN, tenant=tenant, what="conversation", id=key)


_CONVERSATION_FIELDS = [field.name for field in Conversation._meta.concrete_fields]


def _named(conversations: Any) -> Any:
    """The conversation with its account's name only (``tokens=False``)."""
    return conversations.select_related("account").only(*_CONVERSATION_FIELDS, "account__name")


# A thread page's conversation (lib/statements.py: compiled once per process).
_SHOWN = Statement(
    lambda tenant, id: _named(Conversation.objects.filter(tenant=tenant, pk=id))[:1],
    tenant=TENANT,
    id=UUID,
)


def access_comment(*, tenant: Tenant, conversation: Conversation, id: Any) -> Message:
    """A comment (or message) of this conversation."""
    return access_in_tenant(
        Message.objects.filter(conversation=conversation), tenant=tenant, id=id, what="comment"
    )


def access_rule(*, tenant: Tenant, id: Any) -> AutoReplyRule:
    return access_in_tenant(AutoReplyRule.objects.all(), tenant=tenant, id=id, what="rule")
