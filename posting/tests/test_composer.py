"""The composer, its partials (drafts, suggestions, preview), the posts list, a post's page and
the calendar, through the real middleware."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from assets.tests.factories import make_asset
from posting.models import Post, Publication
from posting.tests.factories import make_instagram, make_page
from social.models import SocialAccount
from tenants.scoping import scopes_disabled

S = Publication.State
SOON = (datetime.now() + timedelta(days=10)).strftime("%Y-%m-%d")
LATER = (datetime.now() + timedelta(days=11)).strftime("%Y-%m-%d")


@pytest.fixture
def accounts(tenant):
    page = make_page(tenant, name="Trattoria Alba")
    ig = make_instagram(tenant, page=page, name="trattoria.alba")
    return page, ig


def _url(tenant, name, *args):
    return reverse(name, args=[tenant.slug, *args])


def _form(targets, **changes):
    data = {
        "accounts": [str(a.pk) for a in targets],
        "text": "Tonight: truffle risotto, €18",
        "action": "draft",
        "form_token": "t-" + str(id(changes)),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _posts(tenant):
    with scopes_disabled():
        return list(Post.objects.filter(tenant=tenant))


def test_the_composer_page_names_the_zone_and_lists_accounts(owner_client, tenant, accounts):
    page, ig = accounts
    with scopes_disabled():
        SocialAccount.objects.filter(pk=ig.pk).update(status="needs_reconnect")
    html = owner_client.get(_url(tenant, "posting:new")).content.decode()
    assert "Europe/Rome" in html and "Trattoria Alba" in html
    assert html.count('name="accounts"') == 2
    assert "Needs reconnecting." in html  # the IG account is shown disabled with the reason
    assert f'value="{page.pk}" checked' in html


def test_a_draft_is_saved_with_its_photos_in_order(owner_client, tenant, accounts):
    a = make_asset(tenant, title="One", width=80, height=80)
    b = make_asset(tenant, title="Two", width=80, height=80)
    response = owner_client.post(
        _url(tenant, "posting:new"), _form(accounts, asset_ids=f"{b.pk},{a.pk}", post_type="event")
    )
    assert response.status_code == 302
    [post] = _posts(tenant)
    with scopes_disabled():
        assert [m.asset_id for m in post.media_items.order_by("position")] == [b.pk, a.pk]
        assert {p.state for p in post.publications.all()} == {S.DRAFT}
    assert post.post_type == "event"


@time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("UTC")), tick=False)
def test_schedule_in_the_restaurants_zone(owner_client, tenant, accounts):
    photo = make_asset(tenant, title="Risotto", width=80, height=80)
    response = owner_client.post(
        _url(tenant, "posting:new"),
        _form(
            accounts, action="schedule", date="2026-12-02", time="19:00", asset_ids=str(photo.pk)
        ),
    )
    assert response.status_code == 302
    [post] = _posts(tenant)
    assert post.scheduled_at == datetime(2026, 12, 2, 18, 0, tzinfo=ZoneInfo("UTC"))  # Rome = UTC+1
    assert post.scheduled_local == "2026-12-02 19:00"


@time_machine.travel(datetime(2026, 3, 20, 12, 0, tzinfo=ZoneInfo("UTC")), tick=False)
def test_a_time_in_the_dst_gap_moves_forward_and_the_user_is_told(owner_client, tenant, accounts):
    response = owner_client.post(
        _url(tenant, "posting:new"),
        _form(accounts[:1], action="schedule", date="2026-03-29", time="02:30"),
        follow=True,
    )
    [post] = _posts(tenant)
    assert post.scheduled_local == "2026-03-29 03:00"
    assert "does not exist" in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "field_text"),
    [
        ({"accounts": None}, "Pick at least one Page or Instagram account."),
        ({"asset_ids": ""}, "Instagram posts need at least one photo"),
        ({"text": "x" * 2201}, "Instagram captions can be at most 2,200 characters"),
        ({"text": " ".join(f"#t{i}" for i in range(31))}, "at most 30 hashtags"),
        ({"action": "schedule", "date": "2020-01-01", "time": "10:00"}, "has already passed"),
        ({"action": "schedule", "date": "", "time": ""}, "Pick the day it should go out."),
        ({"link": "not a url at all"}, "Enter a valid URL."),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_lost(
    owner_client, tenant, accounts, changes, field_text
):
    photo = make_asset(tenant, title="Kept photo", width=80, height=80)
    data = _form(accounts, **{"asset_ids": str(photo.pk), **changes})
    response = owner_client.post(_url(tenant, "posting:new"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert field_text in html
    assert _posts(tenant) == []
    if data.get("asset_ids"):
        assert "Kept photo" in html  # the chosen photo is still there
    if data.get("text"):
        assert data["text"][:50] in html


def test_an_empty_facebook_post_is_refused(owner_client, tenant, accounts):
    response = owner_client.post(_url(tenant, "posting:new"), _form(accounts[:1], text=""))
    assert response.status_code == 400
    assert "Facebook does not take empty posts" in response.content.decode()


def test_another_restaurants_account_or_photo_is_refused(
    owner_client, tenant, other_tenant, accounts
):
    theirs = make_page(other_tenant)
    response = owner_client.post(_url(tenant, "posting:new"), _form([theirs]))
    assert response.status_code == 404
    their_photo = make_asset(other_tenant, title="Theirs")
    response = owner_client.post(
        _url(tenant, "posting:new"), _form(accounts, asset_ids=str(their_photo.pk))
    )
    assert response.status_code == 404
    assert _posts(tenant) == []


def test_a_photo_deleted_meanwhile_is_named_and_the_rest_is_kept(owner_client, tenant, accounts):
    kept = make_asset(tenant, title="Kept", width=80, height=80)
    response = owner_client.post(
        _url(tenant, "posting:new"), _form(accounts, asset_ids=f"{kept.pk},999999")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose photos from your library." in html and "Kept" in html
    assert _posts(tenant) == []


def test_a_photo_still_being_prepared_is_refused(owner_client, tenant, accounts):
    from assets.models import Asset

    photo = make_asset(tenant, title="Wet paint", width=80, height=80)
    with scopes_disabled():
        Asset.objects.filter(pk=photo.pk).update(status=Asset.Status.PROCESSING)
    response = owner_client.post(
        _url(tenant, "posting:new"), _form(accounts, asset_ids=str(photo.pk))
    )
    assert "still being prepared" in response.content.decode()
    assert _posts(tenant) == []


def test_a_double_click_on_publish_now_makes_one_post(owner_client, tenant, accounts):
    data = _form(accounts[:1], action="publish_now", form_token="same-token")
    first = owner_client.post(_url(tenant, "posting:new"), data)
    second = owner_client.post(_url(tenant, "posting:new"), data)
    assert first.status_code == second.status_code == 302
    assert len(_posts(tenant)) == 1
    assert second.url == first.url


def test_a_failed_submit_frees_its_token_for_the_corrected_one(owner_client, tenant, accounts):
    bad = _form(accounts[:1], text="", form_token="tok")
    assert owner_client.post(_url(tenant, "posting:new"), bad).status_code == 400
    good = _form(accounts[:1], text="Fixed", form_token="tok")
    assert owner_client.post(_url(tenant, "posting:new"), good).status_code == 302
    assert len(_posts(tenant)) == 1


def test_hostile_text_is_escaped_everywhere(owner_client, tenant, accounts):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    owner_client.post(_url(tenant, "posting:new"), _form(accounts[:1], text=evil))
    [post] = _posts(tenant)
    for url in (_url(tenant, "posting:detail", post.pk), _url(tenant, "posting:history")):
        html = owner_client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    preview = owner_client.post(
        _url(tenant, "posting:preview"), {"accounts": [str(accounts[0].pk)], "text": evil}
    ).content.decode()
    assert "<script>alert(1)" not in preview


def test_drafts_partial_uses_the_offline_writer_without_a_key(owner_client, tenant, settings):
    settings.OPENAI_API_KEY = ""
    html = owner_client.post(
        _url(tenant, "posting:drafts"),
        {"post_type": "daily_special", "notes": "<b>truffle</b> risotto tonight"},
    ).content.decode()
    assert html.count("data-use-draft") == 3
    assert "built-in writer" in html and "<b>truffle" not in html


def test_drafts_over_the_daily_limit_say_so_and_offer_the_offline_writer(
    owner_client, tenant, settings, openai_sandbox
):
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = (
        openai_sandbox.api_key,
        openai_sandbox.base_url,
    )
    settings.AI_DAILY_LIMIT = 0
    html = owner_client.post(
        _url(tenant, "posting:drafts"), {"post_type": "event", "notes": "Jazz night"}
    ).content.decode()
    assert "used today&#x27;s 0 AI drafts" in html or "used today's 0 AI drafts" in html
    assert html.count("data-use-draft") == 3
    assert openai_sandbox.requests == []


def test_drafts_with_an_unknown_type_get_a_sentence(owner_client, tenant):
    html = owner_client.post(_url(tenant, "posting:drafts"), {"notes": "x"}).content.decode()
    assert "Choose what kind of post this is." in html


def test_suggestions_partial_lists_photos_with_reasons(owner_client, tenant):
    make_asset(tenant, title="Risotto", width=80, height=80)
    html = owner_client.get(
        _url(tenant, "posting:suggestions"), {"post_type": "daily_special", "notes": "risotto"}
    ).content.decode()
    assert "data-attach" in html and "title mentions risotto" in html


def test_the_instagram_preview_shows_the_instagram_rendition(owner_client, tenant, accounts):
    photo = make_asset(tenant, title="Tall", width=400, height=800)  # cropped to 4:5
    html = owner_client.post(
        _url(tenant, "posting:preview"),
        {"accounts": [str(a.pk) for a in accounts], "text": "Hi", "asset_ids": str(photo.pk)},
    ).content.decode()
    assert f"/a/{photo.pk}/file/instagram/?v=" in html
    assert 'height="1350"' in html  # 1080 wide at 4:5
    assert "Facebook preview for Trattoria Alba" in html and "Instagram preview" in html


def test_the_carousel_preview_has_dots(owner_client, tenant, accounts):
    ids = ",".join(str(make_asset(tenant, title=f"P{i}", width=80, height=80).pk) for i in range(3))
    html = owner_client.post(
        _url(tenant, "posting:preview"), {"accounts": [str(accounts[1].pk)], "asset_ids": ids}
    ).content.decode()
    assert html.count('class="dot') == 3 and "1/3" in html
    # Said in words to a screen reader; the dots themselves are hidden from it (an aria-label
    # on a <p> is not allowed: axe's serious aria-prohibited-attr).
    assert '<span class="sr-only">Carousel of 3 photos</span>' in html
    assert html.count('aria-hidden="true"></span>') >= 3
    assert 'class="pv-dots" aria-label' not in html


def test_edit_a_scheduled_post_and_refuse_once_it_is_claimed(owner_client, tenant, accounts):
    owner_client.post(
        _url(tenant, "posting:new"),
        _form(accounts[:1], action="schedule", date=SOON, time="12:00"),
    )
    [post] = _posts(tenant)
    edit = _url(tenant, "posting:edit", post.pk)
    assert "Trattoria Alba" in owner_client.get(edit).content.decode()
    response = owner_client.post(
        edit,
        _form(accounts[:1], text="New words", action="schedule", date=LATER, time="13:00"),
    )
    assert response.status_code == 302
    with scopes_disabled():
        post.refresh_from_db()
        assert post.text == "New words" and post.scheduled_local == f"{LATER} 13:00"
        Publication.objects.filter(post=post).update(state=S.PUBLISHING)
    response = owner_client.get(edit, follow=True)
    assert "can no longer be changed" in response.content.decode()


def _bulk_posts(tenant, account, n, *, when, tag):
    """n scheduled posts with one publication each, made in bulk (the pages under test only
    read them)."""
    with scopes_disabled():
        posts = Post.objects.bulk_create(
            [
                Post(tenant=tenant, text=f"{tag} {i}", scheduled_at=when + timedelta(minutes=i))
                for i in range(n)
            ]
        )
        Publication.objects.bulk_create(
            [
                Publication(
                    tenant=tenant,
                    post=post,
                    account=account,
                    network="facebook",
                    shape="fb_text",
                    state=S.SCHEDULED,
                    next_attempt_at=post.scheduled_at,
                )
                for post in posts
            ]
        )


def _queries(client, url, params=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_history_makes_the_same_queries_for_10_and_500_posts(owner_client, tenant, accounts):
    url = _url(tenant, "posting:history")
    when = datetime.now(tz=ZoneInfo("UTC")) + timedelta(days=3)
    _bulk_posts(tenant, accounts[0], 10, when=when, tag="Small")
    small, _ = _queries(owner_client, url)
    _bulk_posts(tenant, accounts[0], 490, when=when, tag="Large")
    large, html = _queries(owner_client, url)
    assert large == small
    assert "Page 1 of 25" in html


def test_history_filters(owner_client, tenant, accounts):
    for i in range(3):
        owner_client.post(
            _url(tenant, "posting:new"), _form(accounts[:1], text=f"Post {i}", form_token=f"f{i}")
        )
    url = _url(tenant, "posting:history")
    html = owner_client.get(url, {"q": "Post 2"}).content.decode()
    assert "Post 2" in html and "Post 1<" not in html
    html = owner_client.get(url, {"state": "draft", "network": "facebook"}).content.decode()
    assert "Post 0" in html
    html = owner_client.get(url, {"state": "published"}).content.decode()
    assert "No post matches these filters." in html and "Clear filters" in html
    _bulk_posts(tenant, accounts[1], 1, when=datetime.now(tz=ZoneInfo("UTC")), tag="Elsewhere")
    html = owner_client.get(url, {"account": str(accounts[1].pk)}).content.decode()
    assert "Elsewhere 0" in html and "Post 0" not in html
    assert f'<option value="{accounts[1].pk}" selected>{accounts[1].name}</option>' in html


def test_publication_actions(owner_client, tenant, accounts):
    owner_client.post(
        _url(tenant, "posting:new"),
        _form(accounts[:1], action="schedule", date=SOON, time="12:00"),
    )
    [post] = _posts(tenant)
    with scopes_disabled():
        [publication] = post.publications.all()
    owner_client.post(_url(tenant, "posting:publication_action", publication.pk, "cancel"))
    with scopes_disabled():
        publication.refresh_from_db()
    assert publication.state == S.CANCELLED
    response = owner_client.post(
        _url(tenant, "posting:publication_action", publication.pk, "dance"), follow=True
    )
    assert "not something a post can do" in response.content.decode()


@time_machine.travel(datetime(2026, 10, 20, 12, 0, tzinfo=ZoneInfo("UTC")), tick=False)
def test_calendar_month_in_the_zone_and_move(owner_client, tenant, accounts):
    owner_client.post(
        _url(tenant, "posting:new"),
        _form(accounts[:1], action="schedule", date="2026-10-25", time="02:30"),  # repeated hour
    )
    [post] = _posts(tenant)
    html = owner_client.get(_url(tenant, "calendar:month"), {"month": "2026-10"}).content.decode()
    assert "October 2026" in html and "02:30" in html and f'data-post-id="{post.pk}"' in html
    detail = _url(tenant, "posting:detail", post.pk)
    grid, agenda = html.split('id="agenda-title"')
    assert f'<a class="chip state-scheduled" href="{detail}" draggable="true"' in grid
    assert '<span class="sr-only">, Scheduled</span>' in grid
    assert (
        f'<a class="chip state-scheduled" href="{detail}"><span class="chip-time">02:30' in agenda
    )
    assert '<svg class="net net-facebook" width="12" height="12" role="img"' in agenda
    assert '<use href="#net-facebook"></use>' in agenda
    assert html.count('<symbol id="net-facebook"') == 1  # drawn once, in the layout
    response = owner_client.post(
        _url(tenant, "calendar:move"),
        {"post_id": post.pk, "date": "2026-10-27"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["ok"] is True
    with scopes_disabled():
        post.refresh_from_db()
    assert post.scheduled_local == "2026-10-27 02:30"
    bad = owner_client.post(
        _url(tenant, "calendar:move"),
        {"post_id": post.pk, "date": "2020-01-01"},
        HTTP_ACCEPT="application/json",
    )
    assert bad.status_code == 400 and "already passed" in bad.json()["message"]
    owner_client.post(
        _url(tenant, "posting:new"),
        _form(
            accounts[:1], action="schedule", date="2026-10-28", time="19:00", text="Fish & <chips>"
        ),
    )
    html = owner_client.get(_url(tenant, "calendar:month"), {"month": "2026-10"}).content.decode()
    assert html.count("Fish &amp; &lt;chips&gt;") == 2 and "<chips>" not in html  # grid, agenda


def test_calendar_makes_the_same_queries_for_10_and_500_posts(owner_client, tenant, accounts):
    url = _url(tenant, "calendar:month")
    when = (datetime.now(tz=ZoneInfo("UTC")) + timedelta(days=40)).replace(hour=9, minute=0)
    month = when.astimezone(tenant.tzinfo).strftime("%Y-%m")
    _bulk_posts(tenant, accounts[0], 10, when=when, tag="Small")
    small, _ = _queries(owner_client, url, {"month": month})
    _bulk_posts(tenant, accounts[0], 490, when=when + timedelta(days=1), tag="Large")
    large, html = _queries(owner_client, url, {"month": month})
    assert large == small
    assert html.count('class="chip state-scheduled"') >= 500


def test_dashboard_shows_upcoming_and_nudges(owner_client, tenant, accounts):
    html = owner_client.get(reverse("tenants:dashboard", args=[tenant.slug])).content.decode()
    assert "Nothing is scheduled for the next 7 days." in html
    owner_client.post(
        _url(tenant, "posting:new"),
        _form(
            accounts[:1],
            action="schedule",
            date=(datetime.now() + timedelta(days=2)).strftime("%Y-%m-%d"),
            time="12:00",
            text="Soon",
        ),
    )
    html = owner_client.get(reverse("tenants:dashboard", args=[tenant.slug])).content.decode()
    assert "Soon" in html and "Nothing is scheduled" not in html


def test_staff_members_compose_too(staff_client, tenant, accounts):
    response = staff_client.post(_url(tenant, "posting:new"), _form(accounts[:1]))
    assert response.status_code == 302


def test_held_posts_are_grouped_with_the_reconnect_link(owner_client, tenant, accounts):
    owner_client.post(
        _url(tenant, "posting:new"),
        _form(accounts[:1], action="schedule", date=SOON, time="12:00", text="Held one"),
    )
    with scopes_disabled():
        SocialAccount.objects.filter(pk=accounts[0].pk).update(status="needs_reconnect")
        Publication.objects.filter(tenant=tenant).update(state=S.HELD)
    html = owner_client.get(_url(tenant, "posting:history")).content.decode()
    assert "On hold: Trattoria Alba needs reconnecting" in html
    assert "Reconnect Trattoria Alba" in html and "Held one" in html


def test_suggestions_rank_photos_that_did_well_first(owner_client, tenant):
    from analytics.models import AssetScore

    plain = make_asset(tenant, title="Plain", width=80, height=80)
    star = make_asset(tenant, title="Star", width=80, height=80)
    with scopes_disabled():
        AssetScore.objects.create(
            tenant=tenant, asset=star, score=1.0, engagement_per_post=40, posts=2
        )
    html = owner_client.get(
        _url(tenant, "posting:suggestions"), {"post_type": "daily_special"}
    ).content.decode()
    assert html.index(f'data-attach="{star.pk}"') < html.index(f'data-attach="{plain.pk}"')
    assert "did well before" in html


def test_edit_and_retry_a_failed_post(owner_client, tenant, accounts):
    owner_client.post(
        _url(tenant, "posting:new"),
        _form(accounts[:1], action="schedule", date=SOON, time="12:00", text="Tpyo"),
    )
    [post] = _posts(tenant)
    with scopes_disabled():
        Publication.objects.filter(post=post).update(
            state=S.FAILED, last_error="Facebook refused the link.", last_error_code=100
        )
    history = owner_client.get(_url(tenant, "posting:history")).content.decode()
    assert "Edit and retry" in history and "Facebook refused the link." in history
    response = owner_client.post(
        _url(tenant, "posting:edit", post.pk),
        _form(accounts[:1], text="Typo fixed", action="schedule", date=LATER, time="12:00"),
    )
    assert response.status_code == 302
    with scopes_disabled():
        [publication] = Publication.objects.filter(post=post)
        post.refresh_from_db()
    assert post.text == "Typo fixed"
    assert publication.state == S.SCHEDULED
    assert (publication.last_error, publication.last_error_code) == ("", None)


def test_a_form_token_that_is_not_ours_is_ignored_not_used_as_a_cache_key(
    owner_client, tenant, accounts, recwarn
):
    """It becomes part of a cache key (memcached refuses spaces and control characters): text
    that is not a token is dropped before the cache sees it. The form then judges the rest."""
    statuses = {}
    for token in ("a\x00b", "x" * 65, "spaced token", "ümlaut-token"):
        response = owner_client.post(
            _url(tenant, "posting:new"),
            _form(accounts[:1], text=f"Token {token[:6]!r}", form_token=token),
        )
        statuses[token[:6]] = response.status_code
    assert statuses == {"a\x00b": 400, "xxxxxx": 400, "spaced": 302, "ümlaut": 302}
    assert [str(w.message) for w in recwarn if "Cache key" in str(w.message)] == []
    with scopes_disabled():
        assert Post.objects.filter(tenant=tenant, text__startswith="Token ").count() == 2
