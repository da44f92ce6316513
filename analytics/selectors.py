"""Reads for analytics pages and for other apps (docs/analytics.md)."""

from __future__ import annotations

from analytics.models import AssetScore
from tenants.models import Tenant


def asset_scores(*, tenant: Tenant) -> dict[int, float]:
    """{asset id: score 0–1} for `posting.suggestions.asset_suggestions(scores=…)`; empty until
    analytics has figures for posts that used the restaurant's photos."""
    return dict(AssetScore.objects.filter(tenant=tenant).values_list("asset_id", "score"))
