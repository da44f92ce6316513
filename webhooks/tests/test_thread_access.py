"""A thread page's conversation, read by a statement (webhooks.access.access_conversation with
``tokens=False``): the queryset's row, and a 404 for another restaurant's, a missing or a
malformed id."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from tenants.scoping import tenant_scope
from webhooks.access import _CONVERSATION_FIELDS, access_conversation
from webhooks.models import Conversation
from webhooks.tests.helpers import account


@pytest.mark.django_db
def test_a_thread_pages_conversation_is_the_querysets_and_only_this_restaurants(
    tenant, other_tenant
):
    page = account(tenant, name="Trattoria <da> Maria")
    with tenant_scope(tenant):
        ours = Conversation.objects.create(
            tenant=tenant, account=page, kind="messages", network="facebook", customer_id="2001"
        )
    theirs_page = account(other_tenant)
    with tenant_scope(other_tenant):
        theirs = Conversation.objects.create(
            tenant=other_tenant, account=theirs_page, kind="messages", customer_id="2002"
        )
    with tenant_scope(tenant):
        found = access_conversation(tenant=tenant, id=ours.pk, tokens=False)
        also = access_conversation(tenant=tenant, id=str(ours.pk), tokens=False)
        expected = (
            Conversation.objects.select_related("account")
            .only(*_CONVERSATION_FIELDS, "account__name")
            .get(pk=ours.pk)
        )
        assert found.tenant is tenant and also.pk == ours.pk
        for name in _CONVERSATION_FIELDS:
            field = Conversation._meta.get_field(name)
            assert getattr(found, field.attname) == getattr(expected, field.attname), name
        assert found.account.name == "Trattoria <da> Maria"
        assert found.get_deferred_fields() == expected.get_deferred_fields()
        for missing in (theirs.pk, uuid.uuid4(), "not-a-uuid", 42):
            with pytest.raises(Http404):
                access_conversation(tenant=tenant, id=missing, tokens=False)
