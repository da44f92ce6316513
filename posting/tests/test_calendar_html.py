"""A calendar day as posting/views/calendar.py draws it (the grid's cell and the agenda's
entry): well-formed, every value escaped, today and the other month's days marked, the "new
post" link only where there is one, its chips inside."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lib.testing import html_tags
from posting.selectors import ChipPost
from posting.views.calendar import Chip, Day


def _chip(text: str = "Soup <b>tonight</b>", movable: bool = True) -> Chip:
    return Chip(
        post=ChipPost(4, text, datetime(2026, 3, 2, 18, 30, tzinfo=UTC), []),
        local=datetime(2026, 3, 2, 19, 30, tzinfo=UTC),
        state="scheduled",
        words="Scheduled",
        networks=["facebook"],
        movable=movable,
        url="/p/4/?a=1&b=2",
    )


def _day(**fields) -> Day:
    values = {
        "day": date(2026, 3, 2),
        "in_month": True,
        "is_today": False,
        "iso": "2026-03-02",
        "label": "Monday 2 <March>",
        "add_url": "/new/?date=2026-03-02",
        **fields,
    }
    return Day(**values)


def test_a_cell_holds_its_chips_and_escapes_every_value():
    day = _day(chips=[_chip(), _chip("Second", movable=False)])
    markup = str(day.cell)
    tags = html_tags(markup)
    [section] = [attrs for tag, attrs in tags.started if tag == "section"]
    assert section == {
        "class": "cal-day",
        "data-date": "2026-03-02",
        "aria-label": "Monday 2 <March>",  # the parser unescapes attribute values
    }
    assert "Monday 2 &lt;March&gt;" in markup and "<March>" not in markup
    assert "Soup &lt;b&gt;tonight&lt;/b&gt;" in markup
    assert 'href="/p/4/?a=1&amp;b=2"' in markup
    assert markup.count('draggable="true"') == 1
    links = [attrs["href"] for tag, attrs in tags.started if tag == "a"]
    assert links == ["/new/?date=2026-03-02", "/p/4/?a=1&b=2", "/p/4/?a=1&b=2"]


def test_today_and_other_months_days_are_marked_and_a_past_day_has_no_new_post_link():
    today = str(_day(is_today=True).cell)
    assert (
        'class="cal-day is-today"' in today
        and 'aria-label="Monday 2 &lt;March&gt;, today"' in today
    )
    other = str(_day(in_month=False, add_url="").cell)
    html_tags(other)
    assert 'class="cal-day is-other"' in other and "cal-add" not in other


def test_the_agenda_entry_lists_the_days_chips_as_lines():
    markup = str(_day(is_today=True, chips=[_chip()]).agenda)
    html_tags(markup)
    assert markup.startswith('<h3 class="agenda-day is-today">Monday 2 &lt;March&gt; · Today</h3>')
    assert '<span class="chip-state">Scheduled</span>' in markup
    assert "draggable" not in markup


def test_a_chips_texts_are_cut_as_truncatechars_cuts_them():
    import random

    from django.utils.text import Truncator

    rng = random.Random(7)
    for letters in (
        "abcdé e\u0301 ñ🍕  ",
        "ab c.",
        "ab c.…",
    ):  # combining, emoji; ASCII; an ellipsis
        for _ in range(500):
            text = "".join(rng.choice(letters) for _ in range(rng.randint(0, 120)))
            chip = _chip(text)
            for length in (40, 60):
                assert chip._text(length) == Truncator(text or "Photo post").chars(length), text
