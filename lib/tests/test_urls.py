"""lib.urls.reverse_many gives what reverse() gives, id after id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lib.urls import _MARKER, reverse_many


@pytest.mark.parametrize("slug", ["alba", f"x{_MARKER}"], ids=["plain", "marker-in-slug"])
def test_reverse_many_matches_reverse(slug):
    detail = reverse_many("assets:asset_detail", vary="asset_id", kwargs={"tenant_slug": slug})
    for asset_id in (1, 42, 10**12):
        kwargs = {"tenant_slug": slug, "asset_id": asset_id}
        assert detail(asset_id) == reverse("assets:asset_detail", kwargs=kwargs)
