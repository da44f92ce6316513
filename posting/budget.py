"""The per-Page rate budget every worker shares (docs/publishing.md, "Rate budget").

When Facebook throttles an object (a rate-limit error) or its usage headers pass
``PAGE_BUDGET_THRESHOLD_PERCENT``, calls about it wait until ``estimated_time_to_regain_access``
(or a minute). The "wait until" lives in Redis when the cache is Redis (shared by all workers
on all machines), else in the database (`PageBudget`, the embedded default).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from posting.models import PageBudget
from social.graph import Usage

MIN_BLOCK_SECONDS = 60
_KEY = "posting:budget:{}"


def _redis() -> bool:
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def blocked_until(object_id: str) -> datetime | None:
    """Until when calls about ``object_id`` must wait, or None."""
    now = timezone.now()
    if _redis():
        value = cache.get(_KEY.format(object_id))
        until = datetime.fromtimestamp(value, tz=now.tzinfo) if value else None
    else:
        row = PageBudget.objects.filter(object_id=object_id).first()
        until = row.blocked_until if row else None
    return until if until and until > now else None


def block(object_id: str, *, seconds: int) -> datetime:
    """No calls about ``object_id`` for ``seconds`` (extends, never shortens, a block)."""
    seconds = max(int(seconds), MIN_BLOCK_SECONDS)
    until = timezone.now() + timedelta(seconds=seconds)
    current = blocked_until(object_id)
    if current and current >= until:
        return current
    if _redis():
        cache.set(_KEY.format(object_id), until.timestamp(), timeout=seconds + 5)
    else:
        PageBudget.objects.update_or_create(object_id=object_id, defaults={"blocked_until": until})
    return until


def record_usage(object_id: str, usage: Usage) -> None:
    """Apply one answer's usage headers: near the ceiling, wait before the next call."""
    if usage.max_percent >= settings.PAGE_BUDGET_THRESHOLD_PERCENT:
        block(object_id, seconds=usage.regain_seconds or MIN_BLOCK_SECONDS)
