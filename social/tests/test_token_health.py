"""Token checks, emails, banner, refresh, purge, disconnect, reconnect, Facebook callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from social import tasks
from social.models import (
    DataDeletionRequest,
    OAuthState,
    PendingConnection,
    SocialAccount,
    TokenCheck,
)
from social.services import oauth
from tenants.scoping import scopes_disabled


@pytest.fixture
def connected(flow, tenant):
    flow.connect(
        pages=["Trattoria da Maria", "Pizzeria Bella Napoli"],
        pick=["Trattoria da Maria", "Pizzeria Bella Napoli"],
    )
    with scopes_disabled():
        return {a.name + ":" + a.kind: a for a in SocialAccount.objects.filter(tenant=tenant)}


def reload(account):
    with scopes_disabled():
        return SocialAccount.objects.get(pk=account.pk)


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    """Emails go out on commit; run those callbacks as the test's checks finish."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def run_check(account, trigger="scheduled"):
    with _capture(execute=True):
        return tasks.account_check.apply(
            kwargs={
                "tenant_id": account.tenant_id,
                "account_id": str(account.pk),
                "trigger": trigger,
            }
        ).get()


def test_a_token_revoked_at_facebook_is_detected_by_the_next_check(
    connected, sb, tenant, owner, flow
):
    page = connected["Trattoria da Maria:facebook_page"]
    sb.revoke_token(page.page_token, subcode=460)
    assert run_check(page) == "broken"
    page, ig = reload(page), reload(connected["Trattoria da Maria:instagram"])
    assert page.status == ig.status == "needs_reconnect"
    assert "password" in page.last_error and page.last_error_code == "190/460"
    assert reload(connected["Pizzeria Bella Napoli:facebook_page"]).status == "active"
    # owners emailed once, with a one-click reconnect link
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.email]
    link = f"http://testserver{reverse('social:reconnect', args=[tenant.slug, page.pk])}"
    assert link in mail.outbox[0].body and "@trattoriadamaria" in mail.outbox[0].body
    run_check(page)
    assert len(mail.outbox) == 1  # not again the next day
    # the banner in the portal
    banner = flow.client.get(reverse("social:accounts", args=[tenant.slug])).content.decode()
    assert "needs reconnecting" in banner
    with scopes_disabled():
        check = TokenCheck.objects.filter(account=page, trigger="scheduled").first()
    assert check.status_before == "needs_reconnect" and check.result == "broken"


def test_the_one_click_reconnect_link_restores_a_broken_account(connected, sb, tenant, flow, owner):
    page = connected["Trattoria da Maria:facebook_page"]
    sb.revoke_token(page.page_token)
    run_check(page)
    response = flow.client.get(reverse("social:reconnect", args=[tenant.slug, page.pk]))
    location = sb.approve_login(response["Location"], pages=["Trattoria da Maria"])
    done = flow.callback(location)
    assert done["Location"] == reverse("social:accounts", args=[tenant.slug])
    page = reload(page)
    assert page.status == "active" and page.broken_notified_at is None
    assert page.connected_by == owner  # who reconnected it
    assert reload(connected["Trattoria da Maria:instagram"]).status == "active"
    assert run_check(page) == "ok"


def test_a_one_click_reconnect_that_facebook_refuses_keeps_the_picker_and_logs_why(
    connected, sb, tenant, flow, caplog
):
    caplog.set_level("INFO", logger="social.services.oauth")
    page = connected["Trattoria da Maria:facebook_page"]
    sb.revoke_token(page.page_token)
    run_check(page)
    response = flow.client.get(reverse("social:reconnect", args=[tenant.slug, page.pk]))
    location = sb.approve_login(response["Location"], pages=["Trattoria da Maria"])
    sb.add_fault(route="/*/subscribed_apps", code=4, count=1)
    done = flow.callback(location)
    assert "/pick/" in done["Location"]  # the login is kept: trying again needs no new one
    picker = flow.client.get(done["Location"])
    shown = [(m.level_tag, str(m)) for m in picker.context["messages"]]
    # (The first is the earlier connection's "Connected: …", not shown since.)
    assert shown[-1][0] == "error" and "Facebook is busy right now" in shown[-1][1]
    assert reload(page).status == "needs_reconnect"
    assert [r.getMessage() for r in caplog.records if r.name == "social.services.oauth"] == [
        "facebook connect ended without a connection: retry"
    ]


def test_a_reconnect_with_a_facebook_user_who_lacks_the_page_falls_back_to_the_picker(
    connected, sb, tenant, flow
):
    page = connected["Trattoria da Maria:facebook_page"]
    response = flow.client.post(reverse("social:reconnect", args=[tenant.slug, page.pk]))
    location = sb.approve_login(response["Location"], user="Tom Baker")
    done = flow.callback(location)
    assert "/pick/" in done["Location"]
    picker = flow.client.get(done["Location"])
    assert [(m.level_tag, str(m)) for m in picker.context["messages"]][-1] == (
        "warning",
        "The Facebook account you used does not manage Trattoria da Maria. Pick the pages it "
        "does manage, or go back and log in to Facebook as the page's admin.",
    )


