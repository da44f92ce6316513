"""Reading nodes and edges: id lookup, who may read what, and paged edge rendering with
`since`/`until` (graph-api.md §2 Paging). Shared by `sandbox.graph` and the endpoint
modules, so that none of them imports `sandbox.graph`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.context import Ctx
from sandbox.errors import GraphError, not_found
from sandbox.fields import (
    MISSING,
    EdgeList,
    FieldSpec,
    paginate,
    parse_limit,
    project,
    wants_summary,
)
from sandbox.nodes import photo_expired, schema_for, scope_for
from sandbox.state import Comment, Conversation, Message, World

EdgeHandler = Callable[[Ctx, Any], dict[str, Any]]


def resolve(world: World, object_id: str) -> Any:
    """Look an id up in every table (Graph ids are global)."""
    for table in (
        world.pages,
        world.users,
        world.ig_accounts,
        world.posts,
        world.photos,
        world.containers,
        world.ig_media,
        world.comments,
        world.apps,
        world.conversations,
        world.messages_by_mid,
        world.customers,
    ):
        if object_id in table:
            return table[object_id]
    return None


def instagram_account_of(world: World, obj: Any) -> str | None:
    """The IG account an Instagram object belongs to (None for Facebook objects)."""
    kind = type(obj).__name__
    if kind == "IGAccount":
        return str(obj.id)
    if kind in ("Container", "IGMedia"):
        return str(obj.ig_id)
    if isinstance(obj, Comment) and obj.platform == "instagram":
        return world.pages[obj.page_id].ig_id
    return None


def owner_page_id(world: World, obj: Any) -> str | None:
    """The Page an object belongs to (IG objects: the Page linked to the IG account)."""
    if hasattr(obj, "page_id"):
        return obj.page_id
    if type(obj).__name__ == "Customer":  # a PSID / IGSID: the Page (or IG account) it is of
        account = world.ig_accounts.get(obj.account_id)
        return account.page_id if account else obj.account_id
    ig_id = getattr(obj, "ig_id", None)
    if ig_id and ig_id in world.ig_accounts:
        return world.ig_accounts[ig_id].page_id
    if type(obj).__name__ == "Page":
        return obj.id
    return None


def check_read(ctx: Ctx, obj: Any) -> None:
    """Who may read a node: the user themself, or a token that can act on the owning Page;
    Instagram nodes also need instagram_basic (§3)."""
    token = ctx.authenticate()
    kind = type(obj).__name__
    if kind == "User":
        if token.user_id != obj.id or token.kind != "user":
            raise not_found(obj.id)
        return
    if kind == "App":
        if token.app_id != obj.id:
            raise not_found(obj.id)
        return
    if getattr(obj, "deleted", False) or (kind == "Photo" and photo_expired(ctx.world, obj)):
        raise not_found(obj.id)
    page_id = owner_page_id(ctx.world, obj)
    if page_id is None:
        raise not_found(obj.id)
    ctx.page_for(page_id)
    if kind in ("Conversation", "Message", "Customer"):
        check_messaging(ctx, obj.platform)
    if kind in ("IGAccount", "IGMedia", "Container") or (
        kind == "Comment" and obj.platform == "instagram"
    ):
        ctx.require_scopes(token, "instagram_basic", code=10)


def check_messaging(ctx: Ctx, platform: str) -> None:
    """Reading conversations and messages needs a Page token with the platform's
    messaging permission."""
    token = ctx.authenticate()
    if token.kind != "page":
        raise GraphError(190, "(#190) This method must be called with a Page Access Token")
    scope = scope_for(platform)
    if scope not in token.scopes:
        raise GraphError(230, f"(#230) Requires {scope} permission to manage the object")


def created_at(obj: Any) -> float | None:
    """When a listed object was created, in seconds (posts and comments: created_time; IG
    media: timestamp; messages: their ms timestamp; conversations: their last message), or
    None for things without a time (they are never filtered out)."""
    if isinstance(obj, Message):
        return obj.timestamp / 1000
    if isinstance(obj, Conversation):
        return obj.updated_ms / 1000
    for name in ("created_time", "timestamp"):
        value = getattr(obj, name, None)
        if value:
            return float(value)
    return None


def in_time_range(ctx: Ctx, items: list[Any]) -> list[Any]:
    """`since`/`until` (unix, ISO 8601 or relative) bound an edge by creation time, both
    inclusive, as on `/feed`, `/published_posts` and `/{ig-user}/media`."""
    since, until = ctx.time_param("since"), ctx.time_param("until")
    if since is None and until is None:
        return items
    kept = []
    for item in items:
        when = created_at(item)
        if when is None or ((since is None or when >= since) and (until is None or when <= until)):
            kept.append(item)
    return kept


def edge_list(ctx: Ctx, value: EdgeList, default: list[str] | None = None) -> dict[str, Any]:
    """Render a top-level edge GET with full paging URLs; `default` overrides the node's
    default fields when no `fields=` is given; `since`/`until` filter by creation time."""
    chunk, paging = paginate(
        in_time_range(ctx, value.items),
        value.key,
        limit=parse_limit(ctx.param("limit")),
        after=ctx.param("after"),
        before=ctx.param("before"),
        url=ctx.url,
        params=ctx.params,
    )
    spec = ctx.fields()
    if spec is None and default is not None:
        spec = {name: FieldSpec() for name in default}
    body = {"data": [project(value.schema, item, spec, ctx) for item in chunk], "paging": paging}
    if wants_summary(ctx.param("summary")):
        body["summary"] = value.summary_body()
    return body


def schema_edge(name: str) -> EdgeHandler:
    """An edge that is just a node field (`/{page}/feed`, `/{ig}/media`, ...), paged."""

    def handler(ctx: Ctx, obj: Any) -> dict[str, Any]:
        check_read(ctx, obj)
        value = schema_for(obj).fields[name](ctx, obj)
        if value is MISSING:  # e.g. `children` of a media that is not a carousel
            return {"data": []}
        assert isinstance(value, EdgeList)
        return edge_list(ctx, value)

    return handler
