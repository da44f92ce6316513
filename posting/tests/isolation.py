"""Declarations for the URL-enumerating isolation test (tenants/tests/test_isolation.py)."""

from __future__ import annotations


def _post_id(tenant) -> int:
    from posting.models import Post

    with _scope(tenant):
        return Post.objects.create(tenant=tenant, text="Isolation probe").pk


def _publication_id(tenant) -> int:
    from posting.models import Post, Publication
    from posting.tests.factories import make_page

    page = make_page(tenant)
    with _scope(tenant):
        post = Post.objects.create(tenant=tenant, text="Isolation probe")
        return Publication.objects.create(
            tenant=tenant, post=post, account=page, network="facebook", shape="fb_text"
        ).pk


def _action(tenant) -> str:
    return "cancel"


def _scope(tenant):
    from tenants.scoping import tenant_scope

    return tenant_scope(tenant)


KWARG_FACTORIES = {"post_id": _post_id, "publication_id": _publication_id, "action": _action}

PUBLIC_URLS: dict[str, str] = {}
