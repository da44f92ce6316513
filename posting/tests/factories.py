"""Builders for the posting tests: connected accounts without the Connect flow."""

from __future__ import annotations

import itertools

from social.models import SocialAccount
from tenants.scoping import scopes_disabled

_ids = itertools.count(1)


def make_page(
    tenant, *, external_id: str = "", name: str = "", token: str = "page-token-x", **fields
):
    n = next(_ids)
    with scopes_disabled():
        return SocialAccount.objects.create(
            tenant=tenant,
            kind=SocialAccount.Kind.FACEBOOK_PAGE,
            external_id=external_id or f"9000000000{n:05d}",
            name=name or f"Page {n}",
            page_token=token,
            **fields,
        )


def make_instagram(tenant, *, page, external_id: str = "", name: str = "", **fields):
    n = next(_ids)
    with scopes_disabled():
        return SocialAccount.objects.create(
            tenant=tenant,
            kind=SocialAccount.Kind.INSTAGRAM,
            external_id=external_id or f"1784100000{n:05d}",
            name=name or f"ig{n}",
            username=name or f"ig{n}",
            linked_page=page,
            **fields,
        )


def make_publication(tenant, *, account, state: str = "scheduled", text: str = "Hello", **fields):
    """A Facebook text post's publication to ``account`` in ``state``."""
    from posting.models import Post, Publication

    with scopes_disabled():
        post = Post.objects.create(tenant=tenant, text=text)
        return Publication.objects.create(
            tenant=tenant,
            post=post,
            account=account,
            network="facebook",
            shape="fb_text",
            state=state,
            **fields,
        )
