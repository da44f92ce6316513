"""The library page, search, filters, bulk actions, folders, detail, picker and isolation."""

from __future__ import annotations

import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from assets import services
from assets.models import Asset, AssetTag, Folder, Rendition, Tag
from assets.selectors import AssetFilters, asset_instagram_url, asset_list
from assets.tests.factories import make_asset
from tenants.scoping import scopes_disabled, tenant_scope


def _url(name, tenant, **kwargs):
    return reverse(f"assets:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def _bulk_assets(tenant, n: int, *, tag: Tag | None = None) -> None:
    rows = [
        Asset(
            tenant=tenant,
            title=f"Dish {i}",
            search_text=f"Dish {i}",
            key=f"{tenant.pk}/{uuid.uuid4().hex}.jpg",
            content_type="image/jpeg",
            source_format="JPEG",
            width=400,
            height=300,
            bytes=1000,
            upload_bytes=1000,
            sha256=uuid.uuid4().hex * 2,
            status="ready",
        )
        for i in range(n)
    ]
    with scopes_disabled():
        created = Asset.objects.bulk_create(rows)
        if tag is not None:
            AssetTag.objects.bulk_create(
                [AssetTag(tenant=tenant, asset=a, tag=tag) for a in created]
            )


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_library_makes_the_same_number_of_queries_for_10_and_1000_assets(owner_client, tenant):
    with scopes_disabled():
        tag = Tag.objects.create(tenant=tenant, name="pasta")
    _bulk_assets(tenant, 10, tag=tag)
    url = _url("library", tenant)
    few = _count_queries(owner_client, url)
    _bulk_assets(tenant, 990, tag=tag)
    many = _count_queries(owner_client, url)
    assert few == many
    response = owner_client.get(url)
    assert response.context["page"].paginator.num_pages == 21  # paginated: 48 a page
    assert len(response.context["page"].object_list) == 48
    assert _count_queries(owner_client, url + "?page=5") == few


def test_search_finds_by_title_description_and_tag(tenant):
    a = make_asset(tenant, title="Summer terrace")
    b = make_asset(tenant, title="Tiramisu")
    with tenant_scope(tenant):
        services.assets_tag(tenant=tenant, assets=[b], tag_names=["Desserts"])
        b.refresh_from_db()
        services.asset_update(
            asset=a,
            title=a.title,
            description="Evening light over the piazza",
            tag_names=[],
            folder=None,
            focal_x=0.5,
            focal_y=0.5,
            instagram_mode="crop",
            pad_color="#ffffff",
        )

        def found(q):
            return {x.title for x in asset_list(tenant=tenant, filters=AssetFilters(q=q))}

        assert found("terrace") == {"Summer terrace"}
        assert found("piazza") == {"Summer terrace"}
        assert found("dessert") == {"Tiramisu"}  # prefix, case-insensitive
        assert found("tira dess") == {"Tiramisu"}
        assert found("nothing-like-this") == set()
        assert found("'&|!():*") == {"Summer terrace", "Tiramisu"}  # operators are ignored


def test_search_uses_postgres_full_text_with_a_gin_index(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'assets_asset_search_gin'"
        )
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "to_tsvector" in definition
    with tenant_scope(tenant):
        sql = str(asset_list(tenant=tenant, filters=AssetFilters(q="pasta")).query)
    assert "to_tsvector" in sql and "@@" in sql


def test_filters_by_folder_tag_orientation_and_use(tenant):
    with scopes_disabled():
        dishes = Folder.objects.get(tenant=tenant, name="Dishes")
    make_asset(tenant, title="wide", width=90, height=40, folder=dishes)
    tall = make_asset(tenant, title="tall", width=40, height=90)
    with tenant_scope(tenant):
        services.assets_tag(tenant=tenant, assets=[tall], tag_names=["brunch"])
        services.asset_mark_used(asset=tall)
        brunch = Tag.objects.get(tenant=tenant, name="brunch")

        def titles(**kw):
            return [a.title for a in asset_list(tenant=tenant, filters=AssetFilters(**kw))]

        assert titles(folder=dishes) == ["wide"]
        assert titles(unfiled=True) == ["tall"]
        assert titles(tag=brunch) == ["tall"]
        assert titles(orientation="portrait") == ["tall"]
        assert titles(orientation="landscape") == ["wide"]
        assert titles(used="used") == ["tall"]
        assert titles(used="unused") == ["wide"]
        assert titles(sort="most_used")[0] == "tall"
        services.asset_mark_posted(asset=tall)
        assert titles(sort="least_posted") == ["wide", "tall"]


def test_a_filter_with_another_tenants_folder_is_a_validation_error(
    owner_client, tenant, other_tenant
):
    with scopes_disabled():
        foreign = Folder.objects.filter(tenant=other_tenant).first()
    make_asset(tenant, title="ours")
    response = owner_client.get(_url("library", tenant) + f"?folder={foreign.pk}")
    assert response.status_code == 400
    assert "your own folders" in response.content.decode()
    assert list(response.context["page"].object_list) == []


def test_bulk_move_tag_untag_and_delete(
    owner_client, tenant, stored_files, django_capture_on_commit_callbacks
):
    assets = [make_asset(tenant, title=f"p{i}") for i in range(3)]
    ids = [a.pk for a in assets]
    with scopes_disabled():
        events = Folder.objects.get(tenant=tenant, name="Events")
    url = _url("bulk", tenant)
    owner_client.post(url, {"action": "move", "assets": ids, "folder": events.pk})
    owner_client.post(url, {"action": "tag", "assets": ids[:2], "tag": "Wine night"})
    with scopes_disabled():
        assert set(Asset.objects.filter(folder=events).values_list("pk", flat=True)) == set(ids)
        assert AssetTag.objects.filter(tag__name="Wine night").count() == 2
        assert "Wine night" in Asset.objects.get(pk=ids[0]).search_text
    owner_client.post(url, {"action": "untag", "assets": ids, "tag": "wine night"})
    with scopes_disabled():
        assert AssetTag.objects.count() == 0
    confirm = owner_client.post(url, {"action": "delete", "assets": ids[:2]})
    assert confirm.status_code == 200 and "Delete 2 photos?" in confirm.content.decode()
    with scopes_disabled():
        assert Asset.objects.count() == 3
    files_before = len(stored_files())
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url, {"action": "delete", "assets": ids[:2], "confirm": "on"})
    with scopes_disabled():
        assert list(Asset.objects.values_list("pk", flat=True)) == [ids[2]]
        assert Rendition.objects.count() == 3
    assert len(stored_files()) == files_before - 8


