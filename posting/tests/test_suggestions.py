"""Photo suggestions for a post type and notes (posting/suggestions.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assets import services as asset_services
from assets.models import Asset, Folder
from assets.tests.factories import make_asset
from posting.suggestions import asset_suggestions
from tenants.scoping import tenant_scope


@pytest.fixture
def folders(tenant):
    with tenant_scope(tenant):
        asset_services.folders_create_defaults(tenant=tenant)
        by_name = {f.name: f for f in Folder.objects.filter(tenant=tenant)}
        by_name["Pasta"] = asset_services.folder_create(
            tenant=tenant, name="Pasta", parent=by_name["Dishes"]
        )
        return by_name


def _suggest(tenant, **kw):
    with tenant_scope(tenant):
        return asset_suggestions(tenant=tenant, **kw)


def _tag(tenant, asset, *names):
    with tenant_scope(tenant):
        asset_services.assets_tag(tenant=tenant, assets=[asset], tag_names=names)


def test_folder_tags_and_reason(tenant, folders):
    risotto = make_asset(
        tenant, title="Risotto close-up", folder=folders["Dishes"], width=80, height=80
    )
    _tag(tenant, risotto, "risotto", "truffle")
    dining = make_asset(
        tenant, title="Dining room", folder=folders["Interior"], width=80, height=80
    )
    result = _suggest(tenant, post_type="daily_special", notes="Tonight: truffle risotto, €18")
    assert [s.asset.pk for s in result] == [risotto.pk, dining.pk]
    assert result[0].reason == "Dishes · tagged risotto, truffle · never posted"
    assert result[1].reason == "never posted"


def test_a_subfolder_of_the_types_folder_counts_and_events_go_to_events(tenant, folders):
    pasta = make_asset(tenant, title="Tagliatelle", folder=folders["Pasta"], width=80, height=80)
    party = make_asset(tenant, title="Party", folder=folders["Events"], width=80, height=80)
    assert _suggest(tenant, post_type="new_dish")[0].asset.pk == pasta.pk
    assert _suggest(tenant, post_type="event")[0].asset.pk == party.pk
    assert _suggest(tenant, post_type="event")[0].reason.startswith("Events · ")


def test_least_recently_posted_first_and_the_days_are_named(tenant, folders):
    old = make_asset(tenant, title="A", folder=folders["Dishes"], width=80, height=80)
    recent = make_asset(tenant, title="B", folder=folders["Dishes"], width=80, height=80)
    with tenant_scope(tenant):
        Asset.objects.filter(pk=old.pk).update(last_posted_at=timezone.now() - timedelta(days=41))
        Asset.objects.filter(pk=recent.pk).update(
            last_posted_at=timezone.now() - timedelta(hours=3)
        )
    result = _suggest(tenant, post_type="daily_special")
    assert [s.asset.pk for s in result] == [old.pk, recent.pk]
    assert result[0].reason == "Dishes · not posted for 41 days"
    assert result[1].reason == "Dishes · posted today"


def test_instagram_ready_shapes_win_ties_and_others_say_so(tenant, folders):
    wide = make_asset(tenant, title="Panorama", folder=folders["Exterior"], width=300, height=100)
    square = make_asset(tenant, title="Door", folder=folders["Exterior"], width=100, height=100)
    result = _suggest(tenant, post_type="behind_the_scenes")
    assert [s.asset.pk for s in result] == [square.pk, wide.pk]
    assert result[1].reason.endswith("will be cropped for Instagram")


def test_only_ready_photos_of_this_restaurant(tenant, other_tenant, folders):
    mine = make_asset(tenant, title="Mine", folder=folders["Dishes"])
    pending = make_asset(tenant, title="Pending", folder=folders["Dishes"])
    with tenant_scope(tenant):
        Asset.objects.filter(pk=pending.pk).update(status=Asset.Status.PROCESSING)
    make_asset(other_tenant, title="Theirs")
    assert [s.asset.pk for s in _suggest(tenant, post_type="daily_special")] == [mine.pk]


def test_engagement_scores_rank_when_analytics_has_them(tenant, folders):
    a = make_asset(tenant, title="A", folder=folders["Dishes"], width=80, height=80)
    b = make_asset(tenant, title="B", folder=folders["Dishes"], width=80, height=80)
    assert _suggest(tenant, post_type="daily_special", scores={a.pk: 1.5})[0].asset.pk == a.pk
    top = _suggest(tenant, post_type="daily_special", scores={b.pk: 1.5})[0]
    assert top.asset.pk == b.pk and "did well before" in top.reason


def test_five_at_most_and_a_constant_number_of_queries(tenant, folders, django_assert_num_queries):
    for n in range(3):
        make_asset(tenant, title=f"Dish {n}", folder=folders["Dishes"])
    with django_assert_num_queries(3):
        small = _suggest(tenant, post_type="daily_special", notes="dish")
    for n in range(9):
        asset = make_asset(tenant, title=f"More {n}", folder=folders["Pasta"])
        _tag(tenant, asset, f"tag{n}", "dish")
    with django_assert_num_queries(3):
        large = _suggest(tenant, post_type="daily_special", notes="dish")
    assert len(small) == 3 and len(large) == 5


def test_an_unknown_post_type_still_ranks_by_words_and_age(tenant, folders):
    a = make_asset(tenant, title="Risotto", folder=folders["Interior"])
    assert _suggest(tenant, post_type="nonsense", notes="risotto")[0].asset.pk == a.pk
