"""CSV export of posts with their figures (docs/analytics.md, "Export").

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with
``'`` so a spreadsheet shows it as text instead of running it as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

HEADER = [
    "Restaurant",
    "Published (local time)",
    "Network",
    "Account",
    "Post type",
    "Text",
    "Link",
    "Views",
    "Reach",
    "Interactions",
    "Engagement rate (%)",
    "Figures",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell made safe for spreadsheets; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([neutralise("" if v is None else v) for v in row])
    return out.getvalue()


def csv_response(rows: Iterable[Sequence[Any]], *, filename: str) -> HttpResponse:
    response = HttpResponse(csv_text(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