def test_bulk_refuses_another_tenants_assets_and_folders(owner_client, tenant, other_tenant):
    ours = make_asset(tenant, title="ours")
    theirs = make_asset(other_tenant, title="theirs")
    with scopes_disabled():
        their_folder = Folder.objects.filter(tenant=other_tenant).first()
    url = _url("bulk", tenant)
    owner_client.post(url, {"action": "delete", "assets": [theirs.pk], "confirm": "on"})
    owner_client.post(url, {"action": "move", "assets": [ours.pk], "folder": their_folder.pk})
    with scopes_disabled():
        assert Asset.objects.filter(pk=theirs.pk).exists()
        assert Asset.objects.get(pk=ours.pk).folder_id is None


def test_folders_nest_rename_move_and_default_ones_are_protected(owner_client, tenant):
    with scopes_disabled():
        dishes = Folder.objects.get(tenant=tenant, name="Dishes")
    owner_client.post(_url("folder_create", tenant), {"name": "Pasta", "parent": dishes.pk})
    with scopes_disabled():
        pasta = Folder.objects.get(tenant=tenant, name="Pasta")
    assert pasta.parent_id == dishes.pk
    owner_client.post(
        _url("folder_edit", tenant, folder_id=pasta.pk), {"action": "rename", "name": "Fresh pasta"}
    )
    owner_client.post(
        _url("folder_edit", tenant, folder_id=pasta.pk), {"action": "move", "parent": ""}
    )
    r = owner_client.post(
        _url("folder_edit", tenant, folder_id=dishes.pk), {"action": "rename", "name": "Food"}
    )
    assert r.status_code == 400 and "keeps its name" in r.content.decode()
    r = owner_client.post(_url("folder_delete", tenant, folder_id=dishes.pk), {"contents": "move"})
    with scopes_disabled():
        pasta.refresh_from_db()
        assert (pasta.name, pasta.parent_id) == ("Fresh pasta", None)
        assert Folder.objects.filter(pk=dishes.pk, name="Dishes").exists()
    r = owner_client.post(
        _url("folder_edit", tenant, folder_id=dishes.pk), {"action": "move", "parent": pasta.pk}
    )
    assert r.status_code == 400


def test_a_folder_cannot_move_inside_itself(tenant):
    with tenant_scope(tenant):
        a = services.folder_create(tenant=tenant, name="A")
        b = services.folder_create(tenant=tenant, name="B", parent=a)
        with pytest.raises(services.ValidationError):
            services.folder_move(folder=a, parent=b)


