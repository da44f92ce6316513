"""lib/queries.py: several counts in one statement, each what ``count()`` gives, scoping kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lib.queries import counts_row
from tenants.models import Invitation, Membership, Tenant
from tenants.scoping import ScopeError, tenant_scope
from tenants.testing import make_member, make_user

pytestmark = pytest.mark.django_db


def test_each_count_is_what_count_gives_in_one_statement(tenant, other_tenant):
    for n in range(3):
        make_member(tenant, make_user(), role=Membership.Role.STAFF if n else Membership.Role.OWNER)
    make_member(other_tenant, make_user())
    now = timezone.now()
    for days in (-1, 1, 2):
        Invitation.objects.create(
            tenant=tenant, email=f"x{days}@example.com", token_hash=f"h{days}",
            expires_at=now + timedelta(days=days),
        )  # fmt: skip
    with tenant_scope(tenant):
        querysets = {
            "members": Membership.objects.filter(tenant=tenant),
            "staff": Membership.objects.filter(tenant=tenant, role="staff").order_by("-id"),
            "by_email": Membership.objects.filter(user__email__contains="@").distinct(),
            "open": Invitation.objects.filter(tenant=tenant, expires_at__gt=now),
        }
        expected = {name: qs.count() for name, qs in querysets.items()}
        with CaptureQueriesContext(connection) as queries:
            [found] = counts_row(Tenant.objects.filter(pk=tenant.pk), **querysets)
    assert found == expected == {"members": 3, "staff": 2, "by_email": 3, "open": 2}
    assert len(queries) == 1


def test_a_tenant_owned_model_still_refuses_outside_a_scope(tenant):
    with pytest.raises(ScopeError):
        counts_row(Tenant.objects.filter(pk=tenant.pk), members=Membership.objects.all())
