"""Several counts in one round trip, as columns of one statement (docs/performance.md, "Pages").

A page that shows a handful of figures (the dashboard: photos ready and being prepared,
members, open invitations, folders) paid a query each: Django's ``count()`` compiles an
aggregate over a clone of the query, and each goes to the database and back. `CountOf` takes a
queryset as it is written, scoping included (it is built by its model's manager, so a
tenant-owned one still refuses to run without its tenant), as a column:
``(SELECT COUNT(*) FROM (<its query>) AS counted)``. `counts_row` puts several such columns in
one row; compiled once by a `lib.statements.Statement` (the dashboard's figures), the whole
row costs one prepared statement.
"""

from __future__ import annotations

from django.db.models import IntegerField, QuerySet, Subquery


class CountOf(Subquery):
    """``queryset.count()`` as a column (its ordering dropped: it does not change a count)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet) -> None:
        super().__init__(queryset.order_by().values("pk"))


def counts_row(anchor: QuerySet, **querysets: QuerySet) -> QuerySet:
    """One row ``{name: count}`` of ``querysets``: the counts as columns of ``anchor``, a
    queryset of exactly one row (e.g. the tenant by its id)."""
    return anchor.values(**{name: CountOf(qs) for name, qs in querysets.items()})
