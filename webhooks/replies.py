"""Automatic replies: answers from the restaurant's own profile, owners' keyword rules, and the
safeguards around them (docs/webhooks.md, "Auto-replies").

Order for one incoming message: a request for a person hands the conversation over; an owner's
rule; the built-in intents (hours with closures, address, menu and diets, reservations, parking, delivery);
a greeting for a first message; the away message when closed; the optional AI answer; otherwise
a person takes over. Never answered: echoes, our own account, conversations handed to a person,
messages older than the 24-hour window, a second automatic reply in the same conversation
within ``WEBHOOK_AUTO_REPLY_INTERVAL_MINUTES`` (what stops two bots answering each other), any
automatic reply within `HUMAN_PAUSE` of a person's reply, and the away message twice within
`AWAY_REPEAT`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import quote_plus

from django.conf import settings
from django.utils import timezone

from lib.tasks import enqueue_on_commit
from social.graph.messaging import INSTAGRAM_TEXT_LIMIT, MESSENGER_TEXT_LIMIT
from tenants.models import WEEKDAY_NAMES, WEEKDAYS, Tenant, has_opening_hours
from webhooks.models import AutoReplyRule, Conversation, Message, ReplySettings

logger = logging.getLogger(__name__)


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


HUMAN = _words(
    r"(?:real |a |an )?(?:human|person|people)\b",
    r"someone\b",
    r"somebody\b",
    r"(?:talk|speak|chat) (?:to|with)\b",
    r"staff\b",
    r"manager\b",
    r"operator\b",
    r"agent\b",
)
# Diets a customer may ask about: part of the menu intent, and matched on their own to answer
# from the profile's dietary options.
DIETARY_WORDS = (
    r"vegan",
    r"vegetarian",
    r"gluten",
    r"coeliac",
    r"celiac",
    r"allerg",
    r"lactose",
    r"dairy",
    r"halal",
    r"kosher",
)
INTENTS: dict[str, re.Pattern[str]] = {
    "hours": _words(r"open", r"hours?\b", r"clos(?:e|ed|es|ing)\b", r"what time"),
    "address": _words(
        r"where\b",
        r"address",
        r"location",
        r"directions?\b",
        r"find you",
        r"get there",
        r"located",
    ),
    "menu": _words(r"menu", r"dish", *DIETARY_WORDS, r"what (?:do|can) (?:you|i) (?:serve|eat)"),
    "reservations": _words(r"book", r"reserv", r"table for", r"a table\b"),
    "parking": _words(r"park(?:ing)?\b", r"car park"),
    "delivery": _words(
        r"deliver", r"take[- ]?away", r"take[- ]?out", r"to go\b", r"pick[- ]?up", r"collect"
    ),
}
DIETARY = _words(*DIETARY_WORDS)
DAY_WORDS = {
    **{name.lower(): day for day, name in WEEKDAY_NAMES.items()},
    **{f"{name.lower()}s": day for day, name in WEEKDAY_NAMES.items()},
}
HANDOVER_TEXT = "Thanks! Someone from our team will answer you here as soon as possible."
# A person from the restaurant answered recently: they are talking, the replier keeps quiet.
HUMAN_PAUSE = timedelta(hours=2)
# The away message is said once, not after every message of an evening's conversation.
AWAY_REPEAT = timedelta(hours=12)


@dataclass
class Decision:
    text: str = ""
    rule: str = ""
    handover: str = ""  # why a person should take over ("" = no need)
    parts: list[str] = field(default_factory=list)


# -- profile answers -----------------------------------------------------------------------
def _slots_text(slots: list[dict[str, str]]) -> str:
    spans = [f"{s['open']}–{s['close']}" for s in slots]
    return spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]


def _closure(tenant: Tenant, day: date) -> dict | None:
    for item in tenant.closures or []:
        if isinstance(item, dict) and item.get("date") == day.isoformat():
            return item
    return None


def day_asked(*, text: str, today: date) -> tuple[date, str]:
    """The date a question is about (the next such weekday, today included) and how to say it."""
    lowered = text.lower()
    if "tomorrow" in lowered:
        return today + timedelta(days=1), "Tomorrow"
    for word in re.findall(r"[a-z]+", lowered):
        day = DAY_WORDS.get(word)
        if day is not None:
            ahead = (WEEKDAYS.index(day) - today.weekday()) % 7
            when = today + timedelta(days=ahead)
            return when, "Today" if ahead == 0 else f"On {WEEKDAY_NAMES[day]}"
    return today, "Today"


def hours_answer(*, tenant: Tenant, text: str, now: datetime) -> str:
    if not has_opening_hours(tenant.opening_hours):
        return ""
    today = now.astimezone(tenant.tzinfo).date()
    when, label = day_asked(text=text, today=today)
    closure = _closure(tenant, when)
    dated = f"{label} ({when:%A} {when.day} {when:%B})" if label == "Today" else label
    if closure is not None:
        note = f" ({closure['note']})" if closure.get("note") else ""
        return f"{dated} we are closed{note}."
    slots = tenant.opening_hours.get(WEEKDAYS[when.weekday()]) or []
    if not slots:
        return f"{dated} we are closed."
    return f"{dated} we are open {_slots_text(slots)}."


def directions_url(address: str) -> str:
    return "https://www.google.com/maps/dir/?api=1&destination=" + quote_plus(address)


def address_answer(*, tenant: Tenant) -> str:
    if not tenant.address:
        return ""
    return f"You can find us at {tenant.address}. Directions: {directions_url(tenant.address)}"


# Diet words a customer may use → the word to look for in the profile's diets.
DIETS = {
    "vegan": "vegan",
    "vegetarian": "vegetarian",
    "gluten": "gluten",
    "coeliac": "gluten",
    "celiac": "gluten",
    "lactose": "lactose",
    "dairy": "lactose",
    "halal": "halal",
    "kosher": "kosher",
}


def menu_answer(*, tenant: Tenant, text: str) -> str:
    """Menu highlights; for a diet question, a yes only when the profile lists that diet
    (never a guess: anything else goes to a person)."""
    lowered = text.lower()
    asked = {need for word, need in DIETS.items() if word in lowered}
    if asked or DIETARY.search(text):
        offered = tenant.dietary_options.lower()
        if not offered or not asked or any(need not in offered for need in asked):
            return ""
        return f"Yes! We cater for these diets: {tenant.dietary_options}."
    dishes = [line.strip() for line in tenant.menu_highlights.splitlines() if line.strip()]
    if not dishes:
        return ""
    return "Some of our favourites: " + ", ".join(dishes[:8]) + "."


def reservations_answer(*, tenant: Tenant) -> str:
    if tenant.reservation_url:
        return f"You can book a table here: {tenant.reservation_url}"
    if tenant.phone:
        return f"To book a table, call us on {tenant.phone}."
    return ""


def is_open(*, tenant: Tenant, now: datetime) -> bool:
    """Whether ``now`` falls in an opening (a slot past midnight counts for the next day)."""
    local = now.astimezone(tenant.tzinfo)
    minute = local.hour * 60 + local.minute
    hours = tenant.opening_hours if isinstance(tenant.opening_hours, dict) else {}
    for offset, shift in ((0, 0), (1, 24 * 60)):
        day = WEEKDAYS[(local.weekday() - offset) % 7]
        for slot in hours.get(day) or []:
            start = int(slot["open"][:2]) * 60 + int(slot["open"][3:])
            end = int(slot["close"][:2]) * 60 + int(slot["close"][3:])
            if end <= start:
                end += 24 * 60
            if start <= minute + shift < end:
                return True
    return False


def ai_answer(*, tenant: Tenant, question: str) -> str:
    """An answer from ``posting/ai.py`` grounded only in the profile, or "" (no OpenAI key,
    OpenAI failing, or the profile does not answer it for sure: a person takes over then).
    ``WEBHOOK_AI_REPLIES`` turns it off altogether."""
    if not settings.WEBHOOK_AI_REPLIES:
        return ""
    from posting import ai

    return ai.reply_answer(tenant=tenant, question=question) or ""


def answer_for(
    *,
    tenant: Tenant,
    reply: ReplySettings,
    rules: list[AutoReplyRule],
    text: str,
    first: bool,
    now: datetime,
) -> Decision:
    """What to answer to one customer message (pure: no writes, no I/O)."""
    if HUMAN.search(text):
        return Decision(HANDOVER_TEXT, "handover", handover="The customer asked for a person.")
    lowered = text.lower()
    for rule in rules:
        if rule.enabled and any(k in lowered for k in rule.keyword_list):
            return Decision(rule.answer, f"rule:{rule.pk}")
    decision = Decision()
    unknown = []
    for name, pattern in INTENTS.items():
        if not pattern.search(text):
            continue
        part = {
            "hours": lambda: hours_answer(tenant=tenant, text=text, now=now),
            "address": lambda: address_answer(tenant=tenant),
            "menu": lambda: menu_answer(tenant=tenant, text=text),
            "reservations": lambda: reservations_answer(tenant=tenant),
            "parking": lambda: tenant.parking,
            "delivery": lambda: tenant.delivery,
        }[name]()
        if part:
            decision.parts.append(part)
            decision.rule = f"{decision.rule}+{name}" if decision.rule else name
        else:
            unknown.append(name)
    if unknown:
        decision.handover = "A question the profile cannot answer: " + ", ".join(unknown) + "."
    if decision.parts:
        decision.text = "\n\n".join(decision.parts)
        return decision
    if unknown:
        return decision
    if first and reply.greeting:
        return Decision(reply.greeting, "greeting")
    if not is_open(tenant=tenant, now=now) and reply.away_message:
        return Decision(reply.away_message, "away")
    ai = ai_answer(tenant=tenant, question=text)
    if ai:
        return Decision(ai, "ai")
    return Decision(handover="No automatic answer fits this message.")


# -- the auto-replier ----------------------------------------------------------------------
def reply_settings_for(*, tenant: Tenant) -> ReplySettings:
    row, _created = ReplySettings.objects.get_or_create(tenant=tenant)
    return row


def text_limit(conversation: Conversation) -> int:
    if conversation.network == Conversation.Network.INSTAGRAM:
        return INSTAGRAM_TEXT_LIMIT
    return MESSENGER_TEXT_LIMIT


def _said_recently(*, conversation: Conversation, now: datetime, rule: str) -> bool:
    """A person of the restaurant replied within `HUMAN_PAUSE`, or this is an away message
    already sent within `AWAY_REPEAT`."""
    outgoing = Message.objects.filter(
        conversation=conversation, direction=Message.Direction.OUT
    ).exclude(status__in=[Message.Status.FAILED, Message.Status.SKIPPED])
    if outgoing.filter(automatic=False, sent_at__gte=now - HUMAN_PAUSE).exists():
        return True
    return (
        rule == "away"
        and outgoing.filter(automatic=True, rule="away", sent_at__gte=now - AWAY_REPEAT).exists()
    )


def auto_reply_consider(*, message: Message, first: bool) -> Message | None:
    """Decide, under a lock on the conversation, whether to answer ``message``; store the
    answer as a pending automatic `Message` and send it once committed. Returns it, or None."""
    conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
    account = conversation.account
    tenant = Tenant.objects.get(pk=conversation.tenant_id)
    now = timezone.now()
    if (
        message.direction != Message.Direction.IN
        or message.is_echo
        or message.author_id == account.external_id
        or conversation.needs_human
        or not conversation.in_window(now)
        or now - message.sent_at > timedelta(hours=24)
    ):
        return None
    reply = reply_settings_for(tenant=tenant)
    if not reply.is_on_for(account.pk):
        return None
    rules = list(AutoReplyRule.objects.filter(enabled=True))
    decision = answer_for(
        tenant=tenant, reply=reply, rules=rules, text=message.text, first=first, now=now
    )
    if decision.handover:
        conversation.needs_human = True
        conversation.needs_human_reason = decision.handover[:200]
        conversation.save(update_fields=["needs_human", "needs_human_reason"])
    if not decision.text:
        return None
    interval = timedelta(minutes=settings.WEBHOOK_AUTO_REPLY_INTERVAL_MINUTES)
    if conversation.last_auto_reply_at and now - conversation.last_auto_reply_at < interval:
        logger.info("auto-reply skipped in %s: one was sent recently", conversation.pk)
        return None
    if _said_recently(conversation=conversation, now=now, rule=decision.rule):
        return None
    answer = Message.objects.create(
        tenant=tenant,
        conversation=conversation,
        direction=Message.Direction.OUT,
        text=decision.text[: text_limit(conversation)],
        automatic=True,
        rule=decision.rule[:100],
        reply_to=message,
        status=Message.Status.PENDING,
        author_id=account.external_id,
        sent_at=now,
    )
    conversation.last_auto_reply_at = now
    conversation.save(update_fields=["last_auto_reply_at"])
    from webhooks import tasks

    enqueue_on_commit(tasks.message_send, tenant_id=tenant.pk, message_id=str(answer.pk))
    return answer
