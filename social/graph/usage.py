"""The rate-limit headers of one Graph answer (graph-api.md §7): ``X-App-Usage``,
``X-Business-Use-Case-Usage`` and ``X-Page-Usage``, parsed; their absence is normal."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Usage:
    """The rate-limit headers of one response (absence is normal: all empty)."""

    app: dict[str, Any] = field(default_factory=dict)
    business: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_headers(cls, headers: Any) -> Usage:
        return cls(
            app=_json_header(headers, "X-App-Usage"),
            business=_json_header(headers, "X-Business-Use-Case-Usage"),
            page=_json_header(headers, "X-Page-Usage"),
        )

    @property
    def max_percent(self) -> int:
        """The highest usage percentage in any header (throttling starts at 100)."""
        values = [v for v in (*self.app.values(), *self.page.values()) if isinstance(v, int)]
        for entries in self.business.values():
            for entry in entries if isinstance(entries, list) else []:
                values += [
                    entry.get(k, 0)
                    for k in ("call_count", "total_cputime", "total_time")
                    if isinstance(entry.get(k, 0), int)
                ]
        return max(values, default=0)

    @property
    def regain_seconds(self) -> int:
        """``estimated_time_to_regain_access`` (minutes in the header), in seconds."""
        minutes = [
            entry.get("estimated_time_to_regain_access", 0)
            for entries in self.business.values()
            for entry in (entries if isinstance(entries, list) else [])
            if isinstance(entry.get("estimated_time_to_regain_access", 0), int)
        ]
        return max(minutes, default=0) * 60


def _json_header(headers: Any, name: str) -> dict[str, Any]:
    raw = headers.get(name) if headers is not None else None
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
