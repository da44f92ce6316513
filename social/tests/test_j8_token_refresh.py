"""RELIABILITY J8: 10 concurrent refreshes of one token → 1 upstream call, the newest token kept.

Real PostgreSQL (each thread its own connection, nothing wrapped in a test transaction), the
refresh task's own path (`social.user_token_refresh`, run in each thread) and the Graph sandbox
over HTTP, whose request log counts the `oauth/access_token` exchanges. docs/reliability.md §4."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from posting.tests.factories import make_page
from social import tasks
from social.models import SocialAccount, TokenCheck
from tenants.scoping import scopes_disabled

pytestmark = pytest.mark.django_db(transaction=True)
MARIA = "10160000000000001"
PAGES = ["104512398765001", "104512398765002"]
SCOPES = ["pages_manage_posts", "pages_read_engagement", "business_management"]
THREADS = 10


def connect_pages(sb, tenant, page_ids: list[str]) -> str:
    """Pages picked in one Facebook login: each row holds a copy of the same user token, 3 days
    from its end (inside the refresh window)."""
    user_token = sb.mint_token(MARIA, SCOPES)["token"]
    for pid in page_ids:
        make_page(
            tenant,
            external_id=pid,
            token=sb.mint_token(MARIA, SCOPES, page_id=pid)["token"],
            user_token=user_token,
            user_token_expires_at=timezone.now() + timedelta(days=3),
            facebook_user_id=MARIA,
        )
    return user_token


def refresh_concurrently(tenant, account_ids: list[str]) -> tuple[list[bool], list[BaseException]]:
    """THREADS refresh tasks started at the same instant, round-robin over ``account_ids``."""
    start = threading.Barrier(THREADS, timeout=30)
    results: list[bool] = []
    errors: list[BaseException] = []

    def run(account_id: str) -> None:
        try:
            start.wait()
            result = tasks.user_token_refresh.apply(
                kwargs={"tenant_id": tenant.pk, "account_id": account_id}, throw=True
            )
            results.append(result.get(timeout=30))
        except BaseException as exc:  # every failure is reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(account_ids[i % len(account_ids)],))
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a refresh thread did not finish in 60 s"
    return results, errors


def user_tokens(sb) -> set[str]:
    return {t["token"] for t in sb.control("GET", "tokens") if t["kind"] == "user"}


def stored(tenant) -> list[SocialAccount]:
    with scopes_disabled():
        return list(SocialAccount.objects.filter(tenant=tenant).order_by("external_id"))


@pytest.mark.parametrize("pages", [1, 2], ids=["one page", "two pages of one login"])
def test_j8_ten_concurrent_refreshes_make_one_exchange_and_keep_the_newest_token(sb, tenant, pages):
    """J8: 10 threads refresh the same user token at once (one page, or two pages that share
    the login's token): exactly 1 exchange reaches Facebook, every row holding that token ends
    with the exchange's (newest) token and its ~60-day expiry, no thread fails."""
    old = connect_pages(sb, tenant, PAGES[:pages])
    ids = [str(a.pk) for a in stored(tenant)]
    before = user_tokens(sb)

    results, errors = refresh_concurrently(tenant, ids)

    assert errors == []
    exchanges = sb.requests_log(path="/oauth/access_token", method="POST")
    assert len(exchanges) == 1
    assert sorted(results) == [False] * (THREADS - 1) + [True]
    [newest] = user_tokens(sb) - before  # the one exchange's answer
    assert newest != old
    for account in stored(tenant):
        assert account.user_token == newest
        assert account.user_token_expires_at > timezone.now() + timedelta(days=59)
    with scopes_disabled():
        refreshed = TokenCheck.objects.filter(result=TokenCheck.Result.REFRESHED)
        assert sorted(str(c.account_id) for c in refreshed) == sorted(ids)


def test_a_refresh_renews_every_page_of_the_login_holding_that_token_and_only_those(sb, tenant):
    """The rows are renewed whichever of them the refresh started from (the lowest id first, so
    the row that started it is updated before the others are compared), and a page of the same
    person connected through another login (another token) keeps its own."""
    old = connect_pages(sb, tenant, PAGES)
    other_login = make_page(
        tenant,
        external_id="104512398765003",
        user_token=sb.mint_token(MARIA, SCOPES)["token"],
        user_token_expires_at=timezone.now() + timedelta(days=30),
        facebook_user_id=MARIA,
    )
    first, second = sorted(stored(tenant)[:2], key=lambda a: a.pk)
    assert tasks.user_token_refresh.apply(
        kwargs={"tenant_id": tenant.pk, "account_id": str(first.pk)}
    ).get()
    with scopes_disabled():
        first, second, other = (
            SocialAccount.objects.get(pk=a.pk) for a in (first, second, other_login)
        )
    assert first.user_token == second.user_token != old
    assert second.user_token_expires_at == first.user_token_expires_at
    assert other.user_token == other_login.user_token
    assert len(sb.requests_log(path="/oauth/access_token", method="POST")) == 1
