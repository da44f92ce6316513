"""A publication's line as posting/publication_html.py draws it: every value escaped, the detail
and the actions each state calls for (each action form with its CSRF field and the page to come
back to), times on the restaurant's clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from lib.testing import html_tags
from posting.models import Publication
from posting.publication_html import ActionUrls, line
from posting.selectors import AccountLine, PublicationLine
from social.models import SocialAccount

S = Publication.State
CSRF = '<input type="hidden" name="csrfmiddlewaretoken" value="tok">'


URLS = ActionUrls(
    edit=lambda post_id: f"/edit/{post_id}/",
    retry=lambda pk: f"/retry/{pk}/",
    publish_now=lambda pk: f"/now/{pk}/",
    cancel=lambda pk: f"/cancel/{pk}/",
)


def _publication(state: str, account_status: str = "active", **fields) -> Publication:
    p = Publication(**{"id": 5, "post_id": 3, "network": "facebook", "state": state, **fields})
    p.account = SocialAccount(name="Trattoria <da> Walter", status=account_status)
    return p


def _draw(p, back: str = "history", urls: ActionUrls = URLS) -> str:
    return line(
        p, back=back, urls=urls, csrf_field=CSRF, reconnect_url="/accounts/", zone="Europe/Rome"
    )


def _actions(markup: str) -> list[str]:
    tags = html_tags(markup)
    return [
        attrs.get("action") or attrs.get("href") or ""
        for tag, attrs in tags.started
        if tag == "form" or (tag == "a" and "btn" in (attrs.get("class") or ""))
    ]


@pytest.mark.parametrize(
    ("state", "status", "actions"),
    [
        (S.DRAFT, "active", ["/cancel/5/"]),
        (S.SCHEDULED, "active", ["/cancel/5/"]),
        (S.PUBLISHING, "active", []),
        (S.PUBLISHED, "active", []),
        (S.FAILED, "active", ["/retry/5/", "/edit/3/", "/cancel/5/"]),
        (S.HELD, "active", ["/now/5/", "/cancel/5/"]),
        (S.HELD, "expiring", ["/now/5/", "/cancel/5/"]),
        (S.HELD, "needs_reconnect", ["/accounts/", "/cancel/5/"]),
        (S.NEEDS_RECONCILE, "active", []),
        (S.CANCELLED, "active", []),
    ],
)
def test_each_state_offers_only_the_actions_it_allows(state, status, actions):
    markup = _draw(_publication(state, status))
    assert _actions(markup) == actions
    forms = sum(1 for a in actions if a in ("/retry/5/", "/now/5/", "/cancel/5/"))
    assert markup.count(CSRF) == forms
    assert markup.count('<input type="hidden" name="next" value="history">') == forms
    assert f'class="pub pub-{state}"' in markup
    assert f">{S(state).label}</span>" in markup


def test_every_value_is_escaped():
    p = _publication(
        S.FAILED, last_error='Facebook said <b onclick="x">no</b> & more', network="instagram"
    )
    odd = ActionUrls(**{**vars(URLS), "retry": lambda pk: f'/retry/{pk}/?a=1&b="2"'})
    markup = _draw(p, urls=odd)
    assert "<b onclick" not in markup and "Trattoria <da>" not in markup
    assert "Facebook said &lt;b onclick=&quot;x&quot;&gt;no&lt;/b&gt; &amp; more" in markup
    assert 'action="/retry/5/?a=1&amp;b=&quot;2&quot;"' in markup
    assert 'Retry<span class="sr-only"> on Trattoria &lt;da&gt; Walter</span>' in markup
    assert 'aria-label="Instagram"' in markup


def test_a_failure_without_a_sentence_still_says_what_happened():
    assert "It could not be published." in _draw(_publication(S.FAILED, last_error=""))


def test_a_published_line_links_to_the_post_and_shows_the_time_on_the_restaurants_clock():
    p = _publication(
        S.PUBLISHED,
        permalink="https://facebook.example/1_2?x=1&y=2",
        published_at=datetime(2026, 12, 1, 18, 30, tzinfo=UTC),
    )
    with timezone.override("Europe/Rome"):
        markup = _draw(p, back="detail")
    html_tags(markup)
    assert (
        'href="https://facebook.example/1_2?x=1&amp;y=2" rel="noopener" target="_blank"' in markup
    )
    assert "View on Facebook" in markup and "(opens a new tab)" in markup
    assert "1 Dec 2026, 19:30" in markup
    no_link = _draw(_publication(S.PUBLISHED, permalink="", published_at=None))
    assert "Published." in no_link and "muted small" not in no_link


def test_a_scheduled_line_says_when_in_the_restaurants_zone():
    p = _publication(S.SCHEDULED, next_attempt_at=datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    with timezone.override("Europe/Rome"):
        markup = _draw(p)
    assert "Goes out Sun 29 Mar, 03:00 (Europe/Rome)" in markup


def test_the_page_to_come_back_to_is_the_one_asked_for():
    markup = _draw(_publication(S.FAILED), back="detail")
    assert markup.count('name="next" value="detail"') == 2


def test_a_line_of_the_posts_list_is_drawn_as_the_publication_it_stands_for():
    published = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
    for state in S.values:
        fields = {
            "permalink": "https://fb.example/1",
            "published_at": published,
            "last_error": "No.",
        }
        model = _publication(state, **fields, next_attempt_at=published)
        row = PublicationLine(
            5, 3, "facebook", state, "https://fb.example/1", published, "No.", published,
            AccountLine("Trattoria <da> Walter", "active"),
        )  # fmt: skip
        with timezone.override("Europe/Rome"):
            assert _draw(row) == _draw(model), state


# The posts list's row as its template drew it before it moved to Python (publication lines
# through the same tag): the Python row must give the same text a browser reads.
_OLD_ROW = (
    "{% load posting %}{% for post in posts %}"
    '<li class="card post-row"><div class="post-row-head">'
    '{% if post.thumb_url %}<img class="post-thumb" src="{{ post.thumb_url }}" alt="" width="56"'
    ' height="56" loading="lazy">{% endif %}<div class="post-row-text">'
    '<a href="{{ post.url }}" class="post-title">'
    '{{ post.text|default:"(photo post)"|truncatechars:140 }}</a>'
    '<span class="muted small">{% if post.scheduled_at %}{{ post.scheduled_at|date:"D j M Y, H:i" }}'
    '{% else %}Draft, saved {{ post.created_at|date:"j M Y" }}{% endif %}</span></div></div>'
    '<ul class="pubs">{% for p in post.publication_list %}{% publication_line p "history" %}'
    "{% endfor %}</ul></li>{% endfor %}"
)


def _row_post(pk: int, text: str, scheduled_at, thumb: str, states: list[str]):
    from types import SimpleNamespace

    return SimpleNamespace(
        pk=pk,
        text=text,
        scheduled_at=scheduled_at,
        created_at=datetime(2026, 2, 1, 23, 30, tzinfo=UTC),
        url=f"/posts/{pk}/?a=1&b=2",
        thumb_url=thumb,
        publication_list=[
            PublicationLine(
                10 * pk + n, pk, "facebook" if n % 2 else "instagram", state, "https://fb.example/p?x=1&y=<2>",
                datetime(2026, 3, 29, 1, 30, tzinfo=UTC), 'Refused: <b>"too long"</b>',
                datetime(2026, 10, 25, 0, 30, tzinfo=UTC), AccountLine("Trattoria <da> Walter", "active"),
            )
            for n, state in enumerate(states)
        ],
    )  # fmt: skip


def test_the_posts_rows_read_as_the_template_drew_them(tenant):
    import re

    from django.template import Context, Template
    from django.template.loader import render_to_string  # noqa: F401 (the engine is configured)

    posts = [
        _row_post(1, "Tonight: <truffle> & \"wine\" " + "x" * 200, datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
                  "/thumb/1/?s=1&t=2", [S.PUBLISHED, S.FAILED]),
        _row_post(2, "", None, "", [S.DRAFT]),
        _row_post(3, "Caffè e cornetto, più tardi " + "é" * 150, datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                  "", [S.SCHEDULED, S.HELD, S.NEEDS_RECONCILE, S.CANCELLED]),
    ]  # fmt: skip
    context = {"posts": posts, "tenant": tenant, "csrf_token": "tok"}
    with timezone.override(tenant.tzinfo):
        old = Template(_OLD_ROW).render(Context(context))
        new = Template("{% load posting %}{% post_rows posts %}").render(Context(context))
    html_tags(new)

    def text(markup: str) -> str:  # what a browser reads: whitespace between tags aside
        return re.sub(r">\s+<", "><", markup.strip())

    assert text(new) == text(old)
    assert new.count('<li class="card post-row">') == 3 and "&lt;truffle&gt;" in new
