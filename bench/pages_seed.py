"""The round-two data of `bench.bench_pages`: posts with their publications, attempts and
figures, and inbox conversations with their messages and webhook events.

At `bench_pages`' size (500 posts, 1,000 conversations) a restaurant posts about three times a
day over six months, so the calendar's month holds about 80 posts; a post goes to its Page and,
every other one, to Instagram, in every state a publication can be in; a published post has the
snapshots whose collection point has passed; the inbox has three DM conversations for every
comment thread. Everything is spread by the post's or conversation's number, so a second call
with the numbers that follow (the query-count check) adds more of the same kind, in the same
months and lists."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

SPAN_DAYS = 180  # posts from 150 days ago to 30 days ahead
PAST_DAYS = 150
_TYPES = ["daily_special", "new_dish", "event", "promotion", "behind_the_scenes"]


def add_posts(tenant: Any, *, page: Any, ig: Any, asset_ids: list[int], numbers: range) -> dict:
    """Posts ``numbers`` (one draft in 25), each with 1–3 photos and its publications; returns
    {"draft": id, "scheduled": id, "published": id} of posts of those kinds for the pages."""
    from django.utils import timezone

    from analytics.models import POINT_DELAYS, MetricSnapshot
    from posting.models import Post, PostMedia, Publication, PublishAttempt

    S = Publication.State
    now = timezone.now()
    origin = now - timedelta(days=PAST_DAYS)
    times = {
        i: None if i % 25 == 0 else origin + timedelta(minutes=(i * 7919) % (SPAN_DAYS * 1440))
        for i in numbers
    }
    posts = Post.objects.bulk_create(
        [
            Post(
                tenant=tenant,
                post_type=_TYPES[i % len(_TYPES)],
                text=f"Tonight's special number {i}: grilled sardines, lemon and a glass of "
                "white. Book a table by the harbour! #seafood #bistro",
                text_instagram="" if i % 3 else f"Special number {i} 🐟 #seafood",
                link="https://bench-bistro.example/menu" if i % 7 == 0 else "",
                scheduled_at=times[i],
                scheduled_local=f"{times[i]:%Y-%m-%d %H:%M}" if times[i] else "",
                scheduled_zone=tenant.timezone if times[i] else "",
            )
            for i in numbers
        ]
    )
    PostMedia.objects.bulk_create(
        [
            PostMedia(
                tenant=tenant,
                post=post,
                asset_id=asset_ids[(i * 3 + n) % len(asset_ids)],
                position=n,
            )
            for i, post in zip(numbers, posts, strict=True)
            for n in range(1 + i % 3)
        ]
    )

    def state(i: int) -> str:
        at = times[i]
        if at is None:
            return S.DRAFT
        if at > now:
            return S.HELD if i % 11 == 0 else S.SCHEDULED
        for every, past_state in ((13, S.FAILED), (17, S.CANCELLED), (29, S.NEEDS_RECONCILE)):
            if i % every == 0:
                return past_state
        return S.PUBLISHED

    publications = []
    for i, post in zip(numbers, posts, strict=True):
        for account in (page, ig) if i % 2 == 0 else (page,):
            fb = account is page
            photos = 1 + i % 3
            published = state(i) == S.PUBLISHED
            publications.append(
                Publication(
                    tenant=tenant,
                    post=post,
                    account=account,
                    network="facebook" if fb else "instagram",
                    shape=("fb_photo" if fb else "ig_image")
                    if photos == 1
                    else ("fb_album" if fb else "ig_carousel"),
                    state=state(i),
                    next_attempt_at=times[i],
                    published_at=times[i] + timedelta(minutes=1) if published else None,
                    attempt_count=0 if state(i) in (S.DRAFT, S.SCHEDULED) else 1,
                    remote_id=f"1001_{i}_{account.pk.hex[:6]}" if published else "",
                    permalink=f"https://www.facebook.com/1001/posts/{i}" if published else "",
                    hold_reason="quota" if state(i) == S.HELD else "",
                    last_error="The photo could not be read by Facebook."
                    if state(i) == S.FAILED
                    else "",
                )
            )
    Publication.objects.bulk_create(publications)
    outcome = {S.PUBLISHED: "published", S.FAILED: "failed", S.NEEDS_RECONCILE: "ambiguous"}
    PublishAttempt.objects.bulk_create(
        [
            PublishAttempt(
                tenant=tenant,
                publication=p,
                number=1,
                started_at=p.next_attempt_at,
                ended_at=p.next_attempt_at + timedelta(seconds=4),
                step="publish",
                outcome=outcome[p.state],
                detail=p.last_error,
                request_summary={"photos": 1, "text_length": 96},
            )
            for p in publications
            if p.state in outcome
        ]
    )
    snapshots = []
    for n, p in enumerate(publications):
        for step, (point, delay) in enumerate(POINT_DELAYS.items(), start=1):
            if p.published_at is not None and p.published_at + delay <= now:
                at = p.published_at + delay
                snapshots.append(MetricSnapshot(tenant=tenant, publication=p, point=point,
                                                collected_at=at, **_figures(n, step)))  # fmt: skip
    MetricSnapshot.objects.bulk_create(snapshots, batch_size=2000)
    by_state = {state(i): post.pk for i, post in zip(numbers, posts, strict=True)}
    return {
        "draft": by_state[S.DRAFT],
        "scheduled": by_state[S.SCHEDULED],
        "published": by_state[S.PUBLISHED],
    }


def _figures(n: int, step: int) -> dict[str, Any]:
    """Publication ``n``'s figures at its ``step``-th collection point; one in eleven first
    points found no figures yet (empty, not zero)."""
    if step == 1 and n % 11 == 0:
        return {"available": False}
    return {
        "views": 150 * step + n % 400,
        "reach": 110 * step + n % 300,
        "reactions": 12 * step + n % 30,
        "comments": step + n % 5,
        "shares": n % 4,
        "engagement": 14 * step + n % 40,
    }


def add_daily(tenant: Any, *, accounts: list) -> None:
    """Each account's followers, reach and views for every day of the posts' past."""
    from django.utils import timezone

    from analytics.models import AccountDailySnapshot

    now = timezone.now()
    today = now.astimezone(tenant.tzinfo).date()
    AccountDailySnapshot.objects.bulk_create(
        [
            AccountDailySnapshot(
                tenant=tenant,
                account=account,
                day=today - timedelta(days=d),
                followers=4000 - 3 * d,
                reach=600 + (d * 37) % 250,
                views=900 + (d * 53) % 400,
                collected_at=now,
            )
            for account in accounts
            for d in range(1, PAST_DAYS + 1)
        ]
    )


def add_conversations(
    tenant: Any, *, page: Any, ig: Any, numbers: range, long: int = 0
) -> dict[str, Any]:
    """Conversations ``numbers``: one in four a comment thread (top-level comments each with
    the restaurant's answer), the others DMs (3–8 messages); one webhook event per customer
    message. The first DM and the first comment thread get ``long`` more messages each (the
    thread pages). Returns {"messages": id, "comments": id} of those two."""
    from django.utils import timezone

    from webhooks.models import Conversation

    now = timezone.now()
    conversations = []
    for i in numbers:
        comments = i % 4 == 0
        account = page if i % 3 else ig
        last = now - timedelta(minutes=(i * 7) % (60 * 24 * 30) + 1)
        conversations.append(
            Conversation(
                tenant=tenant,
                account=account,
                kind="comments" if comments else "messages",
                network="facebook" if account is page else "instagram",
                customer_id="" if comments else f"psid-{i}",
                customer_name="" if comments else f"Customer {i}",
                customer_name_fetched=not comments,
                post_id=f"1001_{i}" if comments else "",
                post_text=f"Tonight's special number {i}" if comments else "",
                last_message_at=last,
                last_message_text="Do you have a table for four tonight?",
                last_incoming_at=last,
                unread=i % 3 == 0,
                needs_human=i % 7 == 0,
                needs_human_reason="Asked for a person." if i % 7 == 0 else "",
                done=i % 5 == 4,
                created_at=last - timedelta(days=2),
            )
        )
    Conversation.objects.bulk_create(conversations, batch_size=1000)
    first = {c.kind: c for c in reversed(conversations)}
    sizes = {c.pk: 3 + n % 6 for n, c in enumerate(conversations)}
    for conversation in first.values():
        sizes[conversation.pk] += long
    _add_messages(tenant, conversations, sizes=sizes, start=0)
    return {"messages": first["messages"].pk, "comments": first["comments"].pk}


def grow_threads(tenant: Any, *, ids: list, more: int, start: int) -> None:
    """``more`` messages at the end of each conversation of ``ids``, numbered from ``start``."""
    from webhooks.models import Conversation

    conversations = list(Conversation.objects.filter(tenant=tenant, pk__in=ids))
    for conversation in conversations:
        conversation.last_message_at += timedelta(minutes=more)
    Conversation.objects.bulk_update(conversations, ["last_message_at"])
    _add_messages(tenant, conversations, sizes=dict.fromkeys(ids, more), start=start)


def _add_messages(tenant: Any, conversations: list, *, sizes: dict, start: int) -> None:
    """Messages ``start``… of each conversation, alternately the customer's and the restaurant's
    (answers to the comment before in a comment thread), ending at its last message time; one
    webhook event per customer message."""
    from webhooks.models import Message, WebhookEvent

    messages, events = [], []
    for n, conversation in enumerate(conversations):
        size = sizes[conversation.pk]
        for k in range(start, start + size):
            incoming = k % 2 == 0
            remote = f"m-{conversation.pk.hex[:12]}-{k}"
            messages.append(
                Message(
                    tenant=tenant,
                    conversation=conversation,
                    direction="in" if incoming else "out",
                    remote_id=remote,
                    text="Do you have a table for four tonight?"
                    if incoming
                    else "Yes, we do! See you at eight.",
                    sent_at=conversation.last_message_at - timedelta(minutes=start + size - k),
                    author_id=conversation.customer_id or f"fan-{n}-{k}" if incoming else "1001",
                    author_name=conversation.customer_name or f"Fan {k}" if incoming else "",
                    automatic=not incoming and k % 4 == 1,
                    rule="opening_hours" if not incoming and k % 4 == 1 else "",
                    parent_remote_id=""
                    if incoming or not conversation.is_comments
                    else f"m-{conversation.pk.hex[:12]}-{k - 1}",
                )
            )
            if incoming:
                events.append(
                    WebhookEvent(
                        tenant=tenant,
                        account=conversation.account,
                        dedupe_key=uuid.uuid4().hex + uuid.uuid4().hex,
                        delivery_id=uuid.uuid4(),
                        object="page" if conversation.network == "facebook" else "instagram",
                        entry_id=conversation.account.external_id,
                        field="feed" if conversation.is_comments else "",
                        messaging=not conversation.is_comments,
                        payload={"mid": remote, "text": "Do you have a table for four tonight?"},
                        received_at=conversation.last_message_at,
                        status="processed",
                        attempts=1,
                        processed_at=conversation.last_message_at,
                    )
                )
    Message.objects.bulk_create(messages, batch_size=2000)
    WebhookEvent.objects.bulk_create(events, batch_size=2000)
