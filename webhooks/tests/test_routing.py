"""Routing and processing (docs/webhooks.md): W3 under concurrency, W4 across tenants, and what
each kind of event does to conversations, messages and comment threads."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from social.models import SocialAccount
from tenants.scoping import scopes_disabled, tenant_scope
from tenants.testing import make_tenant
from webhooks import processing
from webhooks.models import Conversation, Message, WebhookEvent
from webhooks.tests.helpers import (
    account,
    comment_change,
    feed_payload,
    message_item,
    messaging_payload,
    meta_bytes,
    post,
    sign,
)


def _process_all(enqueued) -> int:
    return sum(processing.delivery_process(delivery_id=d) for d in enqueued.deliveries)


@pytest.mark.django_db(transaction=True)
def test_w3_ten_concurrent_replays_over_http_have_exactly_one_effect(live_server, enqueued):
    tenant = make_tenant()
    page = account(tenant)
    body = meta_bytes(
        messaging_payload(
            page.external_id,
            message_item(page_id=page.external_id, sender="2001", text="Table for two?"),
        )
    )
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
    url = live_server.url + "/webhooks/facebook"
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(
            pool.map(
                lambda _: requests.post(url, data=body, headers=headers, timeout=10).status_code,
                range(10),
            )
        )
    assert statuses == [200] * 10
    assert len(enqueued.deliveries) == 1
    _process_all(enqueued)
    processing.delivery_process(
        delivery_id=enqueued.deliveries[0]
    )  # a task redelivered by the broker
    with scopes_disabled():
        assert WebhookEvent.objects.count() == 1
        assert Message.objects.filter(direction="in").count() == 1
        assert Conversation.objects.count() == 1


@pytest.mark.django_db
def test_w4_a_thousand_changes_across_fifty_pages_of_ten_tenants_reach_only_their_own(
    client, enqueued, caplog
):
    tenants = [make_tenant() for _ in range(10)]
    pages = [account(tenants[i % 10]) for i in range(50)]
    unknown = [f"77700000000000{i}" for i in range(5)]
    rng = random.Random(4)
    entries = []
    for n, page in enumerate(pages):
        changes = [
            comment_change(
                page_id=page.external_id,
                post_id=f"{page.external_id}_1",
                comment_id=f"{n}_{i}",
                text=f"Comment {n}/{i}",
                author=str(3000 + rng.randrange(100)),
            )
            for i in range(20)
        ]
        entries.append({"id": page.external_id, "time": 1, "changes": changes})
    for page_id in unknown:
        entries.append(
            {
                "id": page_id,
                "time": 1,
                "changes": [
                    comment_change(
                        page_id=page_id,
                        post_id=f"{page_id}_1",
                        comment_id=f"{page_id}_c",
                        text="Who am I?",
                    )
                ],
            }
        )
    rng.shuffle(entries)
    response = post(client, meta_bytes({"object": "page", "entry": entries}))
    assert response.status_code == 200
    assert _process_all(enqueued) == 1000
    for tenant in tenants:
        mine = {p.external_id for p in pages if p.tenant_id == tenant.pk}
        with tenant_scope(tenant):
            comments = list(Message.objects.select_related("conversation__account"))
            assert len(comments) == 100
            assert {c.conversation.account.external_id for c in comments} == mine
            assert {e.entry_id for e in WebhookEvent.objects.all()} == mine
    with scopes_disabled():
        stray = WebhookEvent.objects.filter(entry_id__in=unknown)
        assert stray.count() == 5
        assert all(e.tenant_id is None and e.status == "unrouted" for e in stray)
        assert SocialAccount.objects.filter(last_webhook_at__isnull=False).count() == 50
    for page_id in unknown:
        assert page_id in caplog.text


@pytest.mark.django_db
def test_an_unknown_object_is_stored_unrouted(client, tenant, enqueued):
    page = account(tenant)
    body = meta_bytes(
        {
            "object": "user",
            "entry": [{"id": page.external_id, "time": 1, "changed_fields": ["email"]}],
        }
    )
    assert post(client, body).status_code == 200
    _process_all(enqueued)
    with scopes_disabled():
        event = WebhookEvent.objects.get()
    assert (event.status, event.tenant_id, event.field) == ("unrouted", None, "")


# -- messages ------------------------------------------------------------------------------
@pytest.fixture
def page(tenant):
    return account(tenant)


def _deliver(client, enqueued, payload) -> None:
    before = len(enqueued.deliveries)
    assert post(client, meta_bytes(payload)).status_code == 200
    for delivery in enqueued.deliveries[before:]:
        processing.delivery_process(delivery_id=delivery)


def _messages(tenant):
    with tenant_scope(tenant):
        # Automatic replies are tested in test_replies.py.
        return list(
            Message.objects.filter(automatic=False)
            .select_related("conversation")
            .order_by("sent_at", "text")
        )


@pytest.mark.django_db
def test_a_messenger_message_opens_a_conversation_and_updates_last_webhook_at(
    client, tenant, page, enqueued
):
    item = message_item(page_id=page.external_id, sender="2001", text="Ciao!")
    item["message"]["attachments"] = [
        {"type": "image", "payload": {"url": "https://cdn.example/p.jpg"}}
    ]
    _deliver(client, enqueued, messaging_payload(page.external_id, item))
    [message] = _messages(tenant)
    assert (message.direction, message.text, message.remote_id) == (
        "in",
        "Ciao!",
        item["message"]["mid"],
    )
    assert message.attachments == [{"type": "image", "url": "https://cdn.example/p.jpg"}]
    conversation = message.conversation
    assert (conversation.customer_id, conversation.network, conversation.unread) == (
        "2001",
        "facebook",
        True,
    )
    assert conversation.last_incoming_at is not None
    with scopes_disabled():
        page.refresh_from_db()
    assert page.last_webhook_at is not None


@pytest.mark.django_db
def test_an_instagram_dm_lands_in_an_instagram_conversation(client, tenant, enqueued):
    fb = account(tenant)
    ig = account(tenant, kind="instagram", external_id="17841400000000077", linked_page=fb)
    item = message_item(page_id=ig.external_id, sender="1001", text="Hello from IG")
    _deliver(client, enqueued, messaging_payload(ig.external_id, item, object_type="instagram"))
    [message] = _messages(tenant)
    assert message.conversation.network == "instagram"
    assert message.conversation.account_id == ig.pk


@pytest.mark.django_db
def test_an_echo_is_recorded_as_outgoing_and_never_answered(client, tenant, page, enqueued):
    item = message_item(page_id="2001", sender=page.external_id, text="We answered on Facebook")
    item["message"]["is_echo"] = True
    item["message"]["app_id"] = 1234
    _deliver(client, enqueued, messaging_payload(page.external_id, item))
    [message] = _messages(tenant)
    assert (message.direction, message.is_echo, message.automatic) == ("out", True, False)
    assert message.conversation.customer_id == "2001"
    assert message.conversation.unread is False


@pytest.mark.django_db
def test_reprocessing_an_event_changes_nothing(client, tenant, page, enqueued):
    _deliver(
        client,
        enqueued,
        messaging_payload(
            page.external_id,
            message_item(page_id=page.external_id, sender="2001", text="Are you open today?"),
        ),
    )
    before = [(m.pk, m.text, m.status) for m in _messages(tenant)]
    with scopes_disabled():
        ids = list(WebhookEvent.objects.values_list("pk", flat=True))
    assert processing.events_reprocess(event_ids=ids) == 1
    assert [(m.pk, m.text, m.status) for m in _messages(tenant)] == before


# -- comments ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_comments_are_threaded_by_post_and_follow_edits_hides_and_removals(
    client, tenant, page, enqueued
):
    post_id = f"{page.external_id}_42"
    steps = [
        ("42_1", "Lovely!", "add"),
        ("42_2", "Spam spam", "add"),
        ("42_1", "Lovely! Edited", "edited"),
        ("42_2", "", "hide"),
        ("42_1", "", "remove"),
    ]
    for comment_id, text, verb in steps:
        change = comment_change(
            page_id=page.external_id, post_id=post_id, comment_id=comment_id, text=text, verb=verb
        )
        _deliver(client, enqueued, feed_payload(page.external_id, change))
    comments = {m.remote_id: m for m in _messages(tenant)}
    assert set(comments) == {"42_1", "42_2"}
    assert comments["42_1"].text == "Lovely! Edited" and comments["42_1"].edited_at is not None
    assert comments["42_1"].comment_state == "removed"
    assert comments["42_2"].comment_state == "hidden"
    thread = comments["42_1"].conversation
    assert (thread.kind, thread.post_id) == ("comments", post_id)


@pytest.mark.django_db
def test_instagram_comments_and_our_own_replies(client, tenant, enqueued):
    fb = account(tenant)
    ig = account(tenant, kind="instagram", external_id="17841400000000088", linked_page=fb)
    value = {
        "from": {"id": "1005", "username": "foodie"},
        "media": {"id": "1790001", "media_product_type": "FEED"},
        "id": "17900011",
        "text": "Yum",
    }
    ours = {
        "from": {"id": ig.external_id, "username": "us"},
        "media": {"id": "1790001"},
        "id": "17900012",
        "text": "Thanks!",
        "parent_id": "17900011",
    }
    _deliver(
        client,
        enqueued,
        {
            "object": "instagram",
            "entry": [
                {
                    "id": ig.external_id,
                    "time": 1,
                    "changes": [
                        {"field": "comments", "value": value},
                        {"field": "comments", "value": ours},
                    ],
                }
            ],
        },
    )
    messages = {m.remote_id: m for m in _messages(tenant)}
    assert messages["17900011"].direction == "in" and messages["17900011"].author_name == "foodie"
    assert (
        messages["17900012"].direction == "out"
        and messages["17900012"].parent_remote_id == "17900011"
    )
    assert messages["17900011"].conversation.network == "instagram"


# -- our own posts (the posting app) ---------------------------------------------------------
def _publication(tenant, page, *, state, remote_id=""):
    from posting.tests.factories import make_publication

    return make_publication(
        tenant, account=page, state=state, text="Tonight: truffle risotto", remote_id=remote_id
    )


@pytest.mark.django_db
def test_our_post_appearing_in_the_feed_reconciles_publications_waiting_for_it(
    client, tenant, page, enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    from posting import tasks as posting_tasks

    waiting = _publication(tenant, page, state="needs_reconcile")
    sent = []
    monkeypatch.setattr(
        posting_tasks.publication_reconcile, "apply_async", lambda kwargs: sent.append(kwargs)
    )
    change = {
        "field": "feed",
        "value": {
            "item": "status",
            "verb": "add",
            "post_id": f"{page.external_id}_77",
            "message": "Tonight: truffle risotto",
            "published": 1,
            "from": {"id": page.external_id},
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(client, enqueued, feed_payload(page.external_id, change))
    assert sent == [{"tenant_id": tenant.pk, "publication_id": waiting.pk}]


@pytest.mark.django_db
def test_a_comment_under_our_published_post_links_its_thread_to_the_publication(
    client, tenant, page, enqueued
):
    published = _publication(tenant, page, state="published", remote_id=f"{page.external_id}_88")
    change = comment_change(
        page_id=page.external_id,
        post_id=f"{page.external_id}_88",
        comment_id="88_1",
        text="Looks delicious",
    )
    _deliver(client, enqueued, feed_payload(page.external_id, change))
    with tenant_scope(tenant):
        thread = Conversation.objects.get(kind="comments")
    assert thread.publication_id == str(published.pk)
    assert thread.title == "Comments on “Tonight: truffle risotto”"


@pytest.mark.django_db
def test_an_instagram_mention_is_kept_in_the_inbox(client, tenant, enqueued):
    fb = account(tenant)
    ig = account(tenant, kind="instagram", external_id="17841400000000099", linked_page=fb)
    change = {"field": "mentions", "value": {"media_id": "1790555", "comment_id": "1790556"}}
    for _ in range(2):  # and again: no second copy
        _deliver(
            client,
            enqueued,
            {
                "object": "instagram",
                "entry": [{"id": ig.external_id, "time": 1, "changes": [change]}],
            },
        )
    [mention] = _messages(tenant)
    assert (mention.text, mention.remote_id) == ("Mentioned you in a comment.", "1790556")
    assert mention.conversation.post_id == "1790555"


@pytest.mark.django_db
def test_a_failed_event_is_tried_again_by_the_sweep_then_left_to_operators(
    client, tenant, page, enqueued, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from webhooks.handlers import messages as handler

    def broken(event):
        raise RuntimeError("deadlock detected")

    monkeypatch.setattr(handler, "messaging_handle", broken)
    _deliver(
        client,
        enqueued,
        messaging_payload(
            page.external_id, message_item(page_id=page.external_id, sender="2001", text="Hi")
        ),
    )
    with scopes_disabled():
        WebhookEvent.objects.update(received_at=timezone.now() - timedelta(hours=1))
    for attempt in (2, 3):
        again = []
        assert processing.events_sweep(enqueue=again.append) == 1
        processing.delivery_process(delivery_id=again[0])
        with scopes_disabled():
            event = WebhookEvent.objects.get()
        assert (event.status, event.attempts) == ("failed", attempt)
        assert "deadlock detected" in event.error
    assert processing.events_sweep(enqueue=[].append) == 0  # 3 failures: an operator decides
    monkeypatch.undo()
    assert processing.events_reprocess(event_ids=[event.pk]) == 1
