"""`tenants.selectors.memberships_of`, the one statement every portal request runs: the same
memberships and restaurants, in the same order, as the queryset it replaces."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import Membership, Tenant
from tenants.scoping import scopes_disabled
from tenants.selectors import memberships_of
from tenants.testing import make_member, make_tenant, make_user

pytestmark = pytest.mark.django_db


def _orm(user) -> list[Membership]:
    with scopes_disabled():
        return list(
            Membership.objects.select_related("tenant")
            .filter(user=user)
            .order_by("tenant__name", "tenant_id")
        )


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_the_same_memberships_and_restaurants_in_the_same_order():
    user = make_user()
    names = ["Zuppa", "Ål og Øl", "alba", "Alba", "Bistrot", "Alba"]  # case, accents, twins
    for n, name in enumerate(names):
        tenant = make_tenant(
            name,
            opening_hours={"mon": [{"open": "12:00", "close": "15:00"}]} if n % 2 else {},
            closures=[{"date": "2026-12-25", "note": "Christmas"}] if n % 3 else [],
            menu_highlights=f"Dish {n}\nÉclair",
        )
        make_member(tenant, user, role=Membership.Role.STAFF if n % 2 else Membership.Role.OWNER)
    make_member(make_tenant("Not hers"), make_user())  # someone else's
    expected = _orm(user)
    with CaptureQueriesContext(connection) as queries:
        found = memberships_of(user=user)
        for membership in found:  # the restaurant and the role are there already
            assert (
                membership.tenant.slug and membership.role and membership.is_owner in (True, False)
            )
    assert len(queries) == 1
    assert [m.pk for m in found] == [m.pk for m in expected]
    for ours, theirs in zip(found, expected, strict=True):
        assert _fields(ours.tenant) == _fields(theirs.tenant)
        assert isinstance(ours.tenant, Tenant) and not ours.tenant._state.adding
        assert (ours.pk, ours.user_id, ours.tenant_id, ours.role) == (
            theirs.pk, theirs.user_id, theirs.tenant_id, theirs.role,
        )  # fmt: skip
        assert ours.created_at == theirs.created_at  # loaded when asked for
        assert not ours._state.adding


def test_a_user_without_restaurants_has_none():
    assert memberships_of(user=make_user()) == []
