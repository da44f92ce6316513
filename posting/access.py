"""``access_<thing>`` lookups of the publishing engine (docs/conventions.md): another
restaurant's post or publication, or a missing one, is a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from lib.statements import INT, Statement
from posting.models import Post, Publication
from tenants.access import access_in_tenant, access_read
from tenants.models import Tenant
from tenants.statements import TENANT

# The ids a post's primary key (a 64-bit integer) can hold.
_IDS = range(-(2**63), 2**63)


def access_post(*, tenant: Tenant, id: Any, lock: bool = False) -> Post:
    """The post page, composer edit and the calendar's moves read their post on every request:
    without a lock, by a statement compiled once per process (docs/performance.md, "Pages"),
    answering as `access_in_tenant` does (its tenant the one given, a 404 for a missing post,
    another restaurant's or an id that is not a number); with a lock, or an id that is neither
    text nor a number, through `access_in_tenant` itself."""
    if lock or type(id) not in (int, str):
        return access_in_tenant(Post.objects.all(), tenant=tenant, id=id, lock=lock, what="post")
    try:
        pk = int(id)  # as the queryset's lookup reads it (IntegerField.get_prep_value)
    except ValueError:
        raise Http404("No such post.") from None
    if pk not in _IDS:
        raise Http404("No such post.")
    return access_read(_POST, tenant=tenant, what="post", pk=pk)


_POST = Statement(
    lambda tenant, pk: Post.objects.filter(tenant=tenant, pk=pk), tenant=TENANT, pk=INT
)


def access_publication(*, tenant: Tenant, id: Any, lock: bool = False) -> Publication:
    return access_in_tenant(
        Publication.objects.select_related("post", "account"),
        tenant=tenant,
        id=id,
        lock=lock,
        what="post",
    )
