"""``access_<thing>`` lookups of the publishing engine (docs/conventions.md): another
restaurant's post or publication, or a missing one, is a 404."""

from __future__ import annotations

from typing import Any

from posting.models import Post, Publication
from tenants.access import access_in_tenant
from tenants.models import Tenant


def access_post(*, tenant: Tenant, id: Any, lock: bool = False) -> Post:
    return access_in_tenant(Post.objects.all(), tenant=tenant, id=id, lock=lock, what="post")


def access_publication(*, tenant: Tenant, id: Any, lock: bool = False) -> Publication:
    return access_in_tenant(
        Publication.objects.select_related("post", "account"),
        tenant=tenant,
        id=id,
        lock=lock,
        what="post",
    )
