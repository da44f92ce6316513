"""lib.urls.reverse_many gives what reverse() gives, id after id."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from lib.urls import _MARKER, reverse_many


@pytest.mark.parametrize("slug", ["alba", f"x{_MARKER}"], ids=["plain", "marker-in-slug"])
def test_reverse_many_matches_reverse(slug):
    detail = reverse_many("assets:asset_detail", vary="asset_id", kwargs={"tenant_slug": slug})
    for asset_id in (1, 42, 10**12):
        kwargs = {"tenant_slug": slug, "asset_id": asset_id}
        assert detail(asset_id) == reverse("assets:asset_detail", kwargs=kwargs)


def test_reverse_many_with_uuid_arguments():
    conversation = uuid.uuid4()
    kwargs = {"tenant_slug": "alba", "conversation_id": conversation}
    reply = reverse_many("webhooks:comment_reply", vary="message_id", kwargs=kwargs)
    thread = reverse_many("webhooks:thread", vary="conversation_id", kwargs={"tenant_slug": "a"})
    for message in (uuid.uuid4(), uuid.UUID(int=0), str(uuid.uuid4())):
        expected = reverse("webhooks:comment_reply", kwargs={**kwargs, "message_id": message})
        assert reply(message) == expected
        assert thread(message) == reverse(
            "webhooks:thread", kwargs={"tenant_slug": "a", "conversation_id": message}
        )
