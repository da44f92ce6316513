"""Several counts in one round trip (docs/performance.md, "Pages").

A page that shows a handful of figures (the dashboard: photos ready and being prepared,
members, open invitations, folders) paid a query each: Django's ``count()`` compiles an
aggregate over a clone of the query, and each goes to the database and back. `counts` takes
the querysets as they are written, scoping included (each is built by its model's manager, so
a tenant-owned one still refuses to run without its tenant), and asks for all their counts in
one statement: ``SELECT (SELECT COUNT(*) FROM (<query 1>) q), (SELECT COUNT(*) FROM (…)) …``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet


def counts(**querysets: QuerySet) -> dict[str, int]:
    """``{name: queryset.count()}`` in one statement. The querysets must use the same
    database; their ordering is dropped (it does not change a count)."""
    aliases = {qs.db for qs in querysets.values()}
    if len(aliases) > 1:
        raise ValueError("counts() needs querysets of one database")
    alias = aliases.pop() if aliases else DEFAULT_DB_ALIAS
    found = dict.fromkeys(querysets, 0)
    parts: list[str] = []
    params: list[Any] = []
    names: list[str] = []
    for name, queryset in querysets.items():
        try:
            sql, part_params = (
                queryset.order_by().values("pk").query.get_compiler(using=alias).as_sql()
            )
        except EmptyResultSet:  # .none(), or a filter nothing can match (pk__in=[])
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{len(parts)})")  # noqa: S608 (Django's own SQL)
        params.extend(part_params)
        names.append(name)
    if parts:
        with connections[alias].cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            found.update(zip(names, (int(value) for value in cursor.fetchone()), strict=True))
    return found