def test_deleting_a_non_empty_folder_asks_and_can_move_contents_up(owner_client, tenant):
    with tenant_scope(tenant):
        events = Folder.objects.get(tenant=tenant, name="Events")
        party = services.folder_create(tenant=tenant, name="Party", parent=events)
        inner = services.folder_create(tenant=tenant, name="Inner", parent=party)
    photo = make_asset(tenant, title="in party", folder=party)
    page = owner_client.get(_url("folder_delete", tenant, folder_id=party.pk))
    assert "1 photo and 1 folder" in page.content.decode()
    owner_client.post(_url("folder_delete", tenant, folder_id=party.pk), {"contents": "move"})
    with scopes_disabled():
        assert not Folder.objects.filter(pk=party.pk).exists()
        assert Asset.objects.get(pk=photo.pk).folder_id == events.pk
        assert Folder.objects.get(pk=inner.pk).parent_id == events.pk


def test_deleting_a_folder_with_its_contents_removes_the_files(
    owner_client, tenant, stored_files, django_capture_on_commit_callbacks
):
    with tenant_scope(tenant):
        party = services.folder_create(tenant=tenant, name="Party")
        services.folder_create(tenant=tenant, name="Inner", parent=party)
    make_asset(tenant, title="gone", folder=party)
    assert len(stored_files()) == 4
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(_url("folder_delete", tenant, folder_id=party.pk), {"contents": "delete"})
    with scopes_disabled():
        assert not Folder.objects.filter(name__in=["Party", "Inner"]).exists()
        assert not Asset.objects.exists()
    assert stored_files() == []


def test_moving_the_focal_point_regenerates_the_instagram_rendition(
    owner_client, tenant, media_root, django_capture_on_commit_callbacks
):
    asset = make_asset(tenant, title="tall", width=400, height=1000)
    with scopes_disabled():
        old = Rendition.objects.get(asset=asset, kind="instagram")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            _url("asset_detail", tenant, asset_id=asset.pk),
            {
                "title": "Tall one",
                "description": "",
                "add_tags": "pasta, Dinner",
                "folder": "",
                "focal_x": "0.5",
                "focal_y": "0.0",
                "instagram_mode": "crop",
                "pad_color": "#ffffff",
            },
        )
    assert response.status_code == 302, response.content
    with scopes_disabled():
        new = Rendition.objects.get(asset=asset, kind="instagram")
        asset.refresh_from_db()
        assert sorted(asset.tags.values_list("name", flat=True)) == ["Dinner", "pasta"]
    assert new.key != old.key and new.public_token != old.public_token
    assert not (media_root / old.key).exists()
    assert (new.width, new.height) == (400, 500)


def test_the_instagram_url_is_public_and_unguessable(client, tenant, settings):
    asset = make_asset(tenant, title="ig", width=300, height=600)
    with tenant_scope(tenant):
        url = asset_instagram_url(asset=asset)
    assert url.startswith(settings.SITE_URL + "/public/ig/")
    path = url[len(settings.SITE_URL) :]
    response = client.get(path)  # no session: Meta fetches it
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    img = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert img.format == "JPEG" and img.size == (300, 375)
    assert client.get("/public/ig/" + "A" * 43 + ".jpg").status_code == 404
    settings.PUBLIC_MEDIA_BASE_URL = "https://media.example.com/"
    with tenant_scope(tenant):
        assert asset_instagram_url(asset=asset) == "https://media.example.com" + path


def test_only_the_instagram_rendition_is_public(client, tenant):
    asset = make_asset(tenant, title="private")
    with scopes_disabled():
        thumb = Rendition.objects.get(asset=asset, kind="thumb")
    assert client.get(f"/public/ig/{thumb.public_token}.jpg").status_code == 404


def test_another_tenants_asset_and_folder_urls_are_404(outsider_client, tenant):
    asset = make_asset(tenant, title="secret")
    with scopes_disabled():
        folder = Folder.objects.filter(tenant=tenant).first()
    for url in [
        _url("asset_detail", tenant, asset_id=asset.pk),
        _url("asset_file", tenant, asset_id=asset.pk, kind="original"),
        _url("asset_file", tenant, asset_id=asset.pk, kind="thumb"),
        _url("asset_tile", tenant, asset_id=asset.pk),
        _url("folder_edit", tenant, folder_id=folder.pk),
        _url("library", tenant),
        _url("picker", tenant),
    ]:
        assert outsider_client.get(url).status_code == 404, url