def test_an_expiring_data_access_warns_once_ahead_of_time(connected, sb):
    page = connected["Pizzeria Bella Napoli:facebook_page"]
    later = timezone.now() + timedelta(days=85)  # Facebook grants data access for 90 days
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert run_check(page) == "expiring"
        assert reload(page).status == "expiring"
        assert len(mail.outbox) == 1 and "expires soon" in mail.outbox[0].subject
        run_check(page)
    assert len(mail.outbox) == 1


def test_a_transient_error_during_a_check_is_retried_not_marked_broken(connected, sb):
    page = connected["Pizzeria Bella Napoli:facebook_page"]
    sb.add_fault(route="/debug_token", code=2, http_status=500, count=1)
    with (
        mock.patch.object(
            tasks.account_check, "retry", side_effect=RuntimeError("retried")
        ) as retry,
        pytest.raises(RuntimeError, match="retried"),
    ):
        run_check(page)
    assert retry.call_args.kwargs["countdown"] > 0
    assert reload(page).status == "active"


def test_a_rate_limit_during_a_check_retries_after_facebooks_estimate(connected, sb):
    page = connected["Pizzeria Bella Napoli:facebook_page"]
    buc = {
        "x": [
            {
                "type": "pages",
                "call_count": 101,
                "total_cputime": 1,
                "total_time": 1,
                "estimated_time_to_regain_access": 9,
            }
        ]
    }
    sb.add_fault(
        route="/debug_token",
        code=80001,
        count=1,
        headers={"X-Business-Use-Case-Usage": json.dumps(buc)},
    )
    with (
        mock.patch.object(
            tasks.account_check, "retry", side_effect=RuntimeError("retried")
        ) as retry,
        pytest.raises(RuntimeError),
    ):
        run_check(page)
    assert retry.call_args.kwargs["countdown"] == 9 * 60


def test_the_daily_check_spreads_checks_within_the_window_and_passes_only_ids(connected, settings):
    sent = []
    with mock.patch.object(
        tasks.account_check, "apply_async", side_effect=lambda **kw: sent.append(kw)
    ):
        count = tasks.accounts_check()
    assert count == 2  # the two pages; the Instagram account is checked with its page
    countdowns = [s["countdown"] for s in sent]
    assert (
        countdowns == sorted(countdowns)
        and max(countdowns) < settings.SOCIAL_TOKEN_CHECK_WINDOW_SECONDS < 3600
    )
    assert all(set(s["kwargs"]) == {"tenant_id", "account_id"} for s in sent)


def test_the_beat_schedule_exists_in_the_database(db):
    from django_celery_beat.models import PeriodicTask

    names = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "social.accounts_check",
        "social.user_tokens_refresh",
        "social.oauth_states_purge",
    } <= names


def test_a_long_lived_user_token_near_its_end_is_renewed(connected, sb):
    page = connected["Pizzeria Bella Napoli:facebook_page"]
    old = page.user_token
    with scopes_disabled():
        page.user_token_expires_at = timezone.now() + timedelta(days=3)
        page.save()
    assert (
        tasks.user_token_refresh.apply(
            kwargs={"tenant_id": page.tenant_id, "account_id": str(page.pk)}
        ).get()
        is True
    )
    page = reload(page)
    assert page.user_token != old and page.user_token_expires_at > timezone.now() + timedelta(
        days=50
    )


def test_a_user_token_far_from_its_end_is_left_alone(connected, sb):
    page = connected["Pizzeria Bella Napoli:facebook_page"]
    assert (
        tasks.user_token_refresh.apply(
            kwargs={"tenant_id": page.tenant_id, "account_id": str(page.pk)}
        ).get()
        is False
    )


def test_expired_oauth_states_are_purged(owner, tenant):
    from django.contrib.sessions.backends.db import SessionStore

    oauth.oauth_start(tenant=tenant, user=owner, session=SessionStore())
    oauth.oauth_start(tenant=tenant, user=owner, session=SessionStore())
    with scopes_disabled():
        OAuthState.objects.filter(pk=OAuthState.objects.first().pk).update(
            created_at=timezone.now() - timedelta(minutes=11)
        )
    assert tasks.oauth_states_purge() == 1
    with scopes_disabled():
        assert OAuthState.objects.count() == 1


