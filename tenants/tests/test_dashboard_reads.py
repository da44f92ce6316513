"""The dashboard's figures, read by one statement compiled once per process
(tenants.selectors._dashboard_figures): each the count of its queryset as written, for this
restaurant only (docs/performance.md, "Pages")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.models import Invitation, Membership
from tenants.scoping import scopes_disabled, tenant_scope
from tenants.selectors import dashboard_summary
from tenants.testing import make_invitation, make_member, make_tenant

pytestmark = pytest.mark.django_db


def _expected(tenant) -> tuple[int, ...]:
    from assets.models import Asset, Folder

    with tenant_scope(tenant):
        return (
            Asset.objects.filter(tenant=tenant, status=Asset.Status.READY).count(),
            Asset.objects.filter(tenant=tenant, status=Asset.Status.PROCESSING).count(),
            Folder.objects.filter(tenant=tenant).count(),
            Membership.objects.filter(tenant=tenant).count(),
            Invitation.objects.filter(
                tenant=tenant, accepted_at__isnull=True, expires_at__gt=timezone.now()
            ).count(),
        )


def _shown(tenant) -> tuple[int, ...]:
    with tenant_scope(tenant):
        s = dashboard_summary(tenant=tenant)
    return (
        s.photo_count,
        s.photos_preparing,
        s.folder_count,
        s.member_count,
        s.pending_invitations,
    )


def test_the_figures_are_each_querysets_count_for_this_restaurant_only():
    from assets.models import Asset
    from assets.tests.factories import make_asset

    ours, theirs = make_tenant("Osteria Uno"), make_tenant("Osteria Due")
    for _ in range(3):
        make_member(ours)
    make_member(theirs)
    make_invitation(ours)
    expired, _ = make_invitation(ours)
    accepted, _ = make_invitation(ours)
    make_invitation(theirs)
    with scopes_disabled():
        Invitation.objects.filter(pk=expired.pk).update(
            expires_at=timezone.now() - timedelta(days=1)
        )
        Invitation.objects.filter(pk=accepted.pk).update(accepted_at=timezone.now())
    first, second = make_asset(ours), make_asset(ours)
    make_asset(theirs)
    with scopes_disabled():
        Asset.objects.filter(pk=second.pk).update(status=Asset.Status.PROCESSING)
    assert first.pk
    assert _shown(ours) == _expected(ours)
    assert _shown(ours)[:2] == (1, 1) and _shown(ours)[3:] == (3, 1)
    assert _shown(theirs) == _expected(theirs)
    assert _shown(theirs)[0] == 1 and _shown(theirs)[3:] == (1, 1)


def test_the_dashboards_links_are_its_restaurants(client):
    from django.urls import reverse

    from tenants.testing import make_user

    user = make_user()
    uno, due = make_tenant("Osteria Uno"), make_tenant("Osteria Due")
    make_member(uno, user)
    make_member(due, user)
    client.force_login(user)
    for tenant in (uno, due):
        html = client.get(reverse("tenants:dashboard", args=[tenant.slug])).content.decode()
        for name in ("social:accounts", "assets:library", "tenants:members", "tenants:profile"):
            assert f'href="{reverse(name, args=[tenant.slug])}"' in html, name
        other = due if tenant is uno else uno
        assert f"/t/{other.slug}/accounts/" not in html
