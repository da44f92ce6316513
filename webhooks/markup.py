"""Escaping for the inbox's markup drawn in Python (webhooks/inbox_rows.py,
webhooks/thread_html.py): the same text as `html.escape` and Django's ``linebreaksbr``, with
less work for the common value that holds nothing to escape.

A thread page escapes about 800 values (the list's rows, each comment's names, times, links and
forms); `html.escape` makes five passes over each, and the ``linebreaksbr`` filter goes through
three lazy wrappers and a regular expression per text (docs/performance.md, "Pages"). Here one
search finds whether a value needs escaping at all; tests hold both to the originals with
hostile input."""

from __future__ import annotations

import re
from html import escape as _escape

_SPECIAL = re.compile("[&<>\"']").search


def escape(text: str) -> str:
    """``html.escape(text)`` (quotes included, as Django's ``escape``)."""
    return _escape(text) if _SPECIAL(text) else text


def linebreaks(text: str) -> str:
    """``linebreaksbr`` on a text with autoescaping on: line ends made ``\\n``, the text
    escaped, each line end a ``<br>``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return escape(text).replace("\n", "<br>")
