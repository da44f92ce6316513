"""Texts and times as Django's template filters write them, for markup drawn in Python.

Lists that draw their rows in Python (posting/publication_html.py, the calendar's cells, the
posts list) show a cut text and a formatted time per row. Django's ``truncatechars`` and
``date`` cost about as much per value as the rest of a row (docs/performance.md, "Pages"), so
the common cases take a shorter way here, giving the same text (tests compare the two on
thousands of values), and anything else goes through Django.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from datetime import datetime
from html import escape as _html_escape

from django.utils import timezone
from django.utils.dateformat import format as django_date_format
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.text import Truncator, add_truncation_text, calculate_truncate_chars_length
from django.utils.translation import get_language

_SPECIAL = frozenset("&<>\"'")


def escape(text: str) -> str:
    """``html.escape(text)`` (Django's ``escape``, quotes included), without its five
    replacements when the text has nothing to replace (most names, times and links): markup
    drawn in Python escapes hundreds of values a page."""
    return text if _SPECIAL.isdisjoint(text) else _html_escape(text)


def linebreaks(text: str) -> str:
    """``linebreaksbr`` on a text with autoescaping on: line ends made ``\\n``, the text
    escaped, each line end a ``<br>`` (the filter goes through three lazy wrappers and a
    regular expression per text)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return escape(text).replace("\n", "<br>")


def cut(text: str, length: int) -> str:
    """``Truncator(text).chars(length)`` (``truncatechars``). Truncator writes the text in NFC
    and counts its characters but combining ones. Text with none once in NFC (plain ASCII, the
    accented letters of most languages, punctuation, emoji) is cut by slicing, as Truncator
    would cut it, with the active language's ellipsis; other text goes through Truncator."""
    if not text.isascii():
        composed = unicodedata.normalize("NFC", text)
        if not combining_characters().isdisjoint(composed):
            return Truncator(text).chars(length)
        text = composed
    if len(text) <= length:
        return text
    return add_truncation_text(text[: calculate_truncate_chars_length(length, None)])


@functools.cache
def combining_characters() -> frozenset[str]:
    """Every character ``unicodedata.combining`` counts as combining (about 900, from U+0300 to
    U+1E94A in this Python's Unicode; a test checks the whole range), found once per process."""
    return frozenset(
        char for char in map(chr, range(0x300, _COMBINING_END)) if unicodedata.combining(char)
    )


_COMBINING_END = 0x1E950


def date_text(value: datetime, pattern: str) -> str:
    """``value|date:pattern`` in a template: the time on the active zone's clock (the
    restaurant's, on portal pages), written as ``pattern`` says. The letters D, j, M, Y, H and
    i, with spaces and ``,:-./`` between them, are written here; any other pattern goes through
    Django's ``dateformat``."""
    local = timezone.localtime(value)
    parts = _compiled(pattern)
    if parts is None:
        return django_date_format(local, pattern)
    names = _names(get_language())
    return "".join(part if isinstance(part, str) else part(local, names) for part in parts)


Names = tuple[tuple[str, ...], tuple[str, ...]]
Part = str | Callable[[datetime, Names], str]
_LETTERS: dict[str, Callable[[datetime, Names], str]] = {
    "D": lambda d, names: names[0][d.weekday()],
    "j": lambda d, names: str(d.day),
    "M": lambda d, names: names[1][d.month],
    "Y": lambda d, names: f"{d.year:04d}",
    "H": lambda d, names: f"{d.hour:02d}",
    "i": lambda d, names: f"{d.minute:02d}",
}
_LITERALS = frozenset(" ,:-./")


@functools.cache
def _compiled(pattern: str) -> tuple[Part, ...] | None:
    parts: list[Part] = []
    for char in pattern:
        if char in _LETTERS:
            parts.append(_LETTERS[char])
        elif char in _LITERALS:
            parts.append(char)
        else:
            return None
    return tuple(parts)


@functools.cache
def _names(language: str | None) -> Names:
    """Day and month abbreviations as ``dateformat`` writes them in ``language`` (D: the
    weekday's, M: the month's, title-cased)."""
    return (
        tuple(str(WEEKDAYS_ABBR[day]) for day in range(7)),
        ("", *(str(MONTHS_3[month]).title() for month in range(1, 13))),
    )
