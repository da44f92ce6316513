"""Time parameters as Graph accepts them: unix seconds, ISO 8601, or the relative strings
PHP's `strtotime()` understands (Meta documents `scheduled_publish_time` and `since`/`until`
this way), for the common forms: `now`, `today`, `tomorrow`, `yesterday`,
`+2 hours`, `-1 day`, `+1 week 2 days`, `2 hours ago`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

UNITS = {
    "sec": 1,
    "second": 1,
    "min": 60,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "fortnight": 14 * 86400,
}
PART = re.compile(r"([+-]?\s*\d+)\s*(sec|second|min|minute|hour|day|week|fortnight)s?\b")


def parse_time(raw: str, now: float) -> int | None:
    """Unix seconds for `raw` relative to `now` (the sandbox clock), or None if unreadable."""
    text = raw.strip().lower()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return int(float(text))
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    midnight = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    named = {
        "now": now,
        "today": midnight.timestamp(),
        "midnight": midnight.timestamp(),
        "tomorrow": (midnight + timedelta(days=1)).timestamp(),
        "yesterday": (midnight - timedelta(days=1)).timestamp(),
    }
    if text in named:
        return int(named[text])
    ago = text.endswith(" ago")
    body = text[: -len(" ago")] if ago else text
    parts = PART.findall(body)
    if not parts or PART.sub("", body).strip():
        return None
    seconds = sum(int(number.replace(" ", "")) * UNITS[unit] for number, unit in parts)
    return int(now - seconds if ago else now + seconds)
