"""The services the composer calls: derived shapes, edit / reschedule / cancel until claimed,
publish now, retry, and the holds of a token error with the owner's choice afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from assets.models import Asset
from assets.tests.factories import make_asset
from posting import dispatch, selectors, services
from posting.models import Publication
from posting.rules import PostRefused
from posting.tests.factories import make_page, make_publication
from social.models import SocialAccount

S = Publication.State
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
TOMORROW = datetime(2026, 6, 2, 12, 0)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def create(tenant, accounts, **kwargs):
    kwargs.setdefault("when", TOMORROW)
    return services.post_create(
        tenant=tenant, author=None, account_ids=[a.pk for a in accounts], **kwargs
    )


@pytest.mark.parametrize(
    "photos,link,facebook_shape,instagram_shape",
    [
        (0, "", "fb_text", None),
        (0, "https://alba.example/menu", "fb_link", None),
        (1, "", "fb_photo", "ig_image"),
        (3, "", "fb_album", "ig_carousel"),
        (10, "", "fb_album", "ig_carousel"),
    ],
)
def test_each_targets_shape_is_derived(
    tenant, page, instagram, scoped, photos, link, facebook_shape, instagram_shape
):
    assets = [make_asset(tenant, width=200 + i, height=200) for i in range(photos)]
    targets = [page, instagram] if instagram_shape else [page]
    result = create(tenant, targets, text="Hi", link=link, asset_ids=[a.pk for a in assets])
    shapes = {p.network: p.shape for p in result.publications}
    assert shapes["facebook"] == facebook_shape
    assert shapes.get("instagram") == instagram_shape
    assert [m.asset_id for m in result.post.media_items.all()] == [a.pk for a in assets]


def test_scheduling_marks_each_photo_used_once(tenant, page, photo, scoped):
    create(tenant, [page], asset_ids=[photo.pk])
    assert Asset.objects.get(pk=photo.pk).times_used == 1


def test_a_post_without_a_time_is_a_draft(tenant, page, scoped):
    result = create(tenant, [page], text="Later", when=None)
    assert result.publications[0].state == S.DRAFT
    assert result.post.scheduled_at is None


def test_editing_before_the_claim_changes_text_photos_and_shapes(tenant, page, photo, scoped):
    result = create(tenant, [page], text="Hi")
    assert result.publications[0].shape == "fb_text"
    services.post_edit(post=result.post, text="With a photo", asset_ids=[photo.pk])
    publication = Publication.objects.get(pk=result.publications[0].pk)
    assert publication.shape == "fb_photo"
    assert publication.post.text == "With a photo"
    assert publication.state == S.SCHEDULED


def test_an_edit_that_breaks_a_rule_changes_nothing(tenant, page, instagram, photo, scoped):
    result = create(tenant, [page, instagram], text="Hi", asset_ids=[photo.pk])
    with pytest.raises(PostRefused):
        services.post_edit(post=result.post, text="No photo any more", asset_ids=[])
    result.post.refresh_from_db()
    assert result.post.text == "Hi"
    assert list(result.post.media_items.values_list("asset_id", flat=True)) == [photo.pk]


def test_rescheduling_moves_the_due_time(tenant, page, scoped):
    result = create(tenant, [page], text="Hi")
    services.post_reschedule(post=result.post, when=datetime(2026, 6, 3, 9, 0))
    publication = Publication.objects.get(pk=result.publications[0].pk)
    assert publication.next_attempt_at == datetime(2026, 6, 3, 7, 0, tzinfo=UTC)  # Rome, CEST


def test_a_draft_gets_scheduled_by_rescheduling(tenant, page, scoped):
    result = create(tenant, [page], text="Later", when=None)
    services.post_reschedule(post=result.post, when=TOMORROW)
    assert Publication.objects.get(pk=result.publications[0].pk).state == S.SCHEDULED


def test_cancelling_before_the_claim_means_it_is_never_claimed(tenant, page, scoped, clock):
    result = create(tenant, [page], text="Hi")
    services.post_cancel(post=result.post)
    clock.move_to(datetime(2026, 6, 3, tzinfo=UTC))
    assert dispatch.publications_claim_due() == 0
    assert Publication.objects.get(pk=result.publications[0].pk).state == S.CANCELLED


def test_publish_now_makes_a_scheduled_one_due_at_once(tenant, page, scoped):
    result = create(tenant, [page], text="Hi")
    services.publication_publish_now(publication=result.publications[0])
    assert dispatch.publications_claim_due() == 1


def test_a_failed_publication_can_be_retried_as_a_new_attempt(tenant, page, scoped):
    result = create(tenant, [page], text="Hi")
    publication = result.publications[0]
    Publication.objects.filter(pk=publication.pk).update(
        state=S.FAILED, last_error="Facebook refused", retry_count=4, attempt_count=1
    )
    publication.refresh_from_db()
    services.publication_retry(publication=publication)
    publication.refresh_from_db()
    assert (publication.state, publication.retry_count, publication.last_error) == (
        S.SCHEDULED,
        0,
        "",
    )
    assert publication.next_attempt_at == NOW
    assert dispatch.publications_claim_due() == 1
    publication.refresh_from_db()
    assert publication.attempt_count == 2


def test_a_publication_being_reconciled_cannot_be_retried_blindly(tenant, page, scoped):
    result = create(tenant, [page], text="Hi")
    Publication.objects.filter(pk=result.publications[0].pk).update(state=S.NEEDS_RECONCILE)
    with pytest.raises(PostRefused) as exc:
        services.publication_retry(
            publication=Publication.objects.get(pk=result.publications[0].pk)
        )
    assert exc.value.code == "reconciling"


def test_a_token_error_holds_every_pending_publication_of_the_account_and_its_instagram(
    tenant, page, instagram, photo, scoped
):
    first = create(tenant, [page], text="One")
    second = create(tenant, [page, instagram], text="Two", asset_ids=[photo.pk])
    held = services.account_publications_hold(account=page, sentence="Reconnect it.")
    assert held == 3
    states_now = set(
        Publication.objects.filter(post__in=[first.post, second.post]).values_list(
            "state", flat=True
        )
    )
    assert states_now == {S.HELD}


def test_after_a_reconnect_held_publications_are_offered_back(tenant, page, scoped):
    SocialAccount.objects.filter(pk=page.pk).update(status=SocialAccount.Status.NEEDS_RECONNECT)
    page.refresh_from_db()
    first = create(tenant, [page], text="One").publications[0]
    second = create(tenant, [page], text="Two").publications[0]
    assert list(selectors.publications_held(tenant=tenant).awaiting_choice) == []
    with pytest.raises(PostRefused):
        services.publication_publish_now(publication=first)
    SocialAccount.objects.filter(pk=page.pk).update(status=SocialAccount.Status.ACTIVE)
    offered = list(selectors.publications_held(tenant=tenant).awaiting_choice)
    assert {p.pk for p in offered} == {first.pk, second.pk}
    services.publication_publish_now(publication=first)
    services.publication_reschedule(publication=second, when=datetime(2026, 6, 5, 12, 0))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.next_attempt_at) == (S.SCHEDULED, NOW)
    assert (second.state, second.next_attempt_at) == (
        S.SCHEDULED,
        datetime(2026, 6, 5, 10, 0, tzinfo=UTC),
    )
    assert list(selectors.publications_held(tenant=tenant).awaiting_choice) == []


def test_held_publications_are_split_by_what_their_account_needs(tenant, other_tenant, scoped):
    works = make_page(tenant, name="B works")
    broken = make_page(tenant, name="A broken", status=SocialAccount.Status.NEEDS_RECONNECT)
    revoked = make_page(tenant, name="C revoked", status=SocialAccount.Status.REVOKED)
    moved = make_page(tenant, name="D moved")

    def held(account, hours):
        when = NOW + timedelta(hours=hours)
        return make_publication(tenant, account=account, state=S.HELD, next_attempt_at=when)

    later, sooner = held(works, 5), held(works, 1)
    broken_later, broken_sooner = held(broken, 4), held(broken, 2)
    gone = held(revoked, 3)
    held(moved, 1)
    make_publication(tenant, account=works, state=S.SCHEDULED)
    SocialAccount.objects.filter(pk=moved.pk).update(tenant=other_tenant)

    split = selectors.publications_held(tenant=tenant)
    assert split.awaiting_choice == [sooner, later]
    assert [(a.pk, [p.pk for p in ps]) for a, ps in split.for_reconnect] == [
        (broken.pk, [broken_sooner.pk, broken_later.pk]),
        (revoked.pk, [gone.pk]),
    ]


def test_another_tenants_scope_does_not_see_the_publications(tenant, other_tenant, page):
    from tenants.scoping import tenant_scope

    with tenant_scope(tenant):
        create(tenant, [page], text="Ours")
    with tenant_scope(other_tenant):
        assert Publication.objects.count() == 0
