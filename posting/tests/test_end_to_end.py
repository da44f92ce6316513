"""End to end over HTTP: the publishing engine against the Graph sandbox.

Real PostgreSQL, the sandbox on a free port, our live server serving the Instagram renditions
(the sandbox fetches them like Meta would), Celery tasks run eagerly in-process (the worker
processes themselves are exercised in bench/). Each test drives the dispatcher as beat would.
"""

from __future__ import annotations

import time

import pytest

from assets.selectors import asset_rendition_bytes
from assets.tests.factories import make_asset
from posting import dispatch, selectors, services
from posting.models import Post, Publication, PublishAttempt
from posting.testing import (
    MARIA,
    PAGE_ID,
    SCOPES,
    connect_maria,
    point_at_sandbox,
    tasks_in_process,
)
from social.models import SocialAccount, TokenCheck
from tenants.scoping import scopes_disabled, tenant_scope

pytestmark = pytest.mark.django_db(transaction=True)
S = Publication.State


@pytest.fixture
def sb(graph_sandbox_factory, live_server, settings):
    handle = graph_sandbox_factory()
    point_at_sandbox(settings, handle, live_server)
    yield handle
    calls = [r for r in handle.requests_log() if r.get("has_access_token")]
    assert all(r["proof"] == "valid" for r in calls)  # RELIABILITY O8


@pytest.fixture(autouse=True)
def eager():
    with tasks_in_process():
        yield


@pytest.fixture
def accounts(sb, tenant):
    return connect_maria(sb, tenant)


def create(tenant, accounts, **kwargs):
    with tenant_scope(tenant):
        kwargs.setdefault("publish_now", True)
        return services.post_create(
            tenant=tenant, author=None, account_ids=[a.pk for a in accounts], **kwargs
        )


def drain(rounds: int = 5) -> None:
    for _ in range(rounds):
        if not dispatch.publications_claim_due():
            return


def reload(publication) -> Publication:
    with scopes_disabled():
        return Publication.objects.select_related("post").get(pk=publication.pk)


def app_posts(sb):
    return [p for p in sb.control("GET", "posts", params={"page_id": PAGE_ID}) if p["from_app"]]


def photos(tenant, count):
    return [make_asset(tenant, width=600 + 10 * i, height=600) for i in range(count)]


def test_a_facebook_text_post(sb, tenant, accounts):
    page, _ig = accounts
    [publication] = create(tenant, [page], text="Fresh tagliatelle tonight").publications
    drain()
    publication = reload(publication)
    assert publication.state == S.PUBLISHED
    [post] = app_posts(sb)
    assert post["id"] == publication.remote_id
    assert post["message"] == "Fresh tagliatelle tonight"
    assert publication.permalink.startswith("http")
    with scopes_disabled():
        [attempt] = PublishAttempt.objects.filter(publication=publication)
    assert attempt.outcome == "published" and attempt.ended_at is not None


def test_a_one_photo_post_uploads_the_web_renditions_bytes(sb, tenant, accounts):
    page, _ig = accounts
    [asset] = photos(tenant, 1)
    [publication] = create(tenant, [page], text="Our terrace", asset_ids=[asset.pk]).publications
    drain()
    publication = reload(publication)
    assert publication.state == S.PUBLISHED and publication.permalink
    [post] = app_posts(sb)
    assert post["id"] == publication.remote_id and post["message"] == "Our terrace"
    [photo_id] = post["photo_ids"]
    stored = sb.session.get(f"{sb.url}/_sandbox/photos/{photo_id}.jpg").content
    with tenant_scope(tenant):
        assert stored == asset_rendition_bytes(asset=asset, kind="web")
    upload = sb.requests_log(path="/*/photos", method="POST")[0]
    assert "url" not in upload["params"]  # the bytes themselves, no public URL needed


