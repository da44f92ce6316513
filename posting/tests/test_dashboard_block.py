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