def test_a_member_gets_404_for_another_tenants_asset_under_their_own_slug(
    owner_client, tenant, other_tenant
):
    theirs = make_asset(other_tenant, title="theirs")
    for kind in ["original", "thumb", "instagram"]:
        url = _url("asset_file", tenant, asset_id=theirs.pk, kind=kind)
        assert owner_client.get(url).status_code == 404
    assert owner_client.get(_url("asset_detail", tenant, asset_id=theirs.pk)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, tenant):
    response = client.get(_url("library", tenant))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_picker_lists_ready_assets_with_search_and_folders(owner_client, tenant):
    make_asset(tenant, title="Carbonara")
    make_asset(tenant, title="Terrace")
    response = owner_client.get(_url("picker", tenant) + "?q=carb")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Carbonara" in body and "Terrace" not in body
    assert 'name="picked"' in body and "<html" not in body


def test_the_picker_filters_by_the_restaurants_own_tags_only(owner_client, tenant, other_tenant):
    tagged, plain = make_asset(tenant, title="Tagged"), make_asset(tenant, title="Plain")
    theirs = make_asset(other_tenant, title="Theirs")
    with tenant_scope(tenant):
        services.assets_tag(tenant=tenant, assets=[tagged], tag_names=["dessert"])
        ours = Tag.objects.get(tenant=tenant, name="dessert")
    with tenant_scope(other_tenant):
        services.assets_tag(tenant=other_tenant, assets=[theirs], tag_names=["dessert"])
        foreign = Tag.objects.get(tenant=other_tenant, name="dessert")
    response = owner_client.get(_url("picker", tenant) + f"?tag={ours.pk}")
    body = response.content.decode()
    assert response.status_code == 200 and "Tagged" in body and plain.title not in body
    for value in [foreign.pk, "x1", "9" * 30, "٣"]:
        response = owner_client.get(_url("picker", tenant) + f"?tag={value}")
        assert response.status_code == 400, value
        assert "Choose one of your own tags." in response.content.decode()


def test_asset_ids_field_refuses_another_tenants_ids(tenant, other_tenant):
    from django.core.exceptions import ValidationError

    from assets.forms import AssetIdsField

    ours, theirs = make_asset(tenant, title="a"), make_asset(other_tenant, title="b")
    field = AssetIdsField(tenant=tenant)
    with tenant_scope(tenant):
        assert field.clean(f"{ours.pk}") == [ours]
        with pytest.raises(ValidationError):
            field.clean(f"{ours.pk},{theirs.pk}")


@pytest.mark.parametrize(
    ("status", "words"),
    [("processing", "still being prepared"), ("failed", "could not be prepared")],
)
def test_asset_ids_field_returns_only_ready_assets(tenant, status, words):
    from django.core.exceptions import ValidationError

    from assets.forms import AssetIdsField
    from assets.models import Asset

    ready, other = make_asset(tenant, title="Ready"), make_asset(tenant, title="Terrace")
    with tenant_scope(tenant):
        Asset.objects.filter(pk=other.pk).update(status=status)
        field = AssetIdsField(tenant=tenant)
        assert field.clean(f"{ready.pk}") == [ready]
        with pytest.raises(ValidationError) as caught:
            field.clean(f"{ready.pk},{other.pk}")
    message = caught.value.messages[0]
    assert message.startswith("Terrace ") and words in message


def test_library_page_renders_tiles_tags_and_folders(owner_client, tenant):
    asset = make_asset(tenant, title="Gnocchi")
    with tenant_scope(tenant):
        services.assets_tag(tenant=tenant, assets=[asset], tag_names=["#potato"])
    body = owner_client.get(_url("library", tenant)).content.decode()
    assert "Gnocchi" in body and "potato" in body and "Brand Assets" in body
    assert f'id="asset-{asset.pk}"' in body


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("library", "/t/{slug}/library/"),  # a bare word: redirect() would take it for a URL name
        ("a\x00b", "/t/{slug}/library/"),
        ("/t/{other}/library/", "/t/{slug}/library/"),  # another restaurant's page
        ("https://evil.example/", "/t/{slug}/library/"),
        ("/t/{slug}/library/?q=terrace", "/t/{slug}/library/?q=terrace"),
    ],
)
def test_after_a_bulk_action_next_leads_only_to_this_restaurants_pages(
    owner_client, tenant, other_tenant, given, expected
):
    asset = make_asset(tenant)
    response = owner_client.post(
        _url("bulk", tenant),
        {
            "action": "tag",
            "assets": [asset.pk],
            "tag": "Terrace",
            "next": given.format(slug=tenant.slug, other=other_tenant.slug),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == expected.format(slug=tenant.slug)