def test_a_three_photo_album(sb, tenant, accounts):
    page, _ig = accounts
    assets = photos(tenant, 3)
    [publication] = create(
        tenant, [page], text="Three new dishes", asset_ids=[a.pk for a in assets]
    ).publications
    drain()
    publication = reload(publication)
    assert publication.state == S.PUBLISHED and publication.permalink
    [post] = app_posts(sb)
    assert post["id"] == publication.remote_id
    assert post["message"] == "Three new dishes" and len(post["photo_ids"]) == 3
    with tenant_scope(tenant):
        expected = [asset_rendition_bytes(asset=a, kind="web") for a in assets]
    stored = [
        sb.session.get(f"{sb.url}/_sandbox/photos/{pid}.jpg").content for pid in post["photo_ids"]
    ]
    assert stored == expected  # in the post's order


def test_an_instagram_single_image(sb, tenant, accounts):
    _page, ig = accounts
    [asset] = photos(tenant, 1)
    [publication] = create(
        tenant, [ig], text="Buongiorno! #pasta", asset_ids=[asset.pk]
    ).publications
    drain()
    publication = reload(publication)
    assert publication.state == S.PUBLISHED
    [media] = [m for m in sb.control("GET", "ig-media") if m["id"] == publication.remote_id]
    assert media["caption"] == "Buongiorno! #pasta" and media["media_type"] == "IMAGE"
    stored = sb.session.get(f"{sb.url}/_sandbox/media/{media['id']}.jpg").content
    with tenant_scope(tenant):
        assert stored == asset_rendition_bytes(asset=asset, kind="instagram")
    assert publication.permalink.startswith("https://www.instagram.com/")
    calls = [(r["method"], r["graph_path"].rsplit("/", 1)[-1]) for r in sb.requests_log()]
    assert calls.index(("GET", "content_publishing_limit")) < calls.index(("POST", "media"))


def test_an_instagram_carousel_of_three(sb, tenant, accounts):
    _page, ig = accounts
    assets = photos(tenant, 3)
    [publication] = create(
        tenant, [ig], text="Tasting menu", asset_ids=[a.pk for a in assets]
    ).publications
    drain()
    publication = reload(publication)
    assert publication.state == S.PUBLISHED and publication.permalink
    [media] = [m for m in sb.control("GET", "ig-media") if m["id"] == publication.remote_id]
    assert media["media_type"] == "CAROUSEL" and len(media["children"]) == 3
    assert media["caption"] == "Tasting menu"
    stored = [
        sb.session.get(f"{sb.url}/_sandbox/media/{child}.jpg").content
        for child in media["children"]
    ]
    with tenant_scope(tenant):
        assert stored == [asset_rendition_bytes(asset=a, kind="instagram") for a in assets]


def tomorrow(tenant):
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.now() + timedelta(days=1)).astimezone(tenant.tzinfo).replace(tzinfo=None)


def test_a_token_error_mid_run_holds_the_accounts_other_publications(sb, tenant, accounts):
    """J9 / code 190: no retry, every pending publication of the account held (its Instagram
    account's too), the account marked needs_reconnect with one email; after a reconnect the
    held ones come back to the owner's choice: publish now or a new time."""
    page, ig = accounts
    [asset] = photos(tenant, 1)
    first = create(tenant, [page], text="First").publications[0]
    second = create(tenant, [page], text="Second").publications[0]
    later = create(
        tenant, [page, ig], text="Tomorrow", asset_ids=[asset.pk], publish_now=False,
        when=tomorrow(tenant),
    ).publications  # fmt: skip
    sb.add_fault(route="/*/feed", code=190, subcode=460, count=1)
    drain()
    everything = [reload(p) for p in (first, second, *later)]
    assert {p.state for p in everything} == {S.HELD}
    assert {p.hold_reason for p in everything} == {"reconnect"}
    assert len(sb.requests_log(path="/*/feed", method="POST")) == 1  # 0 retries
    assert app_posts(sb) == []
    with scopes_disabled():
        page.refresh_from_db()
        ig.refresh_from_db()
        assert page.status == ig.status == SocialAccount.Status.NEEDS_RECONNECT
        assert TokenCheck.objects.filter(account=page, trigger="publish").count() == 1
    # Reconnected (the connect flow stores a fresh token and marks it active).
    token = sb.mint_token(MARIA, SCOPES, page_id=PAGE_ID)["token"]
    with scopes_disabled():
        for account in (page, ig):
            account.status = SocialAccount.Status.ACTIVE
            account.page_token = token if account.is_page else ""
            account.save()
    with tenant_scope(tenant):
        offered = {p.pk for p in selectors.publications_held(tenant=tenant).awaiting_choice}
        assert offered == {p.pk for p in everything}
        services.publication_publish_now(publication=reload(first))
        services.publication_reschedule(publication=reload(second), when=tomorrow(tenant))
    drain()
    assert reload(first).state == S.PUBLISHED
    assert reload(second).state == S.SCHEDULED
    assert [p["message"] for p in app_posts(sb)] == ["First"]


