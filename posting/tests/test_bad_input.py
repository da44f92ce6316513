"""Every bad input of the issue's list: a clear error, nothing written (each a named test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import Http404

from assets import services as asset_services
from assets.models import Asset, Rendition
from assets.tests.factories import make_asset
from posting import dispatch, publish, services
from posting.models import Post, PostMedia, Publication
from posting.rules import PostRefused
from posting.tests.factories import make_page
from social.models import SocialAccount

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
LATER = datetime(2026, 6, 2, 12, 0)  # a wall time, tomorrow


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def refused(code, **kwargs):
    """Assert post_create refuses with ``code`` and writes nothing."""
    before = (Post.objects.count(), Publication.objects.count(), PostMedia.objects.count())
    with pytest.raises(PostRefused) as exc:
        services.post_create(author=None, when=LATER, **kwargs)
    assert exc.value.code == code
    assert exc.value.sentence.endswith((".", "?"))
    assert (Post.objects.count(), Publication.objects.count(), PostMedia.objects.count()) == before
    return exc.value


def test_instagram_without_a_photo(tenant, instagram, scoped):
    error = refused("instagram_needs_photo", tenant=tenant, account_ids=[instagram.pk], text="Hi")
    assert "at least one photo" in error.sentence


def test_a_photo_still_processing(tenant, page, photo, scoped):
    Asset.objects.filter(pk=photo.pk).update(status=Asset.Status.PROCESSING)
    refused("asset_not_ready", tenant=tenant, account_ids=[page.pk], asset_ids=[photo.pk])


def test_a_failed_photo(tenant, page, photo, scoped):
    Asset.objects.filter(pk=photo.pk).update(status=Asset.Status.FAILED)
    refused("asset_not_ready", tenant=tenant, account_ids=[page.pk], asset_ids=[photo.pk])


def test_a_deleted_photo(tenant, page, photo, scoped):
    asset_services.assets_delete(tenant=tenant, assets=[photo])
    refused("asset_deleted", tenant=tenant, account_ids=[page.pk], asset_ids=[photo.pk])


def test_a_caption_over_2200_characters(tenant, instagram, photo, scoped):
    error = refused(
        "caption_too_long",
        tenant=tenant,
        account_ids=[instagram.pk],
        asset_ids=[photo.pk],
        text="a" * 2201,
    )
    assert "2,201" in error.sentence


def test_exactly_2200_characters_is_fine(tenant, instagram, photo, scoped):
    result = services.post_create(
        tenant=tenant, author=None, account_ids=[instagram.pk], asset_ids=[photo.pk],
        text="a" * 2200, when=LATER,
    )  # fmt: skip
    assert result.publications[0].state == Publication.State.SCHEDULED


@pytest.mark.parametrize(
    "code,text",
    [
        ("too_many_hashtags", " ".join(f"#tag{i}" for i in range(31))),
        ("too_many_mentions", " ".join(f"@friend{i}" for i in range(21))),
    ],
    ids=["over_30_hashtags", "over_20_mentions"],
)
def test_caption_tag_limits(tenant, instagram, photo, scoped, code, text):
    refused(code, tenant=tenant, account_ids=[instagram.pk], asset_ids=[photo.pk], text=text)


def test_the_hashtag_limit_is_a_setting(tenant, instagram, photo, scoped, settings):
    settings.INSTAGRAM_MAX_HASHTAGS = 5
    text = " ".join(f"#tag{i}" for i in range(6))
    refused(
        "too_many_hashtags",
        tenant=tenant,
        account_ids=[instagram.pk],
        asset_ids=[photo.pk],
        text=text,
    )


def test_a_carousel_over_10(tenant, instagram, scoped):
    assets = [make_asset(tenant, width=100 + i, height=100) for i in range(11)]
    refused(
        "too_many_photos",
        tenant=tenant,
        account_ids=[instagram.pk],
        asset_ids=[a.pk for a in assets],
        text="Eleven",
    )


def test_an_instagram_rendition_instagram_would_refuse(tenant, instagram, photo, scoped):
    """The sandbox (like Instagram) refuses ratios outside 0.8–1.91: checked before saving."""
    Rendition.objects.filter(asset=photo, kind="instagram").update(width=1000, height=300)
    error = refused(
        "instagram_rendition_refused",
        tenant=tenant,
        account_ids=[instagram.pk],
        asset_ids=[photo.pk],
    )
    assert "Instagram framing" in error.sentence


@pytest.mark.parametrize(
    "change",
    [{"content_type": "image/png"}, {"bytes": 8 * 1024 * 1024 + 1}],
    ids=["not_a_jpeg", "over_8_mb"],
)
def test_other_instagram_rendition_refusals(tenant, instagram, photo, scoped, change):
    Rendition.objects.filter(asset=photo, kind="instagram").update(**change)
    refused(
        "instagram_rendition_refused",
        tenant=tenant,
        account_ids=[instagram.pk],
        asset_ids=[photo.pk],
    )


def test_an_account_of_another_restaurant_is_not_found(tenant, other_tenant, scoped):
    theirs = make_page(other_tenant)
    with pytest.raises(Http404):
        services.post_create(
            tenant=tenant, author=None, account_ids=[theirs.pk], text="Hi", when=LATER
        )
    assert Post.objects.count() == 0


def test_an_account_that_needs_reconnecting_holds_the_publication_and_says_why(
    tenant, page, scoped
):
    SocialAccount.objects.filter(pk=page.pk).update(status=SocialAccount.Status.NEEDS_RECONNECT)
    page.refresh_from_db()
    result = services.post_create(
        tenant=tenant, author=None, account_ids=[page.pk], text="Hi", when=LATER
    )
    publication = result.publications[0]
    assert publication.state == Publication.State.HELD
    assert publication.hold_reason == "reconnect"
    assert "needs reconnecting" in publication.last_error
    assert any("needs reconnecting" in note for note in result.notes)


def test_a_disconnected_account_is_refused(tenant, page, scoped):
    SocialAccount.objects.filter(pk=page.pk).update(status=SocialAccount.Status.REVOKED)
    refused("account_disconnected", tenant=tenant, account_ids=[page.pk], text="Hi")


def test_scheduling_in_the_past_offers_publish_now(tenant, page, scoped):
    with pytest.raises(PostRefused) as exc:
        services.post_create(
            tenant=tenant, author=None, account_ids=[page.pk], text="Hi",
            when=datetime(2026, 6, 1, 8, 0),  # 06:00 UTC in Rome: four hours ago
        )  # fmt: skip
    assert exc.value.code == "in_past" and exc.value.choices == ("publish_now",)
    result = services.post_create(
        tenant=tenant, author=None, account_ids=[page.pk], text="Hi", publish_now=True
    )
    assert result.publications[0].next_attempt_at == NOW


def test_scheduling_more_than_a_year_ahead(tenant, page, scoped):
    with pytest.raises(PostRefused) as exc:
        services.post_create(
            tenant=tenant, author=None, account_ids=[page.pk], text="Hi",
            when=datetime(2027, 6, 3, 12, 0),
        )  # fmt: skip
    assert exc.value.code == "too_far_ahead"
    assert Post.objects.count() == 0


def test_an_empty_facebook_post(tenant, page, scoped):
    refused("empty", tenant=tenant, account_ids=[page.pk], text="   ")


def test_no_target(tenant, scoped):
    refused("no_target", tenant=tenant, account_ids=[], text="Hi")


def test_a_photo_deleted_while_scheduled_fails_the_publication_with_that_reason(
    tenant, page, photo, scoped, clock, mailoutbox
):
    """Our choice (docs/publishing.md): deleting is not blocked; the publication fails with
    the reason when it comes due, and the owner is emailed once."""
    result = services.post_create(
        tenant=tenant, author=None, account_ids=[page.pk], asset_ids=[photo.pk], when=LATER
    )
    asset_services.assets_delete(tenant=tenant, assets=[photo])
    clock.move_to(datetime(2026, 6, 2, 10, 1, tzinfo=UTC))
    assert dispatch.publications_claim_due() == 1
    publication = result.publications[0]
    assert publish.publication_publish(publication_id=publication.pk) == "failed"
    publication.refresh_from_db()
    assert publication.state == Publication.State.FAILED
    assert "deleted from the library" in publication.last_error
    assert publication.attempts.count() == 0  # nothing was sent


def test_editing_after_the_claim_is_refused(tenant, page, scoped, clock):
    result = services.post_create(
        tenant=tenant, author=None, account_ids=[page.pk], text="Hi", when=LATER
    )
    clock.move_to(datetime(2026, 6, 2, 10, 1, tzinfo=UTC))
    dispatch.publications_claim_due()
    with pytest.raises(PostRefused) as exc:
        services.post_edit(post=result.post, text="Changed")
    assert exc.value.code == "already_claimed"
    with pytest.raises(PostRefused):
        services.post_reschedule(post=result.post, when=LATER + timedelta(days=1))
    with pytest.raises(PostRefused):
        services.publication_cancel(publication=result.publications[0])
    result.post.refresh_from_db()
    assert result.post.text == "Hi"
