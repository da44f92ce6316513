"""What the library's pages say and in which order (issue 14's accessibility items 1, 4, 5 and 7;
issue 9's items 9, 10 and the folder "move into" list), read from the rendered HTML.
What the browser does with it is in test_browser_library.py."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from assets import services
from assets.models import Folder, Tag
from assets.tests import markup
from assets.tests.factories import jpeg_bytes, make_asset, upload
from tenants.scoping import scopes_disabled, tenant_scope


def _url(name, tenant, **kwargs):
    return reverse(f"assets:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def _page(client, url) -> list[markup.Element]:
    response = client.get(url)
    assert response.status_code == 200, url
    return markup.parse(response.content.decode())


def _folder(tenant, name):
    with scopes_disabled():
        return Folder.objects.get(tenant=tenant, name=name)


@pytest.fixture
def pages(owner_client, tenant):
    """The library's pages with something on them: a photo with a tag, a folder and its child."""
    asset = make_asset(tenant, title="Tiramisu")
    with tenant_scope(tenant):
        services.assets_tag(tenant=tenant, assets=[asset], tag_names=["dessert"])
        services.folder_create(tenant=tenant, name="Sweets", parent=_folder(tenant, "Dishes"))
    dishes = _folder(tenant, "Dishes")
    return {
        "library": _url("library", tenant),
        "library, a folder, searched": _url("library", tenant) + f"?folder={dishes.pk}&q=zz",
        "detail": _url("asset_detail", tenant, asset_id=asset.pk),
        "folder": _url("folder_edit", tenant, folder_id=_folder(tenant, "Sweets").pk),
        "folder delete": _url("folder_delete", tenant, folder_id=_folder(tenant, "Sweets").pk),
    }


def test_every_form_control_on_the_library_pages_has_an_accessible_name(owner_client, pages):
    # Issue 14, item 1: the orientation, used and sort selects had none.
    for name, url in pages.items():
        assert markup.unnamed_controls(_page(owner_client, url)) == [], name


def test_aria_references_on_the_library_pages_point_at_real_ids(owner_client, pages):
    # Issue 14, item 7: the tag input's aria-describedby named an id that did not exist.
    for name, url in pages.items():
        assert markup.dangling_references(_page(owner_client, url)) == [], name


def test_the_focal_point_fields_are_labelled_in_words_with_a_hint(owner_client, pages):
    # Issue 14, item 6: "Focal x:" with no hint, and step="any" made the arrow keys jump by 1.
    elements = _page(owner_client, pages["detail"])
    labels = {e.get("for"): markup.text_of(e) for e in elements if e.tag == "label"}
    by_id = {e.get("id"): e for e in elements if e.get("id")}
    for field, words, edge in [("x", "across", "left edge"), ("y", "down", "top edge")]:
        control = by_id[f"id_focal_{field}"]
        assert labels[f"id_focal_{field}"] == f"Focal point {words}"
        assert control.get("step") == "0.01"
        assert edge in markup.text_of(by_id[control.get("aria-describedby")])
    marker = by_id["focal-marker"]
    assert marker.tag == "button" and "arrow keys" in markup.text_of(by_id["focal-hint"])


def test_the_page_heading_comes_before_the_sidebar_headings(owner_client, pages):
    # Issue 14, item 5: the sidebar's "Shortcuts" h2 came before the page's h1.
    elements = _page(owner_client, pages["library"])
    headings = [e.tag for e in elements if e.tag in {"h1", "h2", "h3"}]
    assert headings[0] == "h1" and headings.count("h1") == 1


def test_tile_tick_boxes_come_before_apply_and_the_count_is_live(owner_client, pages):
    # Issue 14, item 4: the bulk bar (and its Apply button) came before the tiles.
    elements = _page(owner_client, pages["library"])
    ticks = [e.index for e in elements if e.tag == "input" and e.get("name") == "assets"]
    apply = [e.index for e in elements if e.tag == "button" and markup.text_of(e) == "Apply"]
    assert ticks and len(apply) == 1 and max(ticks) < apply[0]
    count = next(e for e in elements if e.get("id") == "selected-count")
    assert count.get("aria-live") == "polite"


def test_the_page_has_one_status_region_and_no_tile_is_its_own(owner_client, tenant, pages):
    # Issue 14, item 2: each tile being prepared carried its own role="status".
    asset = make_asset(tenant, title="Still cooking")
    with scopes_disabled():
        type(asset).objects.filter(pk=asset.pk).update(status="processing")
    elements = _page(owner_client, pages["library"])
    live = [e for e in elements if e.get("role") == "status" or e.get("aria-live")]
    assert not [e for e in live if "tile" in e.get("class")]
    assert [e.get("id") for e in live if e.get("id")] == ["library-status", "selected-count"]
    tile = next(e for e in elements if e.get("id") == f"asset-{asset.pk}")
    assert "hx-trigger" not in tile.attrs  # the tile stays; only its picture part polls
    polling = [e for e in elements if e.get("hx-trigger") == "every 2s"]
    assert [e.get("class") for e in polling] == ["tile-media tile-placeholder"]


