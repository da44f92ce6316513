"""Querysets compiled to SQL once per process (docs/performance.md, "2 December, night:
statements compiled once"; the rule of use: docs/conventions.md).

Building a queryset (``filter``, ``annotate``, the tenant scope's own filter) and compiling it
to SQL costs 0.2–1 ms of Python each time, more than PostgreSQL takes to run the prepared
statement it becomes. A query that every page runs with the same shape (the reconnect banner,
a page's fixed reads) can be compiled once:

    _BROKEN = Statement(
        lambda tenant: SocialAccount.objects.filter(tenant=tenant, status="needs_reconnect")
        .values_list("name", flat=True)[:4],
        tenant=TENANT,  # tenants.statements: the tenant scope is on while it compiles
    )
    names = _BROKEN.all(tenant=request.tenant)

``build`` is called once, with a stand-in for each argument (`Arg.sample`); the SQL Django
compiles is kept, and each call runs it with the real values in the stand-ins' places, through
Django's own iterables (models, ``values()``, ``values_list()``, ``select_related``,
annotations, converters, ``prefetch_related`` all as the queryset would give them).

What makes it safe:
- each stand-in must appear among the compiled parameters as it was given (an argument that
  Django transforms, e.g. wrapped in ``%…%`` by ``icontains``, or one that changes the SQL's
  shape, like a list for ``__in`` or a slice bound, is refused when compiling);
- ``None`` is refused as a value (``= NULL`` is not ``IS NULL``: the SQL would differ);
- the result is a list, never a queryset, so nothing can be chained onto SQL built for the
  stand-ins;
- a tenant argument compiles inside that stand-in tenant's scope, so the scope's filter is in
  the SQL and takes the caller's tenant (tenants/statements.py).

lib/tests/test_statements.py holds each shape equal to its queryset and compiles every statement
of the project; the apps' page tests check what each one reads.
"""

from __future__ import annotations

import copy
import functools
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Arg:
    """How one argument of a `Statement` is stood in for while its SQL is compiled."""

    sample: Callable[[int], Any]  # the n-th stand-in given to ``build``
    param: Callable[[Any], Any] = _same  # a value → the SQL parameter Django would send
    # ... as the database in use takes it (SQLite has no date-time or UUID type: Django sends
    # text there); given the parameter and the connection.
    database: Callable[[Any, Any], Any] = lambda value, connection: value
    # The compile runs inside ``during(stand-in)`` (e.g. the tenant's scope).
    during: Callable[[Any], AbstractContextManager[Any]] | None = None


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"A statement's integer argument must be an int, not {value!r}.")
    return value


INT = Arg(sample=lambda n: 982_451_653 + n, param=_int)
TEXT = Arg(sample=lambda n: f"\x00statement-argument-{n}\x00", param=str)
DATETIME = Arg(
    sample=lambda n: datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC) + timedelta(seconds=n),
    database=lambda value, connection: connection.ops.adapt_datetimefield_value(value),
)
UUID = Arg(
    sample=lambda n: uuid.UUID(int=0x5747_E3E7 << 96 | n),
    param=lambda value: value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)),
    database=lambda value, connection: (
        value if connection.features.has_native_uuid_field else value.hex
    ),
)