def timed_out_post(sb, tenant, page, settings, *, text: str, delay: int) -> Publication:
    """A text post whose feed call times out (the sandbox still makes it): needs_reconcile,
    reconciled after ``delay`` seconds."""
    settings.PUBLISH_RECONCILE_DELAY_SECONDS = delay
    sb.add_fault(route="/*/feed", method="POST", kind="timeout", seconds=2, count=1)
    [publication] = create(tenant, [page], text=text).publications
    drain()
    assert reload(publication).state == S.NEEDS_RECONCILE
    return publication


def test_a_timeout_after_facebook_accepted_the_post_ends_published_through_reconciliation(
    sb, tenant, accounts, settings
):
    """The sandbox sleeps past our read timeout, then still makes the post. We must not send it
    again: needs_reconcile, then the reconciler finds it on the Page."""
    page, _ig = accounts
    publication = timed_out_post(sb, tenant, page, settings, text="Ambiguous lasagne", delay=2)
    drain()  # nothing is re-sent while it is being reconciled
    time.sleep(2.5)  # the delay passes; Facebook (the sandbox) has finished meanwhile
    dispatch.publications_sweep()
    drain()
    publication = reload(publication)
    assert publication.state == S.PUBLISHED
    posts = app_posts(sb)
    assert [p["message"] for p in posts] == ["Ambiguous lasagne"]
    assert publication.remote_id == posts[0]["id"]
    assert len(sb.requests_log(path="/*/feed", method="POST")) == 1


def test_reconciliation_reads_a_busy_pages_whole_listing_before_calling_a_post_absent(
    sb, tenant, accounts, settings
):
    """Found in the full-size J1 run (3 Pages, 1,000 posts in 10 minutes): the post made by the
    timed-out call was older than the newest 250 on its Page, the reconciler read only 5 pages
    of 50, concluded "absent" and posted again. It reads the whole listing since the attempt
    (or, when that is longer than it may read, looks again later) — never a second post."""
    from social.graph import GraphClient, TransientError, publishing

    page, _ig = accounts
    publication = timed_out_post(sb, tenant, page, settings, text="Buried lasagne", delay=0)
    time.sleep(2.5)  # the sandbox has made the post meanwhile
    with scopes_disabled():
        token = page.graph_token
    client = GraphClient()
    for n in range(300):  # the Page is busy: 300 newer posts
        publishing.feed_create(client, page_id=PAGE_ID, token=token, message=f"Newer {n}")
    with pytest.raises(TransientError):  # a listing cut short is not an answer
        publishing.published_posts(client, page_id=PAGE_ID, token=token, since=0, max_pages=2)
    dispatch.publications_sweep()
    drain()
    publication = reload(publication)
    assert publication.state == S.PUBLISHED
    [buried] = [p for p in app_posts(sb) if p["message"] == "Buried lasagne"]
    assert publication.remote_id == buried["id"]


def test_an_ambiguous_failure_that_did_not_post_is_sent_again_after_reconciliation(
    sb, tenant, accounts, settings
):
    page, _ig = accounts
    settings.PUBLISH_RECONCILE_DELAY_SECONDS = 0
    sb.add_fault(route="/*/feed", method="POST", kind="reset", count=1)
    [publication] = create(tenant, [page], text="Reset risotto").publications
    drain()
    assert reload(publication).state == S.NEEDS_RECONCILE
    dispatch.publications_sweep()  # reconciles: not on the Page → scheduled, due now
    drain()
    assert reload(publication).state == S.PUBLISHED
    assert [p["message"] for p in app_posts(sb)] == ["Reset risotto"]


