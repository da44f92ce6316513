"""Auto-replies from the restaurant's profile, owners' rules, and the safeguards
(docs/webhooks.md, "Auto-replies")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tenants.scoping import tenant_scope
from webhooks import processing, replies
from webhooks.models import AutoReplyRule, Conversation, Message, ReplySettings
from webhooks.tests.helpers import account, message_item, messaging_payload, meta_bytes, post

HOURS = {
    "mon": [],
    "tue": [{"open": "12:00", "close": "15:00"}, {"open": "19:00", "close": "23:00"}],
    "wed": [{"open": "12:00", "close": "15:00"}, {"open": "19:00", "close": "23:00"}],
    "thu": [{"open": "12:00", "close": "15:00"}, {"open": "19:00", "close": "23:00"}],
    "fri": [{"open": "12:00", "close": "15:00"}, {"open": "19:00", "close": "01:00"}],
    "sat": [{"open": "19:00", "close": "01:00"}],
    "sun": [{"open": "12:00", "close": "16:00"}],
}
# Tuesday 1 December 2026, 10:00 in Rome (09:00 UTC): closed until lunch.
TUESDAY_MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def restaurant(tenant):
    tenant.opening_hours = HOURS
    tenant.address = "Via Roma 1, 10121 Torino"
    tenant.phone = "+39 011 123456"
    tenant.menu_highlights = "Vitello tonnato\nAgnolotti del plin\nBunet"
    tenant.save()
    return tenant


def _reply(tenant, **fields) -> ReplySettings:
    with tenant_scope(tenant):
        row = replies.reply_settings_for(tenant=tenant)
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
        return row


def _answer(tenant, text, *, first=False, now=TUESDAY_MORNING, rules=(), **profile):
    for name, value in profile.items():
        setattr(tenant, name, value)
    return replies.answer_for(
        tenant=tenant,
        reply=_reply(tenant),
        rules=list(rules),
        text=text,
        first=first,
        now=now,
    )


pytestmark = pytest.mark.django_db


def test_a_named_day_gets_that_days_hours_in_the_restaurants_zone(restaurant):
    decision = _answer(restaurant, "are you open on Sunday?")
    assert decision.text == "On Sunday we are open 12:00–16:00."
    assert decision.rule == "hours" and not decision.handover
    assert _answer(restaurant, "Open on mondays?").text == "On Monday we are closed."
    assert _answer(restaurant, "what time do you close tomorrow").text == (
        "Tomorrow we are open 12:00–15:00 and 19:00–23:00."
    )


def test_today_is_the_restaurants_today_not_utcs(restaurant):
    # 23:30 UTC Monday is already Tuesday 00:30 in Rome.
    late_monday_utc = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert _answer(restaurant, "are you open today?", now=late_monday_utc).text == (
        "Today (Tuesday 1 December) we are open 12:00–15:00 and 19:00–23:00."
    )


def test_a_holiday_closure_from_the_profile_wins_over_the_weekly_hours(restaurant):
    decision = _answer(
        restaurant,
        "Are you open on Sunday?",
        closures=[{"date": "2026-12-06", "note": "family wedding"}],
    )
    assert decision.text == "On Sunday we are closed (family wedding)."


def test_address_comes_with_a_directions_link(restaurant):
    text = _answer(restaurant, "Where are you?").text
    assert text.startswith("You can find us at Via Roma 1, 10121 Torino.")
    assert "https://www.google.com/maps/dir/?api=1&destination=Via+Roma+1%2C+10121+Torino" in text


def test_menu_diets_reservations_parking_delivery_from_the_profile(restaurant):
    assert "Agnolotti del plin" in _answer(restaurant, "What's on the menu?").text
    vegan = _answer(restaurant, "Do you have vegan dishes?", dietary_options="vegan, gluten-free")
    assert vegan.text == "Yes! We cater for these diets: vegan, gluten-free."
    # A diet the profile does not list is never promised: a person answers.
    halal = _answer(restaurant, "Is the meat halal?", dietary_options="vegan, gluten-free")
    assert halal.text == "" and halal.handover
    assert _answer(restaurant, "Any nut allergy options?", dietary_options="vegan").handover
    assert _answer(restaurant, "Can I book a table?").text == (
        "To book a table, call us on +39 011 123456."
    )
    booking = _answer(restaurant, "Can I book?", reservation_url="https://alba.example/book")
    assert booking.text == "You can book a table here: https://alba.example/book"
    parking = _answer(restaurant, "Is there parking?", parking="Free parking behind us.")
    assert parking.text == "Free parking behind us."
    delivery = _answer(restaurant, "Do you deliver?", delivery="We deliver within 3 km.")
    assert delivery.text == "We deliver within 3 km."


def test_two_questions_in_one_message_get_both_answers(restaurant):
    decision = _answer(restaurant, "Are you open on Sunday and where are you?")
    assert decision.rule == "hours+address"
    assert "12:00–16:00" in decision.text and "Via Roma 1" in decision.text


def test_a_question_the_profile_cannot_answer_goes_to_a_person(restaurant):
    decision = _answer(restaurant, "Is there parking?", parking="")
    assert decision.text == "" and "parking" in decision.handover
    assert _answer(restaurant, "gluten free?", dietary_options="").handover


def test_asking_for_a_person_hands_over(restaurant):
    for text in ("I want to talk to a person", "can I speak with someone", "Real human please"):
        decision = _answer(restaurant, text)
        assert decision.rule == "handover" and decision.handover, text


def test_greeting_then_away_then_handover_for_unmatched_messages(restaurant):
    assert _answer(restaurant, "Ciao!", first=True).rule == "greeting"
    assert _answer(restaurant, "Ciao!", first=False).rule == "away"  # 10:00, closed until 12:00
    lunch = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 13:00 in Rome: open
    decision = _answer(restaurant, "Ciao!", first=False, now=lunch)
    assert decision.text == "" and decision.handover


def test_late_friday_night_counts_as_open_past_midnight(restaurant):
    saturday_0030_rome = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    assert replies.is_open(tenant=restaurant, now=saturday_0030_rome)
    assert not replies.is_open(tenant=restaurant, now=TUESDAY_MORNING)


def test_an_owners_keyword_rule_wins_over_built_in_intents(restaurant):
    with tenant_scope(restaurant):
        rule = AutoReplyRule.objects.create(
            tenant=restaurant,
            keywords="truffle, tartufo",
            answer="Truffle season runs until January!",
        )
    decision = _answer(restaurant, "Are you open for the TRUFFLE menu?", rules=[rule])
    assert decision.text == "Truffle season runs until January!"
    assert decision.rule == f"rule:{rule.pk}"


# -- the auto-replier in the processing pipeline ---------------------------------------------
@pytest.fixture
def page(restaurant):
    return account(restaurant)


def _customer_says(client, enqueued, page, text, sender="2001", when=None):
    item = message_item(page_id=page.external_id, sender=sender, text=text)
    if when is not None:
        item["timestamp"] = int(when.timestamp() * 1000)
    before = len(enqueued.deliveries)
    assert post(client, meta_bytes(messaging_payload(page.external_id, item))).status_code == 200
    for delivery in enqueued.deliveries[before:]:
        processing.delivery_process(delivery_id=delivery)


def _automatic(tenant):
    with tenant_scope(tenant):
        return list(Message.objects.filter(automatic=True).order_by("sent_at"))


def test_an_answer_is_stored_as_an_automatic_message_with_its_rule_and_sent_on_commit(
    client, restaurant, page, enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    from webhooks import tasks

    monkeypatch.setattr(tasks.message_send, "apply_async", lambda kwargs: sent.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        _customer_says(client, enqueued, page, "Are you open on Sunday?")
    [answer] = _automatic(restaurant)
    assert (answer.rule, answer.status, answer.direction) == ("hours", "pending", "out")
    assert answer.reply_to.text == "Are you open on Sunday?"
    assert {"tenant_id": restaurant.pk, "message_id": str(answer.pk)} in sent


@override_settings(WEBHOOK_AUTO_REPLY_INTERVAL_MINUTES=5)
def test_at_most_one_automatic_reply_per_conversation_per_interval(
    client, restaurant, page, enqueued
):
    for text in ("Open on Sunday?", "Where are you?", "Open on Monday?"):
        _customer_says(client, enqueued, page, text)
    assert [m.rule for m in _automatic(restaurant)] == ["hours"]
    with tenant_scope(restaurant):
        Conversation.objects.update(last_auto_reply_at=timezone.now() - timedelta(minutes=6))
    _customer_says(client, enqueued, page, "Where are you?")
    assert [m.rule for m in _automatic(restaurant)] == ["hours", "address"]


def test_a_person_request_flags_the_conversation_and_stops_automatic_replies(
    client, restaurant, page, enqueued
):
    _customer_says(client, enqueued, page, "I want to talk to a person")
    with tenant_scope(restaurant):
        conversation = Conversation.objects.get()
        Conversation.objects.update(last_auto_reply_at=None)
    assert conversation.needs_human and "asked for a person" in conversation.needs_human_reason
    _customer_says(client, enqueued, page, "Are you open on Sunday?")
    assert [m.rule for m in _automatic(restaurant)] == ["handover"]


def test_no_reply_to_echoes_our_own_page_or_messages_outside_the_window(
    client, restaurant, page, enqueued
):
    _customer_says(client, enqueued, page, "Are you open on Sunday?", sender=page.external_id)
    _customer_says(
        client, enqueued, page, "Are you open on Sunday?", when=timezone.now() - timedelta(hours=25)
    )
    assert _automatic(restaurant) == []


def test_auto_replies_can_be_switched_off_per_account(client, restaurant, page, enqueued):
    _reply(restaurant, accounts_off=[str(page.pk)])
    _customer_says(client, enqueued, page, "Are you open on Sunday?")
    assert _automatic(restaurant) == []
    _reply(restaurant, accounts_off=[], enabled=False)
    _customer_says(client, enqueued, page, "Where are you?", sender="2002")
    assert _automatic(restaurant) == []


def test_an_unmatched_question_asks_posting_ai_and_marks_its_answer_ai(restaurant, monkeypatch):
    from posting import ai

    lunch = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # open, so no away message
    asked = []

    def answer(*, tenant, question):
        asked.append((tenant.pk, question))
        return "Yes, children are very welcome."

    monkeypatch.setattr(ai, "reply_answer", answer)
    decision = _answer(restaurant, "Is it ok to bring kids?", now=lunch)
    assert (decision.text, decision.rule) == ("Yes, children are very welcome.", "ai")
    assert asked == [(restaurant.pk, "Is it ok to bring kids?")]
    monkeypatch.setattr(ai, "reply_answer", lambda **kw: None)  # no key, or not sure
    assert _answer(restaurant, "Is it ok to bring kids?", now=lunch).handover
    with override_settings(WEBHOOK_AI_REPLIES=False):
        monkeypatch.setattr(ai, "reply_answer", answer)
        assert _answer(restaurant, "Is it ok to bring kids?", now=lunch).handover


def test_no_automatic_reply_while_a_person_is_talking_and_the_away_message_only_once(
    client, restaurant, page, enqueued
):
    _customer_says(client, enqueued, page, "Ciao!")  # first: greeting
    with tenant_scope(restaurant):
        Conversation.objects.update(last_auto_reply_at=None)
    _customer_says(client, enqueued, page, "Ciao again")  # closed at this hour? then away
    rules = [m.rule for m in _automatic(restaurant)]
    assert rules[0] == "greeting"
    with tenant_scope(restaurant):
        conversation = Conversation.objects.get()
        Conversation.objects.update(last_auto_reply_at=None)
        Message.objects.create(
            tenant=restaurant,
            conversation=conversation,
            direction="out",
            text="Hi, Marco here",
            is_echo=True,
        )
    _customer_says(client, enqueued, page, "Are you open on Sunday?")
    assert [m.rule for m in _automatic(restaurant)] == rules  # Marco is talking


def test_the_away_message_is_not_repeated_within_twelve_hours(restaurant, page):
    night = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 03:00 in Rome: closed
    with tenant_scope(restaurant):
        conversation = Conversation.objects.create(
            tenant=restaurant,
            account=page,
            kind="messages",
            network="facebook",
            customer_id="2001",
            last_incoming_at=night,
        )
        Message.objects.create(
            tenant=restaurant,
            conversation=conversation,
            direction="out",
            text="Closed",
            automatic=True,
            rule="away",
            sent_at=night - timedelta(hours=1),
        )
        assert replies._said_recently(conversation=conversation, now=night, rule="away")
        assert not replies._said_recently(conversation=conversation, now=night, rule="hours")
        assert not replies._said_recently(
            conversation=conversation, now=night + timedelta(hours=12), rule="away"
        )
