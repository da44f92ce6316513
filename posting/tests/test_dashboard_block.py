"""The dashboard's posting block: "Needs you" lists failed and held posts with the sentence for
the owner (or the state when there is none), each linking to its post."""

from __future__ import annotations

import pytest
from django.urls import reverse

from posting.models import Publication
from posting.tests.factories import make_page, make_publication

pytestmark = pytest.mark.django_db


def test_needs_you_lists_failed_and_held_posts_with_their_reason(owner_client, tenant):
    page = make_page(tenant)
    failed = make_publication(
        tenant,
        account=page,
        state="failed",
        text="Truffle <night> & wine",
        last_error="Facebook refused the photo: it is too small.",
    )
    held = make_publication(tenant, account=page, state="held", text="", last_error="")
    make_publication(tenant, account=page, state="published", text="Went out fine")
    html = owner_client.get(reverse("tenants:dashboard", args=[tenant.slug])).content.decode()
    block = html[html.index('id="attention-title"') :]
    assert "Truffle &lt;night&gt; &amp; wine" in block
    assert "Facebook refused the photo: it is too small." in block
    label = Publication.State.HELD.label  # a held post without a sentence shows its state
    assert "Photo post" in block and f'<span class="pub-reason small">{label}</span>' in block
    for publication in (failed, held):
        assert reverse("posting:detail", args=[tenant.slug, publication.post_id]) in block
    assert "Went out fine" not in block
    assert "No failed or held posts" not in block


def test_coming_up_is_the_next_five_waiting_posts_with_all_their_publications(tenant):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from posting.models import Post
    from posting.selectors import ChipPublication, upcoming_posts
    from posting.tests.factories import make_instagram
    from tenants.scoping import scopes_disabled, tenant_scope

    page = make_page(tenant)
    insta = make_instagram(tenant, page=page)
    now = timezone.now()

    def post(hours: int, state: str, *, text: str, also: str = "") -> Post:
        publication = make_publication(tenant, account=page, state=state, text=text)
        with scopes_disabled():
            Post.objects.filter(pk=publication.post_id).update(
                scheduled_at=now + timedelta(hours=hours)
            )
            if also:
                publication.pk = None
                publication.account, publication.network, publication.state = (
                    insta,
                    "instagram",
                    also,
                )
                publication.shape = "ig_image"
                publication.save()
        return publication.post

    post(-48, "published", text="Went out")
    later = [post(h, "scheduled", text=f"In {h} hours") for h in (30, 5, 70, 50, 10)]
    held = post(-2, "held", text="Held since yesterday", also="cancelled")
    post(3, "cancelled", text="Cancelled")
    make_publication(tenant, account=page, state="draft", text="A draft")  # no time
    with tenant_scope(tenant), CaptureQueriesContext(connection) as queries:
        chips = upcoming_posts(tenant=tenant)
    assert len(queries) == 1
    assert [c.text for c in chips] == [
        "Held since yesterday", "In 5 hours", "In 10 hours", "In 30 hours", "In 50 hours",
    ]  # fmt: skip
    assert chips[0].pk == held.pk and chips[1].pk == later[1].pk
    assert chips[0].publication_list == [
        ChipPublication("held", "facebook"), ChipPublication("cancelled", "instagram"),
    ]  # fmt: skip
    assert [c.scheduled_at for c in chips] == sorted(c.scheduled_at for c in chips)