class _BoundQuery:
    """The compiled query with this call's compiler: Django's iterables ask the query for its
    compiler and read the rest (``values_select``, ``extra_select``…) from it."""

    def __init__(self, query: Any, compiler: Any) -> None:
        self._query = query
        self._compiler = compiler

    def get_compiler(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiler  # whatever the database asked for: the call's own

    def __getattr__(self, name: str) -> Any:
        return getattr(self._query, name)


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: Any
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (parameter position, argument name)


class Statement:
    """``build(**arguments)``'s queryset, compiled once per process and database."""

    # Every statement made, so a test can compile each one (lib/tests/test_statements.py).
    made: ClassVar[list[Statement]] = []

    def __init__(self, build: Callable[..., QuerySet], **arguments: Arg) -> None:
        self._build = build
        self._arguments = arguments
        self._compiled: dict[str, _Compiled] = {}
        Statement.made.append(self)

    def __repr__(self) -> str:
        build = getattr(self._build, "__wrapped__", self._build)  # an `IdsStatement`'s own
        code = getattr(build, "__code__", None)
        where = f"{code.co_filename}:{code.co_firstlineno}" if code else repr(self._build)
        return f"<Statement {where}>"

    def all(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[Any]:
        """The rows ``list(build(**values))`` would give."""
        return list(self._iterate(using, values))

    def first(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> Any:
        """The first row, or None (slice the queryset in ``build`` to fetch one)."""
        return next(self._iterate(using, values), None)

    def sql(self, *, using: str = DEFAULT_DB_ALIAS) -> str:
        return (self._compiled.get(using) or self._compile(using)).sql

    # -- inside --------------------------------------------------------------------------------
    def _iterate(self, using: str, values: dict[str, Any]) -> Iterator[Any]:
        if set(values) != set(self._arguments):
            raise TypeError(
                f"This statement takes {sorted(self._arguments)}, not {sorted(values)}."
            )
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]  # this thread's connection
        params = list(compiled.params)
        for position, name in compiled.slots:
            value = values[name]
            if value is None:
                raise TypeError(f"A statement's argument cannot be None ({name}).")
            arg = self._arguments[name]
            params[position] = arg.database(arg.param(value), connection)
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connection
        sql, bound = compiled.sql, tuple(params)
        compiler.as_sql = lambda *args, **kwargs: (sql, bound)
        # A shallow copy of the compiled queryset (``copy.copy`` would evaluate it: QuerySet's
        # pickling support), its query answering with this call's compiler.
        template = compiled.queryset
        queryset: Any = template.__class__.__new__(template.__class__)
        queryset.__dict__.update(template.__dict__)
        queryset._result_cache = None
        queryset._prefetch_done = False
        queryset._query = _BoundQuery(template.query, compiler)
        queryset._fetch_all()
        return iter(queryset._result_cache)

    def _compile(self, using: str) -> _Compiled:
        samples = {name: arg.sample(n) for n, (name, arg) in enumerate(self._arguments.items())}
        with ExitStack() as stack:
            for name, arg in self._arguments.items():
                if arg.during is not None:
                    stack.enter_context(arg.during(samples[name]))
            queryset = self._build(**samples)
            if not isinstance(queryset, QuerySet):
                raise ImproperlyConfigured("A statement's build function returns a queryset.")
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
        connection = connections[using]
        wanted = {
            name: arg.database(arg.param(samples[name]), connection)
            for name, arg in self._arguments.items()
        }
        slots: list[tuple[int, str]] = []
        for position, param in enumerate(params):
            names = [n for n, v in wanted.items() if type(param) is type(v) and param == v]
            if names:
                slots.append((position, names[0]))
            elif any(
                isinstance(v, str) and isinstance(param, str) and v in param
                for v in wanted.values()
            ):
                raise ImproperlyConfigured(
                    f"A statement's argument is transformed by its lookup ({param!r}): "
                    "pass the value the SQL needs."
                )
        missing = set(wanted) - {name for _, name in slots}
        if missing:
            raise ImproperlyConfigured(
                f"A statement's arguments {sorted(missing)} are not parameters of its SQL "
                "(a list, a slice bound or a transformed value changes the SQL itself)."
            )
        compiled = _Compiled(queryset, compiler, sql, tuple(params), tuple(slots))
        self._compiled[using] = compiled
        return compiled


class IdsStatement:
    """A `Statement` over a list of integer ids for ``__in``. A list changes the SQL with its
    length, so the statement takes ``size`` integer arguments instead and ``build`` gets them
    as the list ``ids``; a shorter list repeats its last id in the places left (``IN`` is the
    same with an id twice), a longer one is read ``size`` ids at a time.

        _LINES = IdsStatement(
            lambda tenant, ids: Publication.objects.filter(post_id__in=ids), size=20, tenant=TENANT
        )
        rows = _LINES.all(tenant=tenant, ids=post_ids)
    """

    def __init__(self, build: Callable[..., QuerySet], *, size: int, **arguments: Arg) -> None:
        self.size = size
        self._names = tuple(f"id_{n}" for n in range(size))

        @functools.wraps(build)
        def with_ids(**values: Any) -> QuerySet:
            return build(ids=[values.pop(name) for name in self._names], **values)

        self.statement = Statement(with_ids, **arguments, **dict.fromkeys(self._names, INT))

    def all(self, *, ids: Sequence[int], **values: Any) -> list[Any]:
        """The rows of ``build(ids=ids, **values)``, a read per ``size`` ids (none for none)."""
        rows: list[Any] = []
        for at in range(0, len(ids), self.size):
            chunk = list(ids[at : at + self.size])
            chunk += chunk[-1:] * (self.size - len(chunk))
            arguments: dict[str, Any] = {**values, **dict(zip(self._names, chunk, strict=True))}
            rows += self.statement.all(**arguments)
        return rows


def attach(instance: Any, related_name: str, rows: list[Any]) -> None:
    """Leave ``rows`` on ``instance`` as ``prefetch_related(related_name)`` would: its related
    manager's ``all()`` gives them without a query, and anything chained onto it (``filter``,
    ``exclude``) is the manager's own queryset, filtered by ``instance``. Each row's foreign key
    back to ``instance`` is set too, so reading it costs no query. For a reverse foreign key
    (``post.publications``) whose rows a statement read."""
    manager = getattr(instance, related_name)
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.pop(related_name, None)  # the manager's own queryset, not an older cache
    queryset = manager.get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    back = manager.field
    for row in rows:
        back.set_cached_value(row, instance)
    cache[related_name] = queryset