def test_the_polled_picture_part_carries_no_tick_box_and_stops_when_ready(owner_client, tenant):
    asset = make_asset(tenant, title="Ready now")
    url = _url("asset_tile", tenant, asset_id=asset.pk)
    with scopes_disabled():
        type(asset).objects.filter(pk=asset.pk).update(status="processing")
    polling = markup.parse(owner_client.get(url).content.decode())
    assert [e.get("hx-trigger") for e in polling] == ["every 2s"]
    with scopes_disabled():
        type(asset).objects.filter(pk=asset.pk).update(status="ready")
    ready = markup.parse(owner_client.get(url).content.decode())
    assert [e.tag for e in ready] == ["div", "img"]
    assert ready[0].get("data-state") == "ready" and ready[0].get("data-title") == "Ready now"
    assert not any(e.get("hx-trigger") or e.tag == "input" for e in ready)


@pytest.mark.parametrize(
    "query",
    ["q=nothing-like-it", "tag={tag}", "orientation=portrait", "used=used", "q=zz&sort=most_used"],
)
def test_a_search_or_filter_without_a_match_says_so_and_offers_to_clear_it(
    owner_client, tenant, query
):
    # Issue 9, item 10: it said "No photos here yet. Drop some above."
    asset = make_asset(tenant, title="Tiramisu", folder=_folder(tenant, "Dishes"))
    with tenant_scope(tenant):
        services.assets_tag(tenant=tenant, assets=[asset], tag_names=["dessert"])
    with scopes_disabled():
        tag = Tag.objects.create(tenant=tenant, name="unused")
    dishes = _folder(tenant, "Dishes")
    url = _url("library", tenant) + f"?folder={dishes.pk}&" + query.format(tag=tag.pk)
    elements = _page(owner_client, url)
    results = next(e for e in elements if e.get("id") == "asset-results")
    assert "No photos match." in markup.text_of(results)
    assert "No photos here yet" not in markup.text_of(results)
    assert results.get("data-summary") == "No photos match."
    clear = next(e for e in elements if e.tag == "a" and "Clear" in markup.text_of(e))
    assert clear.get("href") == f"{_url('library', tenant)}?folder={dishes.pk}"
    cleared = _page(owner_client, clear.get("href"))
    assert [markup.text_of(e) for e in cleared if "tile-link" in e.get("class")] == ["Tiramisu"]


def test_an_empty_folder_without_a_search_says_it_is_empty(owner_client, tenant):
    dishes = _folder(tenant, "Dishes")
    for query in [f"?folder={dishes.pk}", f"?folder={dishes.pk}&sort=most_used"]:
        elements = _page(owner_client, _url("library", tenant) + query)
        results = next(e for e in elements if e.get("id") == "asset-results")
        assert "No photos here yet." in markup.text_of(results)
        assert not any(e.tag == "a" and "Clear" in markup.text_of(e) for e in elements)


def test_a_search_that_matches_says_how_many_match(owner_client, tenant):
    make_asset(tenant, title="Tiramisu")
    make_asset(tenant, title="Tiramisu again")
    make_asset(tenant, title="Gnocchi")
    for query, summary in [("q=tiramisu", "2 photos match."), ("q=gnocchi", "1 photo matches.")]:
        elements = _page(owner_client, _url("library", tenant) + "?" + query)
        results = next(e for e in elements if e.get("id") == "asset-results")
        assert results.get("data-summary") == summary
    elements = _page(owner_client, _url("library", tenant))
    results = next(e for e in elements if e.get("id") == "asset-results")
    assert results.get("data-summary") == "3 photos."


def test_the_move_into_list_leaves_out_the_folder_itself_and_its_children(owner_client, tenant):
    # Issue 9, item 13: the list offered the folder itself and its subfolders.
    with tenant_scope(tenant):
        party = services.folder_create(
            tenant=tenant, name="Party", parent=_folder(tenant, "Events")
        )
        inner = services.folder_create(tenant=tenant, name="Inner", parent=party)
        services.folder_create(tenant=tenant, name="Innermost", parent=inner)
        services.folder_create(tenant=tenant, name="Sibling", parent=_folder(tenant, "Events"))
    elements = _page(owner_client, _url("folder_edit", tenant, folder_id=party.pk))
    select = next(e for e in elements if e.tag == "select" and e.get("name") == "parent")
    offered = [markup.text_of(e) for e in elements[select.index + 1 :] if e.tag == "option"]
    assert "Top level" in offered and "Events" in offered and "Sibling" in offered
    assert not {"Party", "Inner", "Innermost"} & set(offered)
    # Moving it into its child is still refused, now as a choice that is not offered.
    r = owner_client.post(
        _url("folder_edit", tenant, folder_id=party.pk), {"action": "move", "parent": inner.pk}
    )
    assert r.status_code == 400 and "Choose one of your own folders." in r.content.decode()
    with scopes_disabled():
        party.refresh_from_db()
        assert party.parent.name == "Events"


