"""The operators' admin for social accounts: "move to another restaurant", the status filters,
"check tokens now", and no token (plain or encrypted) on any admin page."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from social import tasks
from social.models import OAuthState, SocialAccount, TokenCheck
from tenants.scoping import scopes_disabled
from tenants.testing import make_tenant

CHANGELIST = "admin:social_socialaccount_changelist"
PAGE_TOKEN = "EAAGpagetoken-for-the-admin-tests-0123456789"
USER_TOKEN = "EAAGusertoken-for-the-admin-tests-9876543210"


def make_account(tenant, name, *, external_id, kind=SocialAccount.Kind.FACEBOOK_PAGE, **fields):
    defaults = {
        "page_token": PAGE_TOKEN if kind == SocialAccount.Kind.FACEBOOK_PAGE else "",
        "user_token": USER_TOKEN if kind == SocialAccount.Kind.FACEBOOK_PAGE else "",
    }
    with scopes_disabled():
        return SocialAccount.objects.create(
            tenant=tenant, kind=kind, name=name, external_id=external_id, **{**defaults, **fields}
        )


@pytest.fixture
def page(tenant):
    page = make_account(tenant, "Trattoria Alba", external_id="1001")
    with scopes_disabled():
        TokenCheck.objects.create(
            tenant=tenant, account=page, result=TokenCheck.Result.CONNECTED, detail="Connected."
        )
    return page


@pytest.fixture
def instagram(tenant, page):
    return make_account(
        tenant,
        "trattoria.alba",
        kind=SocialAccount.Kind.INSTAGRAM,
        external_id="1781",
        linked_page=page,
    )


def move(client, accounts, target=None):
    data = {"action": "move_to_tenant", "_selected_action": [str(a.pk) for a in accounts]}
    if target is not None:
        data.update({"apply": "1", "tenant": str(target.pk)})
    return client.post(reverse(CHANGELIST), data)


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def reload(*accounts) -> list[SocialAccount]:
    with scopes_disabled():
        return [SocialAccount.objects.select_related("tenant").get(pk=a.pk) for a in accounts]


def raw_ciphertexts(*accounts) -> list[str]:
    """The stored (encrypted) token columns, as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT page_token, user_token FROM social_socialaccount WHERE id = ANY(%s)",
            [[a.pk for a in accounts]],
        )
        return [value for row in cursor.fetchall() for value in row if value]


# -- move to another restaurant ----------------------------------------------------------------
def test_the_move_confirmation_lists_the_accounts_and_offers_every_restaurant(
    admin_client, page, other_tenant
):
    response = move(admin_client, [page])

    assert response.status_code == 200
    body = response.content.decode()
    assert "Move accounts to another restaurant" in body
    assert "Trattoria Alba" in body and "Bistro Bruno" in body
    assert reload(page)[0].tenant_id == page.tenant_id  # asking moved nothing


def test_an_operator_moves_a_page_and_its_instagram_account_to_another_restaurant(
    admin_client, page, instagram, tenant, other_tenant
):
    response = move(admin_client, [page], target=other_tenant)

    assert response.status_code == 302
    assert flash(response) == [
        "Moved 2 account(s) to Bistro Bruno; its owners must reconnect them."
    ]
    moved_page, moved_ig = reload(page, instagram)
    for account in (moved_page, moved_ig):
        assert account.tenant_id == other_tenant.pk
        assert account.page_token == "" and account.user_token == ""
        assert account.status == SocialAccount.Status.NEEDS_RECONNECT
        assert "reconnect" in account.last_error
    assert moved_ig.linked_page_id == moved_page.pk
    with scopes_disabled():
        # webhook routing: each external id is held by exactly one restaurant, the new one
        for account in (page, instagram):
            held = SocialAccount.objects.filter(
                kind=account.kind,
                external_id=account.external_id,
                status__in=SocialAccount.HOLDING_STATUSES,
            )
            assert list(held.values_list("tenant_id", flat=True)) == [other_tenant.pk]
        # the history moved along, and its newest row records the move
        assert not TokenCheck.objects.filter(tenant=tenant).exists()
        newest = TokenCheck.objects.filter(account=page).order_by("-checked_at", "-pk")
        assert newest.count() == 2
        row = newest.first()
    assert row.tenant_id == other_tenant.pk
    assert row.trigger == "admin"
    assert row.result == TokenCheck.Result.DISCONNECTED
    assert (row.status_before, row.status_after) == ("active", "needs_reconnect")
    assert "Moved from Trattoria Alba to Bistro Bruno by admin" in row.detail


def test_the_moved_page_shows_up_for_its_new_owners_as_needing_a_reconnect(
    admin_client, page, other_tenant, outsider, client
):
    move(admin_client, [page], target=other_tenant)

    client.force_login(outsider)
    response = client.get(reverse("social:accounts", args=[other_tenant.slug]))

    assert response.status_code == 200
    assert [a.pk for a in response.context["holding"]] == [page.pk]
    assert response.context["holding"][0].status == SocialAccount.Status.NEEDS_RECONNECT


def test_a_reconnect_in_flight_in_the_old_restaurant_is_dropped_by_the_move(
    admin_client, page, owner, other_tenant
):
    with scopes_disabled():
        OAuthState.objects.create(
            tenant=page.tenant,
            user=owner,
            state_hash="a" * 64,
            session_binding="b" * 64,
            purpose=OAuthState.Purpose.RECONNECT,
            reconnect_account=page,
        )

    move(admin_client, [page], target=other_tenant)

    with scopes_disabled():
        assert not OAuthState.objects.filter(reconnect_account=page).exists()


