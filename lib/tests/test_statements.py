"""lib/statements.py: a queryset compiled once gives what the queryset gives, for every value,
and refuses what it cannot stand in for."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lib.statements import DATETIME, INT, TEXT, UUID, IdsStatement, Statement, attach
from tenants.models import Invitation, Membership, Tenant
from tenants.scoping import ScopeError, scopes_disabled, tenant_scope
from tenants.statements import TENANT
from tenants.testing import make_member, make_tenant, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def restaurants(tenant, other_tenant):
    now = timezone.now()
    for place, people in ((tenant, 3), (other_tenant, 2)):
        for n in range(people):
            role = Membership.Role.OWNER if n == 0 else Membership.Role.STAFF
            make_member(place, make_user(email=f"p{n}@{place.slug}.example"), role=role)
        for days in (-2, 1, 5):
            Invitation.objects.create(
                tenant=place, email=f"i{days}@{place.slug}.example", token_hash=f"{place.pk}{days}",
                expires_at=now + timedelta(days=days),
            )  # fmt: skip
    return tenant, other_tenant


def _both(statement: Statement, build, tenant, **values):
    """The statement's rows and the queryset's, for the same values."""
    with tenant_scope(tenant):
        expected = list(build(tenant=tenant, **values))
    return statement.all(tenant=tenant, **values), expected


def _columns(instance) -> dict:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}


SHAPES = {
    "models": lambda tenant, since: Invitation.objects.filter(
        tenant=tenant, expires_at__gt=since
    ).order_by("email"),
    "select_related": lambda tenant, since: (
        Membership.objects.filter(tenant=tenant, user__date_joined__gt=since)
        .select_related("user")
        .order_by("user__email")
    ),
    "values": lambda tenant, since: (
        Invitation.objects.filter(tenant=tenant, expires_at__gt=since)
        .values("email", "expires_at")
        .order_by("-email")
    ),
    "values_list flat": lambda tenant, since: (
        Invitation.objects.filter(tenant=tenant, expires_at__gt=since)
        .values_list("email", flat=True)
        .order_by("email")[:2]
    ),
    "annotate": lambda tenant, since: (
        Membership.objects.filter(tenant=tenant)
        .values("role")
        .annotate(n=Count("id", filter=None))
        .filter(user__date_joined__gt=since)
        .order_by("role")
    ),
    "prefetch": lambda tenant, since: (
        Membership.objects.filter(tenant=tenant, user__date_joined__gt=since)
        .prefetch_related("user")
        .order_by("id")
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_gives_what_its_queryset_gives_for_each_restaurant(restaurants, shape):
    build = SHAPES[shape]
    statement = Statement(build, tenant=TENANT, since=DATETIME)
    since = timezone.now() - timedelta(days=1)
    for tenant in restaurants:
        got, expected = _both(statement, build, tenant, since=since)
        assert got and got == expected
        if shape in ("models", "select_related", "prefetch"):  # every loaded column the same
            assert all(_columns(o) == _columns(e) for o, e in zip(got, expected, strict=True))
    if shape == "prefetch":  # the prefetch ran: the users came in the second query
        with CaptureQueriesContext(connection) as queries:
            assert all(m.user.email for m in statement.all(tenant=restaurants[0], since=since))
        assert len(queries) == 2
    if shape == "select_related":  # the related row came with it, no query more
        with CaptureQueriesContext(connection) as queries:
            assert all(m.user.email for m in statement.all(tenant=restaurants[0], since=since))
        assert len(queries) == 1
    # Another value, another answer: nothing of the first call stays.
    assert statement.all(tenant=restaurants[0], since=since + timedelta(days=3650)) == []


def test_it_compiles_once_and_runs_one_query_a_call(restaurants):
    statement = Statement(SHAPES["models"], tenant=TENANT, since=DATETIME)
    tenant = restaurants[0]
    statement.all(tenant=tenant, since=timezone.now())
    sql = statement.sql()
    with CaptureQueriesContext(connection) as queries:
        statement.all(tenant=tenant, since=timezone.now())
        statement.first(tenant=restaurants[1], since=timezone.now())
    assert [q["sql"] for q in queries] and len(queries) == 2
    assert statement.sql() is sql


def test_the_tenant_scope_filter_is_in_the_sql_even_when_build_forgets_it(restaurants):
    tenant, other = restaurants
    forgetful = Statement(lambda tenant: Invitation.objects.order_by("email"), tenant=TENANT)
    mine = forgetful.all(tenant=tenant)
    assert mine and {i.tenant_id for i in mine} == {tenant.pk}
    assert {i.tenant_id for i in forgetful.all(tenant=other)} == {other.pk}


@pytest.mark.parametrize("bad", [None, Tenant(name="Unsaved"), 1, "trattoria"])
def test_a_call_without_a_saved_restaurant_fails_loudly(restaurants, bad):
    statement = Statement(lambda tenant: Invitation.objects.all(), tenant=TENANT)
    with pytest.raises((ScopeError, TypeError)):
        statement.all(tenant=bad)


def test_the_wrong_arguments_are_refused(restaurants):
    statement = Statement(SHAPES["models"], tenant=TENANT, since=DATETIME)
    with pytest.raises(TypeError, match="takes"):
        statement.all(tenant=restaurants[0])
    with pytest.raises(TypeError, match=r"^A statement's argument cannot be None \(since\)\.$"):
        statement.all(tenant=restaurants[0], since=None)
    number = Statement(lambda pk: Tenant.objects.filter(pk=pk), pk=INT)
    with pytest.raises(TypeError, match="int"):
        number.all(pk="1")
    with pytest.raises(TypeError, match="int"):
        number.all(pk=True)


TRANSFORMED = (
    r"^A statement's argument is transformed by its lookup \('%\\x00statement-argument-0\\x00%'\): "
    r"pass the value the SQL needs\.$"
)
NOT_CARRIED = (
    r"^A statement's arguments \['(n|pk)'\] are not parameters of its SQL \(a list, a slice bound "
    r"or a transformed value changes the SQL itself\)\.$"
)


@pytest.mark.parametrize(
    ("build", "args", "message"),
    [
        # icontains wraps the text in %…%: not the value the caller gives.
        (lambda name: Tenant.objects.filter(name__icontains=name), {"name": TEXT}, TRANSFORMED),
        # A slice bound is written into the SQL, not sent as a parameter.
        (lambda n: Tenant.objects.order_by("id")[:n], {"n": INT}, NOT_CARRIED),
        # An argument the query never uses.
        (lambda pk: Tenant.objects.all(), {"pk": INT}, NOT_CARRIED),
    ],
    ids=["transformed", "slice bound", "unused"],
)
def test_an_argument_the_sql_does_not_carry_as_given_is_refused_when_compiling(
    build, args, message
):
    statement = Statement(build, **args)
    with scopes_disabled(), pytest.raises(ImproperlyConfigured, match=message):
        statement.sql()


def test_a_statement_names_where_it_was_written():
    statement = Statement(lambda pk: Tenant.objects.filter(pk=pk), pk=INT)
    line = test_a_statement_names_where_it_was_written.__code__.co_firstlineno + 1
    assert repr(statement) == f"<Statement {__file__}:{line}>"
    assert repr(Statement(len, pk=INT)) == f"<Statement {len!r}>"


def test_build_must_return_a_queryset():
    with pytest.raises(
        ImproperlyConfigured, match=r"^A statement's build function returns a queryset\.$"
    ):
        Statement(lambda pk: [pk], pk=INT).sql()


def test_unscoped_statements_take_plain_values(restaurants):
    tenant = restaurants[0]
    by_slug = Statement(lambda slug: Tenant.objects.filter(slug=slug), slug=TEXT)
    by_pk = Statement(
        lambda pk: Tenant.objects.filter(pk=pk).values_list("slug", flat=True), pk=INT
    )
    assert by_slug.first(slug=tenant.slug) == tenant
    assert by_slug.first(slug="nobody-here") is None
    assert by_pk.all(pk=tenant.pk) == [tenant.slug]


def test_threads_use_their_own_connection(restaurants, django_db_blocker):
    """A compiled statement carries no connection of the thread that compiled it."""
    statement = Statement(lambda pk: Tenant.objects.filter(pk=pk), pk=INT)
    tenant = restaurants[0]
    statement.all(pk=tenant.pk)
    seen: list = []

    def other_thread() -> None:
        from django.db import connections

        try:
            with CaptureQueriesContext(connections["default"]) as queries:
                statement.all(pk=tenant.pk)  # this thread's connection sees no test data
            seen.append(len(queries))
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == [1]
    with CaptureQueriesContext(connection) as queries:
        assert statement.all(pk=tenant.pk) == [tenant]
    assert len(queries) == 1


def test_a_new_restaurant_made_after_compiling_is_found(restaurants):
    statement = Statement(lambda tenant: Membership.objects.all(), tenant=TENANT)
    statement.all(tenant=restaurants[0])
    late = make_tenant(name="Late Opening")
    make_member(late, make_user(email="late@example.com"))
    assert [m.user.email for m in statement.all(tenant=late)] == ["late@example.com"]


def test_every_statement_of_the_project_compiles():
    """An argument its SQL cannot carry would otherwise fail on the first request that runs it."""
    import importlib

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.path.startswith(str(settings.BASE_DIR)):
            for name in ("selectors", "views", "services", "banners", "tasks"):
                try:
                    importlib.import_module(f"{config.name}.{name}")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.{name}":
                        raise
    project = [
        s for s in Statement.made if str(settings.BASE_DIR) in repr(s) and "/tests/" not in repr(s)
    ]
    assert len(project) >= 8  # the banner, the library's, the inbox's, the composer's, analytics'
    for statement in project:
        assert statement.sql().startswith("SELECT"), statement


def test_a_uuid_argument_takes_its_text_and_refuses_what_is_not_one(restaurants):
    from posting.tests.factories import make_page
    from social.models import SocialAccount

    tenant = restaurants[0]
    page = make_page(tenant, name="Trattoria Alba")
    statement = Statement(
        lambda tenant, pk: SocialAccount.objects.filter(pk=pk).values_list("name", flat=True),
        tenant=TENANT,
        pk=UUID,
    )
    assert statement.all(tenant=tenant, pk=page.pk) == ["Trattoria Alba"]
    assert statement.all(tenant=tenant, pk=str(page.pk)) == ["Trattoria Alba"]
    assert statement.all(tenant=restaurants[1], pk=page.pk) == []  # another restaurant's
    with pytest.raises(ValueError):
        statement.all(tenant=tenant, pk="not-a-uuid")


def test_attach_leaves_rows_as_prefetch_related_would(restaurants):
    tenant = restaurants[0]
    members = Statement(
        lambda tenant: Membership.objects.order_by("user__email"), tenant=TENANT
    ).all(tenant=tenant)
    with pytest.raises(ScopeError):  # outside a scope: the manager's queryset refuses
        attach(tenant, "memberships", members)
    with tenant_scope(tenant):  # as a portal request runs
        attach(tenant, "memberships", members)
    with CaptureQueriesContext(connection) as queries:
        assert list(tenant.memberships.all()) == members  # no query
        assert {m.tenant for m in tenant.memberships.all()} == {tenant}  # the way back too
    assert len(queries) == 0
    with tenant_scope(tenant):
        expected = list(Membership.objects.filter(tenant=tenant, role="staff"))
        # Chained: the manager's own queryset, filtered by this restaurant, not every row.
        assert list(tenant.memberships.filter(role="staff")) == expected
    assert expected and all(m.tenant_id == tenant.pk for m in expected)
    with tenant_scope(tenant):  # attached again: the new rows, not the older cache
        attach(tenant, "memberships", [])
    assert list(tenant.memberships.all()) == []


def test_attach_replaces_a_cache_that_was_filtered_otherwise(restaurants):
    """A cache left by a `Prefetch` with its own queryset is not what later chains start from."""
    from django.db.models import Prefetch, prefetch_related_objects

    tenant = restaurants[0]
    with tenant_scope(tenant):
        owners = Membership.objects.filter(role=Membership.Role.OWNER)
        prefetch_related_objects([tenant], Prefetch("memberships", queryset=owners))
        everyone = list(Membership.objects.filter(tenant=tenant))
        attach(tenant, "memberships", everyone)
        staff = list(tenant.memberships.filter(role=Membership.Role.STAFF))
    assert len(staff) == 2 and {m.role for m in staff} == {Membership.Role.STAFF}


def test_on_sqlite_date_times_and_uuids_are_sent_as_the_text_django_sends():
    """The embedded default (SQLite) has neither type: Django sends text there, so a call's
    values must be that text to match what the compiled SQL expects (every page on SQLite:
    lib/tests/test_sqlite_pages.py)."""
    import uuid
    from datetime import UTC, datetime

    from django.db import connections
    from django.db.utils import load_backend

    config = connections.configure_settings(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    )["default"]
    sqlite = load_backend(config["ENGINE"]).DatabaseWrapper(config, "sqlite")
    moment = datetime(2026, 12, 3, 10, 30, 15, tzinfo=UTC)
    key = uuid.UUID(int=0xABC)
    assert DATETIME.database(moment, sqlite) == "2026-12-03 10:30:15"
    assert UUID.database(key, sqlite) == key.hex
    assert DATETIME.database(moment, connection) is moment  # PostgreSQL takes them as they are
    assert UUID.database(key, connection) is key
    assert INT.database(7, sqlite) == 7 and TEXT.database("a", sqlite) == "a"


def test_every_statement_made_is_registered_for_the_compile_check():
    statement = Statement(lambda user_id: Membership.objects.filter(user_id=user_id), user_id=INT)
    assert Statement.made[-1] is statement


def test_an_ids_statement_reads_any_number_of_ids_size_at_a_time(restaurants):
    """Padded with the last id, read ``size`` at a time, nothing read for no ids; the rows are
    the queryset's, of the caller's restaurant only; one statement whatever the count."""
    tenant, other = restaurants
    members = IdsStatement(
        lambda tenant, ids: Membership.objects.filter(pk__in=ids).order_by("pk"),
        size=2,
        tenant=TENANT,
    )
    with scopes_disabled():
        ours = sorted(Membership.objects.filter(tenant=tenant).values_list("pk", flat=True))
        theirs = list(Membership.objects.filter(tenant=other).values_list("pk", flat=True))
    assert len(ours) == 3
    with tenant_scope(tenant):
        with CaptureQueriesContext(connection) as queries:
            assert members.all(tenant=tenant, ids=[]) == []
        assert len(queries) == 0
        with CaptureQueriesContext(connection) as queries:
            found = members.all(tenant=tenant, ids=[*ours, *theirs])  # 5 ids: 3 reads
        assert [m.pk for m in found] == ours
        assert len(queries) == 3
        one = members.all(tenant=tenant, ids=ours[:1])  # padded: the same one id twice
        assert [m.pk for m in one] == ours[:1]
    by_three = IdsStatement(
        lambda tenant, ids: Membership.objects.filter(pk__in=ids).order_by("pk"),
        size=3,
        tenant=TENANT,
    )
    with tenant_scope(tenant):  # 3 ids, then 2 padded with the last one to 3
        assert [m.pk for m in by_three.all(tenant=tenant, ids=[*theirs, *ours])] == ours
    assert members.statement in Statement.made
    assert "test_statements.py" in repr(members.statement)  # where its build is written
