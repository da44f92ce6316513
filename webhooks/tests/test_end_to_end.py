"""End to end over HTTP: the Graph sandbox delivers signed webhooks to the live app, a real
Celery worker processes them, auto-replies and inbox replies go back through the Send API and
the comment edges, and the sandbox shows what the customer received (docs/webhooks.md)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from tenants.scoping import tenant_scope
from webhooks.models import Conversation, Message
from webhooks.tests.helpers import PAGE_ID, SUNDAY_HOURS, deliver, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _exists(tenant, model, **filters) -> bool:
    with tenant_scope(tenant):
        return model.objects.filter(**filters).exists()


def _conversation(tenant, customer_id) -> Conversation:
    def find():
        with tenant_scope(tenant):
            return Conversation.objects.filter(customer_id=customer_id).first()

    return wait_for(find, what="the conversation")


def test_a_messenger_customer_asking_about_sunday_gets_the_real_hours_and_the_inbox_shows_both(
    world,
):
    sb, tenant, client = world.sb, world.tenant, world.client
    sent = sb.trigger_message(PAGE_ID, "Hi! are you open on Sunday?", sender_name="Giulia Bianchi")
    started = time.monotonic()
    deliver(sb)
    replies = wait_for(lambda: sb.page_replies(sent["sender_id"]), what="the automatic answer")
    assert replies == [SUNDAY_HOURS]
    assert time.monotonic() - started < 5
    conversation = _conversation(tenant, sent["sender_id"])
    wait_for(
        lambda: _exists(tenant, Conversation, pk=conversation.pk, customer_name="Giulia Bianchi"),
        what="the customer's name",
    )
    html = client.get(
        reverse("webhooks:thread", args=[tenant.slug, conversation.pk])
    ).content.decode()
    assert (
        "Hi! are you open on Sunday?" in html and SUNDAY_HOURS in html and "Giulia Bianchi" in html
    )
    with tenant_scope(tenant):
        answer = Message.objects.get(automatic=True)
    assert (answer.rule, answer.status) == ("hours", "sent") and answer.remote_id


def test_the_same_on_an_instagram_dm(world):
    sb, tenant, ig, client = world.sb, world.tenant, world.ig, world.client
    sent = sb.trigger_message(
        PAGE_ID, "are you open on Sunday?", platform="instagram", sender_name="foodie.torino"
    )
    deliver(sb)
    assert wait_for(lambda: sb.page_replies(sent["sender_id"]), what="the IG answer") == [
        SUNDAY_HOURS
    ]
    conversation = _conversation(tenant, sent["sender_id"])
    assert (conversation.network, conversation.account_id) == ("instagram", ig.pk)
    html = client.get(
        reverse("webhooks:thread", args=[tenant.slug, conversation.pk])
    ).content.decode()
    assert "are you open on Sunday?" in html and SUNDAY_HOURS in html


def test_a_comment_appears_under_its_post_and_an_inbox_reply_appears_on_the_sandboxs_post(world):
    from posting.models import Post, Publication
    from social.graph import GraphClient, publishing

    sb, tenant, client = world.sb, world.tenant, world.client
    text = "Tonight only: truffle risotto"
    post_id = publishing.feed_create(
        GraphClient(), page_id=PAGE_ID, token=world.page.page_token, message=text
    ).id
    with tenant_scope(tenant):
        ours = Publication.objects.create(
            tenant=tenant,
            post=Post.objects.create(tenant=tenant, text=text),
            account=world.page,
            network="facebook",
            shape="fb_text",
            state="published",
            remote_id=post_id,
        )
    comment = sb.trigger_comment(
        post_id, "Do you have a table for 6 tonight?", author_name="Luca Verdi"
    )
    deliver(sb)

    def thread():
        with tenant_scope(tenant):
            return Conversation.objects.filter(kind="comments", post_id=post_id).first()

    found = wait_for(thread, what="the comment thread")
    assert found.publication_id == str(ours.pk)
    with tenant_scope(tenant):
        stored = Message.objects.get(conversation=found, remote_id=comment["comment_id"])
    html = client.get(reverse("webhooks:thread", args=[tenant.slug, found.pk])).content.decode()
    assert "Do you have a table for 6 tonight?" in html and "Luca Verdi" in html
    assert (
        "Comments on “Tonight only: truffle risotto”" in html and "published with Tablecast" in html
    )
    response = client.post(
        reverse("webhooks:comment_reply", args=[tenant.slug, found.pk, stored.pk]),
        {"text": "Yes! See you at 8."},
    )
    assert response.status_code == 302
    ours = [c for c in sb.comments(object_id=post_id) if c.get("is_page")]
    assert [c["message"] for c in ours] == ["Yes! See you at 8."]


def test_asking_for_a_person_flags_the_conversation_and_stops_automatic_replies(world):
    sb, tenant, client = world.sb, world.tenant, world.client
    first = sb.trigger_message(PAGE_ID, "are you open on Sunday?", sender_name="Anna")
    deliver(sb)
    wait_for(lambda: sb.page_replies(first["sender_id"]), what="the first answer")
    sb.trigger_message(PAGE_ID, "I want to talk to a person", sender_id=first["sender_id"])
    deliver(sb)
    conversation = _conversation(tenant, first["sender_id"])
    wait_for(
        lambda: _exists(tenant, Conversation, pk=conversation.pk, needs_human=True),
        what="the flag",
    )
    answered = wait_for(
        lambda: (
            len(sb.page_replies(first["sender_id"])) == 2 and sb.page_replies(first["sender_id"])
        ),
        what="the hand-over note",
    )
    sb.trigger_message(PAGE_ID, "are you open on Sunday??", sender_id=first["sender_id"])
    deliver(sb)
    wait_for(
        lambda: _exists(
            tenant, Message, conversation=conversation, text="are you open on Sunday??"
        ),
        what="the third message",
    )
    time.sleep(1.0)  # give a (wrong) automatic reply the time to go out
    assert sb.page_replies(first["sender_id"]) == answered
    inbox = client.get(
        reverse("webhooks:inbox", args=[tenant.slug]), {"needs_human": "on"}
    ).content.decode()
    assert "Needs a person" in inbox and "Anna" in inbox
