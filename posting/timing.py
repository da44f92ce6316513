"""The time rule: a wall time in the restaurant's IANA zone becomes one UTC instant.

Written down in docs/publishing.md ("Time"):

- a wall time that does not exist (the clocks jump forward over it) moves forward to the first
  valid minute after the gap, and the person is told (Europe/Berlin 2026-03-29 02:30 → 03:00);
- a wall time that happens twice (the clocks go back) means its first occurrence
  (Europe/Berlin 2026-10-25 02:30 → 00:30 UTC, still summer time);
- everything else converts as usual. The result is stored in UTC with the wall time and zone.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class ScheduledTime:
    utc: datetime
    local: datetime  # naive: the wall time that will actually happen
    zone: str
    note: str = ""  # what the rule changed, for the person; empty when nothing did


def _exists(wall: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    aware = wall.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


def local_to_utc(*, wall: datetime, zone: str) -> ScheduledTime:
    """Apply the time rule to ``wall`` (naive, or aware in any zone: its wall clock counts)."""
    tz = zoneinfo.ZoneInfo(zone)
    wall = wall.replace(tzinfo=None, second=0, microsecond=0, fold=0)
    note = ""
    moved = wall
    if not _exists(wall, tz):
        # Step to the first minute after the gap (gaps are at most a few hours long).
        for _ in range(24 * 60):
            moved += timedelta(minutes=1)
            if _exists(moved, tz):
                break
        note = (
            f"{wall:%H:%M} does not exist on {wall:%-d %B %Y} in {zone}: the clocks jump "
            f"forward that night, so it will go out at {moved:%H:%M}, the first minute after."
        )
    # fold=0 is the first of two occurrences of a repeated wall time (PEP 495).
    utc = moved.replace(tzinfo=tz, fold=0).astimezone(UTC)
    return ScheduledTime(utc=utc, local=moved, zone=zone, note=note)


def utc_to_local(*, instant: datetime, zone: str) -> datetime:
    """An instant shown on the restaurant's wall clock (naive)."""
    return instant.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