def test_the_sidebar_counts_every_photo_and_the_unfiled_ones(owner_client, tenant):
    make_asset(tenant, title="Loose")
    make_asset(tenant, title="Filed", folder=_folder(tenant, "Dishes"))
    elements = _page(owner_client, _url("library", tenant))
    counts = {
        e.get("data-count-for"): markup.text_of(e) for e in elements if e.get("data-count-for")
    }
    dishes = _folder(tenant, "Dishes")
    assert counts["all"] == "2" and counts["none"] == "1" and counts[str(dishes.pk)] == "1"


def test_the_sidebar_counts_only_this_restaurants_photos_and_empty_folders_show_0(
    owner_client, tenant, other_tenant
):
    make_asset(tenant, title="Filed", folder=_folder(tenant, "Dishes"))
    with scopes_disabled():
        theirs = Folder.objects.get(tenant=other_tenant, name="Dishes")
    make_asset(other_tenant, title="Theirs", folder=theirs)
    make_asset(other_tenant, title="Theirs too")
    elements = _page(owner_client, _url("library", tenant))
    counts = {
        e.get("data-count-for"): markup.text_of(e) for e in elements if e.get("data-count-for")
    }
    assert counts["all"] == "1" and counts["none"] == "0"
    assert counts[str(_folder(tenant, "Dishes").pk)] == "1"
    assert counts[str(_folder(tenant, "Events").pk)] == "0"
    assert str(theirs.pk) not in counts


def test_the_summary_is_one_query_and_counts_only_this_restaurants_bytes(tenant, other_tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assets import selectors

    with tenant_scope(tenant):
        assert selectors.library_summary(tenant=tenant).storage_used == 0  # no photo yet
    dishes = _folder(tenant, "Dishes")
    make_asset(tenant, folder=dishes)
    make_asset(tenant)
    make_asset(other_tenant, width=400, height=300)  # bigger: its bytes would show
    with tenant_scope(tenant), CaptureQueriesContext(connection) as queries:
        summary = selectors.library_summary(tenant=tenant)
    assert len(queries) == 1
    with tenant_scope(tenant):
        assert summary.storage_used == selectors.tenant_storage_used(tenant=tenant) > 0
    assert (summary.total, summary.unfiled, summary.per_folder) == (2, 1, {dishes.pk: 1})


def test_an_upload_answers_with_the_library_counts_the_page_shows(owner_client, tenant):
    # Issue 9, item 9: folder counts and "Storage used" stayed stale after an upload.
    dishes = _folder(tenant, "Dishes")
    response = owner_client.post(
        _url("upload", tenant),
        {"file": upload(jpeg_bytes(80, 60), "pizza.jpg"), "folder": dishes.pk},
        headers={"accept": "application/json"},
    )
    body = json.loads(response.content)
    assert response.status_code == 200 and body["results"][0]["ok"]
    counts = body["library"]
    assert counts["total"] == 1 and counts["unfiled"] == 0
    assert counts["folders"][str(dishes.pk)] == 1
    page = owner_client.get(_url("library", tenant)).content.decode()
    assert f'<span id="storage-used">{counts["storage_used"]}</span>' in page


def test_the_results_count_and_pages_of_a_whole_folder_come_from_the_sidebars_counts(
    owner_client, tenant, other_tenant, monkeypatch
):
    # Without a search or filter the grid's count is the sidebar's (no COUNT query of its own).
    from assets import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    dishes = _folder(tenant, "Dishes")
    for n in range(3):
        make_asset(tenant, title=f"Dish {n}", folder=dishes)
    make_asset(tenant, title="Loose")
    make_asset(other_tenant, title="Theirs")

    def shown(query: str) -> tuple[str, str, int]:
        elements = _page(owner_client, _url("library", tenant) + query)
        count = next(e for e in elements if e.get("id") == "results-count")
        pager = [markup.text_of(e) for e in elements if e.get("class") == "muted"]
        tiles = len([e for e in elements if e.tag == "article"])
        return markup.text_of(count), next((p for p in pager if p.startswith("Page")), ""), tiles

    assert shown("") == ("4 photos", "Page 1 of 2", 2)
    assert shown("?page=2") == ("4 photos", "Page 2 of 2", 2)
    assert shown(f"?folder={dishes.pk}&page=2") == ("3 photos", "Page 2 of 2", 1)
    assert shown("?folder=none") == ("1 photo", "", 1)
    assert shown(f"?folder={_folder(tenant, 'Events').pk}") == ("0 photos", "", 0)
    assert shown(f"?folder={dishes.pk}&q=Dish") == ("3 photos", "Page 1 of 2", 2)