def test_a_transient_error_is_retried_later_with_backoff(sb, tenant, accounts):
    page, _ig = accounts
    sb.add_fault(route="/*/feed", method="POST", code=2, count=1)
    [publication] = create(tenant, [page], text="Retry me").publications
    drain()
    publication = reload(publication)
    assert publication.state == S.SCHEDULED and publication.retry_count == 1
    assert publication.last_error_code == 2 and publication.last_fbtrace_id
    from django.utils import timezone

    assert publication.next_attempt_at > timezone.now()
    with scopes_disabled():
        Publication.objects.filter(pk=publication.pk).update(next_attempt_at=timezone.now())
    drain()
    assert reload(publication).state == S.PUBLISHED
    assert len(app_posts(sb)) == 1


def test_a_rate_limit_waits_for_facebooks_estimate_and_blocks_the_page(sb, tenant, accounts):
    from django.utils import timezone

    from posting import budget

    page, _ig = accounts
    sb.add_fault(route="/*/feed", method="POST", code=80001, count=1)
    [publication] = create(tenant, [page], text="Busy").publications
    drain()
    publication = reload(publication)
    assert publication.state == S.SCHEDULED
    wait = (publication.next_attempt_at - timezone.now()).total_seconds()
    assert wait >= 5 * 60 - 5  # the sandbox estimates 5 minutes
    assert budget.blocked_until(PAGE_ID) is not None


def test_a_permanent_error_fails_once_and_emails_the_owner_once(
    sb, tenant, accounts, owner, mailoutbox
):
    page, _ig = accounts
    sb.add_fault(route="/*/feed", method="POST", code=506)
    [publication] = create(tenant, [page], text="Twice").publications
    drain()
    publication = reload(publication)
    assert publication.state == S.FAILED
    assert "same text was just posted" in publication.last_error
    assert len(mailoutbox) == 1
    assert publication.last_error in mailoutbox[0].body
    with tenant_scope(tenant):
        services.publication_retry(publication=publication)
    drain()
    assert reload(publication).state == S.FAILED
    assert len(mailoutbox) == 2  # a new failure after the owner's retry: one more email
    drain()
    assert len(mailoutbox) == 2


def test_instagram_quota_spent_holds_with_a_clear_reason(sb, tenant, accounts):
    _page, ig = accounts
    sb.control("POST", "limits", json={"publish_limit": 0})
    [asset] = photos(tenant, 1)
    [publication] = create(tenant, [ig], text="Quota", asset_ids=[asset.pk]).publications
    drain()
    publication = reload(publication)
    assert (publication.state, publication.hold_reason) == (S.HELD, "quota")
    assert "limit of posts per 24 hours" in publication.last_error
    assert not sb.requests_log(path="/*/media", method="POST")  # no container made


def test_an_instagram_container_that_never_finishes_is_retried_with_a_new_one(
    sb, tenant, accounts, settings
):
    _page, ig = accounts
    sb.control("POST", "limits", json={"container_processing_seconds": 30})
    [asset] = photos(tenant, 1)
    settings.INSTAGRAM_POLL_MAX_SECONDS = 0  # the eager poll would spin otherwise
    [publication] = create(tenant, [ig], text="Broken", asset_ids=[asset.pk]).publications
    drain()
    publication = reload(publication)
    assert publication.state == S.SCHEDULED  # poll window spent: a new container later
    assert not sb.control("GET", "ig-media")
    assert "too long" in publication.last_error


def test_the_posted_photo_is_marked_posted(sb, tenant, accounts):
    from assets.models import Asset

    page, _ig = accounts
    [asset] = photos(tenant, 1)
    create(tenant, [page], text="Marked", asset_ids=[asset.pk])
    drain()
    with scopes_disabled():
        asset = Asset.objects.get(pk=asset.pk)
    assert asset.times_used == 1 and asset.last_posted_at is not None