def test_disconnect_unsubscribes_revokes_at_facebook_deletes_tokens_and_keeps_history(
    connected, sb, tenant, flow
):
    trattoria = connected["Trattoria da Maria:facebook_page"]
    flow.client.post(reverse("social:disconnect", args=[tenant.slug, trattoria.pk]))
    page, ig = reload(trattoria), reload(connected["Trattoria da Maria:instagram"])
    assert page.status == ig.status == "revoked"
    assert page.page_token == "" and page.user_token == "" and page.disconnected_at
    assert sb.requests_log(path="/*/subscribed_apps", method="DELETE")
    # Pizzeria still uses the same Facebook login, so the app is not removed from it yet
    assert not sb.requests_log(path="/me/permissions", method="DELETE")
    with scopes_disabled():
        assert TokenCheck.objects.filter(account=page).count() >= 2
    pizzeria = connected["Pizzeria Bella Napoli:facebook_page"]
    flow.client.post(reverse("social:disconnect", args=[tenant.slug, pizzeria.pk]))
    assert sb.requests_log(path="/me/permissions", method="DELETE")
    html = flow.client.get(reverse("social:accounts", args=[tenant.slug])).content.decode()
    assert "Disconnected" in html and "Trattoria da Maria" in html


def _signed(payload, secret):
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    sig = (
        base64.urlsafe_b64encode(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    return f"{sig}.{body}"


def test_the_deauthorize_callback_revokes_that_persons_connections(connected, sb, client):
    page = connected["Trattoria da Maria:facebook_page"]
    signed = _signed(
        {
            "algorithm": "HMAC-SHA256",
            "issued_at": int(time.time()),
            "user_id": page.facebook_user_id,
        },
        sb.app_secret,
    )
    response = client.post("/facebook/deauthorize", {"signed_request": signed})
    assert response.status_code == 200
    assert {reload(a).status for a in connected.values()} == {"revoked"}
    assert reload(page).page_token == ""


def test_a_forged_deauthorize_callback_changes_nothing(connected, client):
    page = connected["Trattoria da Maria:facebook_page"]
    signed = _signed(
        {"algorithm": "HMAC-SHA256", "user_id": page.facebook_user_id}, "not-the-secret"
    )
    assert client.post("/facebook/deauthorize", {"signed_request": signed}).status_code == 400
    assert reload(page).status == "active"


def test_the_data_deletion_callback_forgets_the_person_and_returns_a_status_url(
    connected, sb, client
):
    page = connected["Trattoria da Maria:facebook_page"]
    fb_user = page.facebook_user_id
    signed = _signed(
        {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": fb_user},
        sb.app_secret,
    )
    response = client.post("/facebook/data-deletion", {"signed_request": signed})
    body = response.json()
    assert set(body) == {"url", "confirmation_code"}
    assert body["url"] == f"http://testserver/facebook/data-deletion/{body['confirmation_code']}/"
    with scopes_disabled():
        assert not SocialAccount.objects.filter(facebook_user_id=fb_user).count()
    assert reload(page).user_token == "" and reload(page).status == "revoked"
    status = client.get(f"/facebook/data-deletion/{body['confirmation_code']}/")
    assert status.status_code == 200 and b"Completed" in status.content
    assert DataDeletionRequest.objects.get().facebook_user_hash != fb_user
    assert client.get("/facebook/data-deletion/nope/").status_code == 404
    assert client.post("/facebook/data-deletion", {"signed_request": "x.y"}).status_code == 400


def test_the_sandbox_deauthorize_trigger_reaches_our_endpoint(
    live_server, graph_sandbox_factory, owner, tenant, settings
):
    """Over real HTTP: the sandbox signs and POSTs the callback itself."""
    sb = graph_sandbox_factory(
        deauthorize_url=f"{live_server.url}/facebook/deauthorize",
        redirect_uris=[f"{live_server.url}/social/facebook/callback/"],
    )
    settings.FACEBOOK_APP_SECRET = sb.app_secret
    maria = sb.user_by_name("Maria Rossi")["id"]
    with scopes_disabled():
        account = SocialAccount.objects.create(
            tenant=tenant,
            kind="facebook_page",
            external_id="1",
            name="P",
            facebook_user_id=maria,
            page_token="t",
        )
    sb.trigger_deauthorize(maria)
    sb.flush_webhooks()
    assert reload(account).status == "revoked"


def test_checking_now_from_the_accounts_page_reports_the_result(connected, tenant, flow):
    page = connected["Pizzeria Bella Napoli:facebook_page"]
    response = flow.client.post(reverse("social:check", args=[tenant.slug, page.pk]), follow=True)
    html = response.content.decode()
    assert "Checked Pizzeria Bella Napoli: The connection works." in html
    assert "Healthy. Healthy." not in html


def test_pending_connections_belong_to_their_session(flow, sb, tenant, owner):
    from django.test import Client

    location = flow.approve(flow.start(), pages=["Pizzeria Bella Napoli"])
    picker_url = flow.callback(location)["Location"]
    other = Client()
    other.force_login(owner)
    assert other.get(picker_url).status_code == 404
    with scopes_disabled():
        assert PendingConnection.objects.count() == 1
