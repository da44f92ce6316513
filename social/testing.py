"""Builders for tests (and the page walk): connected accounts without going through Facebook."""

from __future__ import annotations

import itertools
from typing import Any

from social.models import SocialAccount
from tenants.models import Tenant
from tenants.scoping import scopes_disabled

_ids = itertools.count(9_000_001)


def make_account(tenant: Tenant, name: str, *, kind: str = "facebook_page", **fields: Any):
    """A stored account of `tenant` (a Page with a placeholder token unless told otherwise)."""
    fields.setdefault("external_id", str(next(_ids)))
    if kind == "facebook_page":
        fields.setdefault("page_token", f"test-page-token-{fields['external_id']}")
    with scopes_disabled():
        return SocialAccount.objects.create(tenant=tenant, kind=kind, name=name, **fields)