def test_moving_onto_a_restaurant_that_already_has_the_page_is_refused_with_a_clear_message(
    admin_client, page, instagram, tenant, other_tenant
):
    make_account(
        other_tenant,
        "Trattoria Alba (old)",
        external_id=page.external_id,
        status=SocialAccount.Status.REVOKED,
        page_token="",
        user_token="",
    )

    response = move(admin_client, [page], target=other_tenant)

    assert response.status_code == 302
    assert flash(response) == [
        "Nothing was moved. Bistro Bruno already has Facebook Page Trattoria Alba (id 1001); "
        "disconnect or delete that one first."
    ]
    kept_page, kept_ig = reload(page, instagram)
    assert kept_page.tenant_id == kept_ig.tenant_id == tenant.pk
    assert kept_page.page_token == PAGE_TOKEN
    assert kept_page.status == SocialAccount.Status.ACTIVE
    with scopes_disabled():
        assert TokenCheck.objects.filter(account=page).count() == 1


def test_moving_a_disconnected_page_that_a_third_restaurant_now_holds_is_refused(
    admin_client, tenant, other_tenant
):
    history = make_account(
        tenant, "Old page", external_id="2002", status=SocialAccount.Status.REVOKED
    )
    make_account(make_tenant("Café Carla", slug="carla"), "Carla's page", external_id="2002")

    response = move(admin_client, [history], target=other_tenant)

    assert flash(response) == [
        "Nothing was moved. Facebook Page Old page (id 2002) is connected in another "
        "restaurant; a Facebook account is held by one at a time."
    ]
    assert reload(history)[0].tenant_id == tenant.pk


def test_moving_an_instagram_account_without_its_page_is_refused(
    admin_client, page, instagram, tenant, other_tenant
):
    response = move(admin_client, [instagram], target=other_tenant)

    assert flash(response) == [
        "Instagram accounts move with their Facebook Page; select the page instead: "
        "trattoria.alba (page: Trattoria Alba)."
    ]
    assert [a.tenant_id for a in reload(page, instagram)] == [tenant.pk, tenant.pk]


def test_moving_an_account_to_its_own_restaurant_is_refused(admin_client, page, tenant):
    response = move(admin_client, [page], target=tenant)

    assert flash(response) == ["Nothing was moved. Trattoria Alba is already in Trattoria Alba."]
    moved = reload(page)[0]
    assert moved.page_token == PAGE_TOKEN and moved.status == SocialAccount.Status.ACTIVE


def test_a_move_without_a_restaurant_asks_again_and_moves_nothing(admin_client, page, tenant):
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "move_to_tenant", "_selected_action": [str(page.pk)], "apply": "1"},
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert reload(page)[0].tenant_id == tenant.pk


def test_no_token_is_displayed_on_the_admin_list_change_or_move_pages(
    admin_client, page, instagram, other_tenant
):
    ciphertexts = raw_ciphertexts(page)
    assert len(ciphertexts) == 2 and PAGE_TOKEN not in ciphertexts[0]  # stored encrypted
    responses = [
        admin_client.get(reverse(CHANGELIST)),
        admin_client.get(reverse(CHANGELIST) + "?status__exact=active"),
        admin_client.get(reverse("admin:social_socialaccount_change", args=[page.pk])),
        admin_client.get(reverse("admin:social_socialaccount_change", args=[instagram.pk])),
        move(admin_client, [page, instagram]),
    ]

    for response in responses:
        assert response.status_code == 200
        body = response.content.decode()
        assert "Trattoria Alba" in body  # the page really is on it
        for secret in (PAGE_TOKEN, USER_TOKEN, *ciphertexts):
            assert secret not in body
        assert 'name="page_token"' not in body and 'name="user_token"' not in body


# -- filters and "check tokens now" ------------------------------------------------------------
@pytest.fixture
def three_statuses(tenant, other_tenant):
    return {
        status: make_account(owner_tenant, f"{status} page", external_id=str(n), status=status)
        for n, (status, owner_tenant) in enumerate(
            [("active", tenant), ("needs_reconnect", other_tenant), ("expiring", tenant)], 3001
        )
    }


@pytest.mark.parametrize("status", ["needs_reconnect", "expiring"])
def test_the_status_filter_shows_only_accounts_in_that_state(admin_client, three_statuses, status):
    everything = admin_client.get(reverse(CHANGELIST))
    response = admin_client.get(reverse(CHANGELIST) + f"?status__exact={status}")

    assert len(everything.context["cl"].result_list) == 3
    assert [a.pk for a in response.context["cl"].result_list] == [three_statuses[status].pk]
    body = response.content.decode()
    assert "Needs reconnecting" in body and "Expiring soon" in body  # offered as filters


def test_check_tokens_now_enqueues_one_check_per_account_with_ids_only(
    admin_client, three_statuses
):
    sent: list[tuple] = []

    def record(*args, **kwargs):
        sent.append((args, kwargs))

    chosen = [three_statuses["active"], three_statuses["needs_reconnect"]]
    with (
        mock.patch.object(tasks.account_check, "apply_async", side_effect=record),
        mock.patch.object(tasks.account_check, "delay", side_effect=record),
    ):
        response = admin_client.post(
            reverse(CHANGELIST),
            {"action": "check_tokens_now", "_selected_action": [str(a.pk) for a in chosen]},
        )

    assert response.status_code == 302
    assert flash(response) == ["Queued 2 token check(s)."]
    assert sorted(sent, key=repr) == sorted(
        [
            (
                (),
                {"kwargs": {"tenant_id": a.tenant_id, "account_id": str(a.pk), "trigger": "admin"}},
            )
            for a in chosen
        ],
        key=repr,
    )
    assert PAGE_TOKEN not in repr(sent) and USER_TOKEN not in repr(sent)
