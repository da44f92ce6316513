"""lib/display.py writes what Django's ``truncatechars`` and ``date`` filters write."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from lib.display import date_text

PATTERNS = ["D j M, H:i", "j M Y, H:i", "D j M Y, H:i", "j M Y", "H:i", "Y-M-j", "j. M."]


@pytest.mark.parametrize("language", ["en", "de", "it"])
@pytest.mark.parametrize("zone", ["Europe/Rome", "America/New_York", "Asia/Kathmandu", "UTC"])
def test_times_are_written_as_the_date_filter_writes_them(zone, language):
    rng = random.Random(zone + language)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    template = Template("{{ value|date:pattern }}")
    with timezone.override(ZoneInfo(zone)), translation.override(language):
        for _ in range(300):
            value = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 800))
            for pattern in PATTERNS:
                expected = template.render(Context({"value": value, "pattern": pattern}))
                assert date_text(value, pattern) == expected, (value, pattern)


def test_other_letters_go_through_django():
    value = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/Berlin")):
        assert date_text(value, "l jS F Y, P e") == "Sunday 29th March 2026, 3:30 a.m. CEST"


def test_every_combining_character_is_known():
    import sys
    import unicodedata

    from lib.display import combining_characters

    everywhere = {c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.combining(c)}
    assert combining_characters() == everywhere
