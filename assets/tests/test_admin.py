from django.contrib.auth import get_user_model
from django.urls import reverse

from assets.tests.factories import make_asset


def test_operators_see_assets_with_thumbnails_and_storage_per_tenant(client, tenant, other_tenant):
    asset = make_asset(tenant, title="Risotto")
    make_asset(other_tenant, title="Burger")
    admin = get_user_model().objects.create_superuser("ops@example.com", "ops@example.com", "x")
    client.force_login(admin)
    body = client.get(reverse("admin:assets_asset_changelist")).content.decode()
    assert "Risotto" in body and "Burger" in body
    thumb = reverse("admin:assets_asset_thumbnail", args=[asset.pk])
    change = reverse("admin:assets_asset_change", args=[asset.pk])
    assert f'<a href="{change}"><img src="{thumb}"' in body  # the row's link is its picture
    # The change page shows the same thumbnail (reversed there, not by the list).
    assert f'<img src="{thumb}"' in client.get(change).content.decode()
    response = client.get(thumb)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    usage = client.get(reverse("admin:assets_tenantstorage_changelist")).content.decode()
    assert "Trattoria Alba" in usage and "Bistro Bruno" in usage
    assert client.get(reverse("admin:assets_folder_changelist")).status_code == 200


def test_members_cannot_reach_the_admin_thumbnail(owner_client, tenant):
    asset = make_asset(tenant, title="Risotto")
    response = owner_client.get(reverse("admin:assets_asset_thumbnail", args=[asset.pk]))
    assert response.status_code == 302  # to the admin login