def test_posts_of_one_restaurant_never_touch_anothers(sb, tenant, accounts, other_tenant):
    page, _ig = accounts
    create(tenant, [page], text="Ours")
    drain()
    with tenant_scope(other_tenant):
        assert Post.objects.count() == 0 and Publication.objects.count() == 0


def test_j2_a_crash_after_facebook_succeeded_before_our_commit_is_resolved_without_reposting(
    sb, tenant, accounts, settings, monkeypatch
):
    """RELIABILITY J2 (100 posts): the worker dies between Facebook's answer and our commit.
    0 second publish calls; all 100 go through needs_reconcile to published."""
    from posting import publish

    page, _ig = accounts
    settings.PUBLISH_STUCK_AFTER_SECONDS = 0
    publications = [
        create(tenant, [page], text=f"Special number {i}").publications[0] for i in range(100)
    ]

    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(publish, "_succeed", killed)
    monkeypatch.setattr(
        "posting.tasks.publication_publish.apply_async", lambda **kw: None
    )  # the "worker" below runs them
    dispatch.publications_claim_due()
    for publication in publications:
        with tenant_scope(tenant), pytest.raises(RuntimeError):
            publish.publication_publish(publication_id=publication.pk)
    monkeypatch.undo()
    assert {reload(p).state for p in publications} == {S.PUBLISHING}
    assert len(app_posts(sb)) == 100
    time.sleep(0.01)
    swept = dispatch.publications_sweep()
    assert swept["reconcile"] == 100
    drain()
    final = [reload(p) for p in publications]
    assert {p.state for p in final} == {S.PUBLISHED}
    posts = app_posts(sb)
    assert len(sb.requests_log(path="/*/feed", method="POST")) == 100  # no second call
    assert sorted(p.remote_id for p in final) == sorted(p["id"] for p in posts)


def test_an_instagram_media_publish_that_timed_out_after_success_is_found_not_redone(
    sb, tenant, accounts, settings
):
    _page, ig = accounts
    settings.PUBLISH_RECONCILE_DELAY_SECONDS = 2
    sb.add_fault(route="/*/media_publish", method="POST", kind="timeout", seconds=2, count=1)
    [asset] = photos(tenant, 1)
    [publication] = create(tenant, [ig], text="Slow Instagram", asset_ids=[asset.pk]).publications
    drain()
    assert reload(publication).state == S.NEEDS_RECONCILE
    time.sleep(2.5)
    dispatch.publications_sweep()
    publication = reload(publication)
    assert publication.state == S.PUBLISHED
    [media] = sb.control("GET", "ig-media")
    assert media["id"] == publication.remote_id and media["caption"] == "Slow Instagram"
    assert len(sb.requests_log(path="/*/media_publish", method="POST")) == 1


@pytest.mark.parametrize(
    "subcode,state,words",
    [(2207026, S.FAILED, "video format"), (2207001, S.SCHEDULED, "temporary problem")],
)
def test_an_instagram_container_in_error_fails_or_retries_by_its_subcode(
    sb, tenant, accounts, monkeypatch, subcode, state, words
):
    from posting import publish

    _page, ig = accounts
    sb.control("POST", "limits", json={"container_processing_seconds": 60})
    polls = []
    monkeypatch.setattr("posting.tasks.publication_poll.apply_async", lambda **kw: polls.append(kw))
    [asset] = photos(tenant, 1)
    [publication] = create(tenant, [ig], text="Error", asset_ids=[asset.pk]).publications
    drain()
    assert polls and polls[0]["countdown"] <= 60
    container = reload(publication).ig_container_id
    sb.control("POST", f"containers/{container}", json={"status": "ERROR", "subcode": subcode})
    with tenant_scope(tenant):
        publish.publication_poll(publication_id=publication.pk)
    publication = reload(publication)
    assert publication.state == state and words in publication.last_error
    assert not sb.requests_log(path="/*/media_publish")
