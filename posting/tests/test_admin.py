"""The operators' admin: filters (stuck), attempts inline, and the retry / reconcile / cancel
actions through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from posting.models import Post, Publication, PublishAttempt
from tenants.scoping import scopes_disabled

S = Publication.State
CHANGELIST = "admin:posting_publication_changelist"


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_superuser("op", "op@example.com", "pw-operator-1")
    client.force_login(user)
    return client


@pytest.fixture
def make(tenant, page):
    def build(state, **fields):
        with scopes_disabled():
            post = Post.objects.create(tenant=tenant, text=f"{state} post")
            return Publication.objects.create(
                tenant=tenant, post=post, account=page, network="facebook", shape="fb_text",
                state=state, **fields,
            )  # fmt: skip

    return build


def _state(publication):
    with scopes_disabled():
        return Publication.objects.get(pk=publication.pk).state


def test_the_stuck_filter_lists_only_long_silent_publishing_rows(operator, make):
    old = timezone.now() - timedelta(minutes=30)
    stuck = make(S.PUBLISHING, claimed_at=old, progress_at=old)
    make(S.PUBLISHING, claimed_at=old, progress_at=timezone.now())
    make(S.SCHEDULED, next_attempt_at=old)
    response = operator.get(reverse(CHANGELIST), {"stuck": "yes"})
    assert response.status_code == 200
    assert [p.pk for p in response.context["cl"].result_list] == [stuck.pk]


def test_filters_by_state_network_and_tenant(operator, make, tenant):
    failed = make(S.FAILED, last_error="Facebook refused")
    make(S.PUBLISHED)
    response = operator.get(
        reverse(CHANGELIST),
        {"state": "failed", "network": "facebook", "restaurant": tenant.slug},
    )
    assert [p.pk for p in response.context["cl"].result_list] == [failed.pk]


def test_the_change_page_shows_attempts_with_codes_and_trace_ids(operator, make, tenant):
    publication = make(S.FAILED)
    with scopes_disabled():
        PublishAttempt.objects.create(
            tenant=tenant, publication=publication, number=1, outcome="failed",
            error_code=506, fbtrace_id="AbCtrace123", detail="DuplicatePost",
        )  # fmt: skip
    url = reverse("admin:posting_publication_change", args=[publication.pk])
    body = operator.get(url).content.decode()
    assert "AbCtrace123" in body and "506" in body


def _act(operator, action, publications):
    return operator.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [p.pk for p in publications]},
        follow=True,
    )


def test_retry_action_reschedules_failed_and_says_why_it_refuses_others(operator, make):
    failed = make(S.FAILED, last_error="x")
    published = make(S.PUBLISHED)
    response = _act(operator, "retry", [failed, published])
    assert _state(failed) == S.SCHEDULED
    assert _state(published) == S.PUBLISHED
    texts = [m.message for m in get_messages(response.wsgi_request)]
    assert any("already published" in t for t in texts)


def test_cancel_action(operator, make):
    scheduled = make(S.SCHEDULED, next_attempt_at=timezone.now())
    _act(operator, "cancel", [scheduled])
    assert _state(scheduled) == S.CANCELLED


def test_reconcile_now_sends_stuck_rows_to_reconciliation_only(operator, make, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "posting.tasks.publication_reconcile.apply_async", lambda **kw: sent.append(kw)
    )
    old = timezone.now() - timedelta(minutes=30)
    stuck = make(S.PUBLISHING, claimed_at=old, progress_at=old)
    busy = make(S.PUBLISHING, claimed_at=timezone.now(), progress_at=timezone.now())
    _act(operator, "reconcile_now", [stuck, busy])
    assert _state(stuck) == S.NEEDS_RECONCILE
    assert _state(busy) == S.PUBLISHING  # its worker is alive: not touched


def test_no_add_or_edit_of_rows_by_hand(operator, make):
    publication = make(S.SCHEDULED)
    url = reverse("admin:posting_publication_change", args=[publication.pk])
    response = operator.post(url, {"state": "published"})
    assert response.status_code == 403
    assert _state(publication) == S.SCHEDULED
