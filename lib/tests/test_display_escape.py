"""lib/display.py's escape and line breaks give what `html.escape` and Django's ``linebreaksbr`` give, hostile input
included (docs/performance.md, "Pages")."""

from __future__ import annotations

import random
from html import escape as html_escape

import pytest
from django.template.defaultfilters import linebreaksbr

from lib.display import escape, linebreaks

HOSTILE = [
    "",
    "plain text",
    "<script>alert(1)</script>",
    "\"quoted\" & 'single'",
    "Tom & Jerry's <b>bar</b>",
    "&amp; already escaped",
    "line one\nline two\r\nline three\rfour",
    "\r\n\r\n",
    "ünïcödé — “quotes” ‹›",
    '"><img src=x onerror=alert(1)>',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_and_line_breaks_give_what_html_escape_and_linebreaksbr_give(text):
    assert escape(text) == html_escape(text)
    assert linebreaks(text) == linebreaksbr(text, autoescape=True)


def test_escape_and_line_breaks_on_random_texts():
    rng = random.Random(8)
    alphabet = "ab &<>\"'\r\n\t;#xé“"
    for _ in range(2_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 24)))
        assert escape(text) == html_escape(text), text
        assert linebreaks(text) == linebreaksbr(text, autoescape=True), text
