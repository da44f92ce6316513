"""J7: the time rule across daylight-saving changes, with time-machine as the clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from posting import services
from posting.rules import PostRefused
from posting.timing import local_to_utc


def test_a_wall_time_in_the_spring_gap_moves_to_the_first_valid_minute_and_says_so():
    result = local_to_utc(wall=datetime(2026, 3, 29, 2, 30), zone="Europe/Berlin")
    assert result.local == datetime(2026, 3, 29, 3, 0)
    assert result.utc == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert "02:30 does not exist" in result.note and "03:00" in result.note


def test_a_repeated_autumn_wall_time_means_its_first_occurrence():
    result = local_to_utc(wall=datetime(2026, 10, 25, 2, 30), zone="Europe/Berlin")
    assert result.utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still CEST (UTC+2)
    assert result.note == ""


def test_the_minutes_around_the_gap_are_one_minute_apart_in_utc():
    before = local_to_utc(wall=datetime(2026, 3, 29, 1, 59), zone="Europe/Berlin").utc
    after = local_to_utc(wall=datetime(2026, 3, 29, 3, 0), zone="Europe/Berlin").utc
    assert (after - before).total_seconds() == 60


@pytest.mark.parametrize(
    "wall,expected",
    [
        (datetime(2026, 3, 8, 2, 30), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),  # gap → 03:00 EDT
        (datetime(2026, 11, 1, 1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # first: EDT
        (datetime(2026, 7, 4, 12, 0), datetime(2026, 7, 4, 16, 0, tzinfo=UTC)),
        (datetime(2026, 1, 15, 9, 0), datetime(2026, 1, 15, 14, 0, tzinfo=UTC)),
    ],
)
def test_new_york(wall, expected):
    assert local_to_utc(wall=wall, zone="America/New_York").utc == expected


@time_machine.travel(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), tick=False)
def test_scheduling_in_the_gap_tells_the_user_and_stores_utc(tenant, page, scoped):
    tenant.timezone = "Europe/Berlin"
    tenant.save()
    result = services.post_create(
        tenant=tenant,
        author=None,
        account_ids=[page.pk],
        text="Sunday brunch",
        when=datetime(2026, 3, 29, 2, 30),
    )
    post = result.post
    assert post.scheduled_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert post.scheduled_local == "2026-03-29 03:00"
    assert post.scheduled_zone == "Europe/Berlin"
    assert result.notes and "does not exist" in result.notes[0]
    assert result.publications[0].next_attempt_at == post.scheduled_at


@time_machine.travel(datetime(2026, 10, 24, 12, 0, tzinfo=UTC), tick=False)
def test_each_post_in_the_repeated_hour_is_due_once(tenant, page, scoped):
    """Two posts at 02:30 on the night the clocks go back: both due at the first 02:30, and
    the dispatcher claims each exactly once across the whole repeated hour."""
    from posting import dispatch
    from posting.models import Publication

    tenant.timezone = "Europe/Berlin"
    tenant.save()
    for text in ("one", "two"):
        services.post_create(
            tenant=tenant, author=None, account_ids=[page.pk], text=text,
            when=datetime(2026, 10, 25, 2, 30),
        )  # fmt: skip
    claimed = 0
    for minute in range(0, 181, 1):  # 00:00 → 03:00 UTC covers both 02:30s
        with time_machine.travel(
            datetime(2026, 10, 25, 0, 0, tzinfo=UTC).timestamp() + minute * 60
        ):
            claimed += dispatch.publications_claim_due()
    assert claimed == 2
    assert set(Publication.objects.values_list("claimed_at", flat=True)) == {
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    }


def test_the_past_is_refused_with_a_publish_now_choice(tenant, page, scoped):
    clock = time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False)
    with clock, pytest.raises(PostRefused) as refused:
        services.post_create(
            tenant=tenant, author=None, account_ids=[page.pk], text="Late",
            when=datetime(2026, 5, 1, 9, 0),
        )  # fmt: skip
    assert refused.value.code == "in_past"
    assert refused.value.choices == ("publish_now",)
    assert "publish it now" in refused.value.sentence
