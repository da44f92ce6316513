"""A thread page's comments and messages as webhooks/thread_html.py draws them: every value
escaped, the badges and forms each state calls for, the refused text back in the form that was
open; who sent a message, whether it went out, and attachments linked only when on the web."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from lib.testing import html_tags as _parsed
from webhooks.models import Message
from webhooks.thread_html import comment as body

CSRF = '<input type="hidden" name="csrfmiddlewaretoken" value="tok">'


def _comment(**fields) -> Message:
    c = Message(
        **{"id": uuid.UUID(int=7), "direction": "in", "author_name": "Ana", "text": "Hi", **fields}
    )
    c.when_iso, c.when = "2026-12-01T19:30:00+01:00", "1 Dec, 19:30"
    c.reply_url, c.private_url, c.hide_url = "/r/", "/p/", "/h/"
    c.open_form = ""
    return c


def _draw(c: Message, reply_text: str = "") -> str:
    return body(c, account_name="Trattoria <da> Walter", reply_text=reply_text, csrf_field=CSRF)


def test_every_value_is_escaped_and_lines_break():
    c = _comment(author_name='<b onclick="x">Eve</b>', text="<script>alert(1)</script>\nBye & ciao")
    markup = _draw(c, reply_text="</textarea><script>")
    assert "<script>" not in markup and "<b onclick" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Bye &amp; ciao" in markup
    assert "&lt;b onclick=&quot;x&quot;&gt;Eve&lt;/b&gt;" in markup
    _parsed(markup)


def test_a_visible_customer_comment_has_the_three_forms_each_with_its_csrf_field():
    tags = _parsed(_draw(_comment()))
    forms = [attrs["action"] for tag, attrs in tags.started if tag == "form"]
    assert forms == ["/r/", "/p/", "/h/"]
    assert sum(1 for tag, attrs in tags.started if attrs.get("name") == "csrfmiddlewaretoken") == 3
    labels = {attrs["for"] for tag, attrs in tags.started if tag == "label"}
    areas = {attrs["id"] for tag, attrs in tags.started if tag == "textarea"}
    assert labels == areas == {f"reply-{uuid.UUID(int=7)}", f"private-{uuid.UUID(int=7)}"}


@pytest.mark.parametrize(
    ("fields", "forms", "badges"),
    [
        ({"comment_state": "hidden"}, ["/r/", "/p/"], ["Hidden"]),
        ({"comment_state": "removed"}, [], ["Removed"]),
        (
            {"private_reply_at": datetime(2026, 12, 1, tzinfo=UTC)},
            ["/r/", "/h/"],
            ["Answered privately"],
        ),
        ({"edited_at": datetime(2026, 12, 1, tzinfo=UTC)}, ["/r/", "/p/", "/h/"], ["Edited"]),
        ({"direction": "out"}, [], []),
    ],
)
def test_each_state_shows_its_badge_and_only_the_forms_it_allows(fields, forms, badges):
    c = _comment(**fields)
    markup = _draw(c)
    tags = _parsed(markup)
    assert [attrs["action"] for tag, attrs in tags.started if tag == "form"] == forms
    shown = [b for b in ("Edited", "Hidden", "Removed", "Answered privately") if f">{b}<" in markup]
    assert shown == badges
    name = "Trattoria &lt;da&gt; Walter" if fields.get("direction") == "out" else "Ana"
    assert f"<strong>{name}</strong>" in markup


@pytest.mark.parametrize("opened", ["reply", "private"])
def test_a_refused_reply_comes_back_in_the_form_that_was_open(opened):
    c = _comment()
    c.open_form = opened
    markup = _draw(c, reply_text="Grazie <3")
    assert markup.count("<details open>") == 1
    assert markup.count("Grazie &lt;3") == 1
    field = f'id="{opened}-{c.pk}" name="text" rows="2">Grazie &lt;3</textarea>'
    assert field in markup


def _message(**fields) -> Message:
    m = Message(
        **{"id": uuid.UUID(int=9), "direction": "in", "text": "Open <today>?\nThanks", **fields}
    )
    m.when_iso, m.when = "2026-12-01T19:30:00+01:00", "1 Dec, 19:30"
    return m


def _bubble(m: Message, customer: str = "Ana <3") -> str:
    from webhooks.thread_html import bubble

    markup = bubble(m, customer_name=customer)
    _parsed(markup)
    return markup


def test_a_bubble_escapes_the_text_and_the_names_and_links_only_web_addresses():
    m = _message(
        attachments=[
            {"type": "image", "url": "https://cdn.example/a.jpg?x=1&y=2"},
            {"type": "file", "url": "javascript:alert(1)"},
            {"type": "<video>"},
            "not a dict",
        ]
    )
    markup = _bubble(m)
    assert "Open &lt;today&gt;?<br>Thanks" in markup
    assert "Ana &lt;3" in markup
    assert 'href="https://cdn.example/a.jpg?x=1&amp;y=2"' in markup
    assert "javascript:" not in markup
    assert markup.count("we cannot show here") == 3
    assert "A &lt;video&gt; we cannot show here" in markup
    assert 'class="bubble bubble-in" data-direction="in"' in markup


@pytest.mark.parametrize(
    ("fields", "who"),
    [
        ({}, "Ana &lt;3"),
        (
            {"direction": "out", "automatic": True, "rule": "Opening <hours>"},
            "Automatic reply (Opening &lt;hours&gt;)",
        ),
        ({"direction": "out", "automatic": True}, "Automatic reply"),
        ({"direction": "out"}, "Sent from Facebook"),
    ],
)
def test_a_bubble_says_who_sent_it(fields, who):
    assert f'<div class="bubble-meta">{who}\n' in _bubble(_message(**fields))


def test_a_bubble_sent_by_a_member_names_them():
    from django.contrib.auth import get_user_model

    user = get_user_model()(pk=3, first_name="", email="giulia@example.com")
    m = _message(direction="out", sent_by=user)
    assert '<div class="bubble-meta">giulia@example.com\n' in _bubble(m)
    user.first_name = "Giulia"
    assert '<div class="bubble-meta">Giulia\n' in _bubble(m)


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"status": "sent"}, ""),
        ({"status": "pending"}, ' · <span class="badge">Sending</span>'),
        (
            {"status": "failed", "error": "Outside the <24 h> window"},
            ' · <span class="badge badge-bad">Not sent</span> Outside the &lt;24 h&gt; window',
        ),
        (
            {"status": "skipped", "tag": "HUMAN_AGENT"},
            ' · human agent tag · <span class="badge badge-bad">Not sent</span> ',
        ),
    ],
)
def test_a_bubble_says_whether_it_went_out(fields, shown):
    markup = _bubble(_message(direction="out", **fields))
    assert f"</time>{shown}\n</div>" in markup
    assert ("bubble-auto" in markup) is False


def test_the_comment_list_nests_each_comments_replies_under_it():
    """{% comment_list %}: a top-level item per comment, its replies in a nested list, the
    shared parts (CSRF field, the form text after a refusal) in every form."""
    from types import SimpleNamespace

    from django.template import Context, Template

    top = _comment(id=uuid.UUID(int=1), text="First <one>")
    reply = _comment(id=uuid.UUID(int=2), direction="out", text="Thanks!")
    second = _comment(id=uuid.UUID(int=3), text="Second")
    second.open_form = "reply"
    conversation = SimpleNamespace(account=SimpleNamespace(name="Trattoria <da> Walter"))
    context = {
        "comments": [(top, [reply]), (second, [])],
        "conversation": conversation,
        "csrf_token": "tok",
        "reply_form": {"text": SimpleNamespace(value=lambda: "Typed <before>")},  # as a form
    }
    markup = Template("{% load inbox %}<ol>{% comment_list comments %}</ol>").render(
        Context(context)
    )
    tags = _parsed(markup)
    items = [
        a.get("id")
        for t, a in tags.started
        if t == "div" and (a.get("id") or "").startswith("comment-")
    ]
    assert items == [f"comment-{uuid.UUID(int=n)}" for n in (1, 2, 3)]
    nested = markup.index('<ol class="comments comment-replies">')
    assert markup.index("First &lt;one&gt;") < nested < markup.index("Thanks!")
    assert markup.index("Thanks!") < markup.index("</ol>", nested) < markup.index("Second")
    assert markup.count('<ol class="comments comment-replies">') == 1
    assert markup.count(CSRF) == 6  # three forms on each customer comment, none on ours
    assert "Typed &lt;before&gt;" in markup  # back in the form that was open
    assert "Walter" in markup and "&lt;da&gt;" in markup


def test_the_bubble_list_draws_every_message_in_order():
    from types import SimpleNamespace

    from django.template import Context, Template

    messages = [_message(id=uuid.UUID(int=n), text=f"Message {n}") for n in (1, 2, 3)]
    conversation = SimpleNamespace(customer_name="Ana <3")
    markup = Template("{% load inbox %}{% bubble_list thread %}").render(
        Context({"thread": messages, "conversation": conversation})
    )
    _parsed(markup)
    assert [markup.index(f"Message {n}") for n in (1, 2, 3)] == sorted(
        markup.index(f"Message {n}") for n in (1, 2, 3)
    )
    assert markup.count("<li") == 3


def test_a_time_is_shown_on_the_restaurants_clock_and_stamped_in_the_current_zone():
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from webhooks.inbox_rows import when

    at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # Rome has just moved its clocks forward
    rome, new_york = ZoneInfo("Europe/Rome"), ZoneInfo("America/New_York")
    with timezone.override(rome):
        assert when(at, rome) == ("2026-03-29T03:30:00+02:00", "29 Mar, 03:30")
    with timezone.override(new_york):
        assert when(at, rome) == ("2026-03-28T21:30:00-04:00", "29 Mar, 03:30")
        assert when(at, rome, new_york) == when(at, rome)
