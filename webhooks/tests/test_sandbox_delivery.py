"""W2, W3, W4, W6 and W8 with the Graph sandbox itself delivering over HTTP to the live app
(real PostgreSQL, a real Celery worker): what Meta does, including its retries."""

from __future__ import annotations

import time

import pytest

from tenants.scoping import scopes_disabled, tenant_scope
from tenants.testing import make_tenant
from webhooks.models import Conversation, Message, WebhookEvent
from webhooks.tests.helpers import MARIA, PAGE_ID, SCOPES, account, deliver, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _events(**filters) -> int:
    with scopes_disabled():
        return WebhookEvent.objects.filter(**filters).count()


def test_w8_the_sandbox_handshake_passes_only_with_our_verify_token(world):
    good = world.sb.control("POST", "webhooks/verify")
    assert good["ok"] and good["body"] == good["challenge"]
    bad = world.sb.control("POST", "webhooks/verify", json={"verify_token": "not-ours"})
    assert not bad["ok"] and bad["status"] == 403 and bad["challenge"] not in bad["body"]


def test_w2_a_delivery_signed_with_another_secret_is_refused_and_stores_nothing(world):
    sb = world.sb
    sb.configure_webhooks(bad_signature_next=1)
    sb.trigger_message(PAGE_ID, "Forged?")
    [attempt] = sb.flush_webhooks()
    assert attempt["status"] == "rejected" and attempt["attempts"][-1]["status"] == 403
    assert _events() == 0


def test_w3_duplicates_and_ten_redeliveries_of_meta_bytes_have_one_effect(world):
    sb, tenant = world.sb, world.tenant
    sb.configure_webhooks(duplicate_next=1)
    sent = sb.trigger_message(
        PAGE_ID, "Città? Dov'è il ristorante / the restaurant?", sender_name="Zoë"
    )
    first = sb.flush_webhooks()
    assert [d["status"] for d in first] == ["delivered", "delivered"]
    for _ in range(10):
        sb.control("POST", f"webhooks/deliveries/{first[0]['id']}/redeliver")
    assert all(d["status"] == "delivered" for d in sb.flush_webhooks())
    wait_for(lambda: sb.page_replies(sent["sender_id"]), what="the answer")
    time.sleep(1.0)  # let any (wrong) second processing happen
    assert _events() == 1
    with tenant_scope(tenant):
        assert Message.objects.filter(direction="in").count() == 1
        assert Message.objects.filter(automatic=True).count() == 1
        assert (
            Message.objects.get(direction="in").text
            == "Città? Dov'è il ristorante / the restaurant?"
        )
    assert len(sb.page_replies(sent["sender_id"])) == 1


def test_w4_the_sandbox_batching_several_pages_reaches_each_restaurant_and_keeps_the_unknown(
    world, caplog
):
    sb, tenant = world.sb, world.tenant
    other = make_tenant("The Golden Spoon")
    token = sb.mint_token("10160000000000002", SCOPES, page_id="104512398765004")["token"]
    account(other, external_id="104512398765004", page_token=token)
    from social.graph import GraphClient, connect

    assert connect.subscribe_page(GraphClient(), page_id="104512398765004", page_token=token)
    maria_token = sb.mint_token(MARIA, SCOPES, page_id="104512398765002")["token"]
    assert connect.subscribe_page(
        GraphClient(), page_id="104512398765002", page_token=maria_token
    )  # nobody's
    for page_id in (PAGE_ID, "104512398765004", "104512398765002"):
        post_id = sb.control("GET", "posts", params={"page_id": page_id})[0]["id"]
        sb.trigger_comment(post_id, f"Hello {page_id}")
    deliveries = sb.flush_webhooks()
    assert len(deliveries) == 1 and deliveries[0]["status"] == "delivered"  # one batched POST
    wait_for(lambda: _events(status="pending") == 0 and _events() == 3, what="routing")
    with scopes_disabled():
        stray = WebhookEvent.objects.get(entry_id="104512398765002")
    assert (stray.status, stray.tenant_id) == ("unrouted", None)
    for restaurant, page_id in ((tenant, PAGE_ID), (other, "104512398765004")):
        with tenant_scope(restaurant):
            assert [m.text for m in Message.objects.all()] == [f"Hello {page_id}"]
            assert Conversation.objects.get().account.external_id == page_id


def test_w6_while_the_database_is_down_meta_gets_5xx_and_its_retry_is_stored(world, monkeypatch):
    import psycopg

    sb, tenant = world.sb, world.tenant
    real_execute = psycopg.Cursor.execute

    def down(self, query, params=None, **kwargs):
        if "webhooks_webhookevent" in str(query):
            raise psycopg.OperationalError("could not connect to server: Connection refused")
        return real_execute(self, query, params, **kwargs)

    # The driver's cursor: Django's cursors and the receiver's own INSERT cursor both run on it.
    monkeypatch.setattr(psycopg.Cursor, "execute", down)
    sent = sb.trigger_message(PAGE_ID, "Anyone there?")
    [attempt] = sb.flush_webhooks()
    assert attempt["status"] == "pending" and attempt["attempts"][-1]["status"] == 503
    monkeypatch.setattr(psycopg.Cursor, "execute", real_execute)
    assert _events() == 0
    sb.advance_clock(61)  # Meta's next retry
    deliver(sb)
    wait_for(lambda: _events(status="processed") == 1, what="the retried delivery")
    with tenant_scope(tenant):
        assert Message.objects.filter(remote_id=sent["mid"]).count() == 1
