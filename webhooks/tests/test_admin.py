"""Operators' admin: events with filters, the redacted payload, "reprocess", per-restaurant
counts, and conversations by restaurant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tenants.scoping import scopes_disabled
from webhooks import processing
from webhooks.models import Conversation, Message, WebhookEvent
from webhooks.tests.helpers import account, message_item, meta_bytes, post

pytestmark = pytest.mark.django_db
EVENTS = "admin:webhooks_webhookevent_changelist"


@pytest.fixture
def events(client, tenant, enqueued):
    """One routed message for our restaurant and one for a Page nobody connected yet."""
    page = account(tenant)
    known = message_item(
        page_id=page.external_id, sender="2001", text="Secret birthday plans for Anna"
    )
    unknown = message_item(page_id="5550001", sender="2002", text="Hello from nowhere")
    body = meta_bytes(
        {
            "object": "page",
            "entry": [
                {"id": page.external_id, "time": 1, "messaging": [known]},
                {"id": "5550001", "time": 1, "messaging": [unknown]},
            ],
        }
    )
    assert post(client, body).status_code == 200
    processing.delivery_process(delivery_id=enqueued.deliveries[0])
    return page


def test_operators_filter_unrouted_events_and_see_counts_per_restaurant(
    admin_client, events, tenant
):
    page = admin_client.get(reverse(EVENTS)).content.decode()
    assert "Trattoria Alba" in page and "Unrouted (no restaurant)" in page
    summary = admin_client.get(reverse(EVENTS)).context["per_restaurant"]
    assert {row["tenant_id"]: row["total"] for row in summary} == {tenant.pk: 1, None: 1}
    with scopes_disabled():  # a day old: out of the summary, still in the list
        WebhookEvent.objects.filter(tenant=tenant).update(
            received_at=timezone.now() - timedelta(hours=25)
        )
    response = admin_client.get(reverse(EVENTS))
    assert [row["tenant_id"] for row in response.context["per_restaurant"]] == [None]
    assert response.context["cl"].result_count == 2
    unrouted = admin_client.get(reverse(EVENTS), {"routed": "no"})
    assert [e.entry_id for e in unrouted.context["cl"].result_list] == ["5550001"]
    failed = admin_client.get(reverse(EVENTS), {"status__exact": "failed"})
    assert list(failed.context["cl"].result_list) == []
    by_field = admin_client.get(
        reverse(EVENTS), {"field__exact": "messages", "restaurant": tenant.slug}
    )
    assert [e.entry_id for e in by_field.context["cl"].result_list] == [events.external_id]


def test_the_payload_view_hides_what_customers_wrote(admin_client, events):
    with scopes_disabled():
        event = WebhookEvent.objects.get(entry_id=events.external_id)
    page = admin_client.get(
        reverse("admin:webhooks_webhookevent_change", args=[event.pk])
    ).content.decode()
    assert "Secret birthday plans" not in page
    assert "[redacted: 30 characters]" in page
    assert "2001" in page  # ids stay, for tracing


def test_reprocess_routes_an_event_once_its_account_is_connected_and_changes_nothing_twice(
    admin_client, events, tenant
):
    with scopes_disabled():
        stray = WebhookEvent.objects.get(entry_id="5550001")
    late = account(tenant, external_id="5550001")
    data = {"action": "reprocess", "_selected_action": [stray.pk]}
    for _ in range(2):
        response = admin_client.post(reverse(EVENTS), data, follow=True)
        assert "1 of 1 events processed" in response.content.decode()
    with scopes_disabled():
        stray.refresh_from_db()
        assert (stray.status, stray.tenant_id, stray.account_id) == (
            "processed",
            tenant.pk,
            late.pk,
        )
        assert Message.objects.filter(text="Hello from nowhere", direction="in").count() == 1


def test_conversations_by_restaurant(admin_client, events, tenant, other_tenant):
    url = reverse("admin:webhooks_conversation_changelist")
    assert admin_client.get(url, {"restaurant": tenant.slug}).context["cl"].result_count == 1
    assert admin_client.get(url, {"restaurant": other_tenant.slug}).context["cl"].result_count == 0
    with scopes_disabled():
        conversation = Conversation.objects.get()
    assert (
        admin_client.get(
            reverse("admin:webhooks_conversation_change", args=[conversation.pk])
        ).status_code
        == 200
    )


def test_the_event_list_filters_by_object_field_and_date_without_scanning_for_values(
    admin_client, events
):
    """Django's filters for a plain text column and its date hierarchy list their choices from
    a scan of every stored event, on every page: the list offers fixed choices and a text box
    instead."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(reverse(EVENTS))
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "DISTINCT" not in sql and "MIN(" not in sql
    assert page.status_code == 200 and len(page.context["cl"].result_list) == 2

    def entries(**query) -> list[str]:
        response = admin_client.get(reverse(EVENTS), query)
        assert response.status_code == 200
        return sorted(e.entry_id for e in response.context["cl"].result_list)

    assert len(entries(object="page")) == 2
    assert entries(object="instagram") == []
    assert len(entries(field="messages")) == 2 and len(entries(field="")) == 2
    with scopes_disabled():
        WebhookEvent.objects.filter(entry_id="5550001").update(field="feed")
    assert entries(field="feed") == ["5550001"]
    assert entries(field="messages") == [events.external_id]
    assert entries(field="mess") == []  # the field as typed, not a part of it
    [today] = [  # the date filter's own "Today" link
        choice["query_string"]
        for spec in page.context["cl"].filter_specs
        if getattr(spec, "field_path", "") == "received_at"
        for choice in spec.choices(page.context["cl"])
        if choice["display"] == "Today"
    ]
    assert len(admin_client.get(reverse(EVENTS) + today).context["cl"].result_list) == 2
