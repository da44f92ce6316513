"""`fields=` projection with nested expansion and cursor paging (graph-api.md §2 Paging,
checklist "General behaviour")."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from sandbox.errors import GraphError, invalid_param

T = TypeVar("T")
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


@dataclass
class FieldSpec:
    """One requested field: `name.modifier(arg){sub,fields}`."""

    sub: dict[str, FieldSpec] | None = None
    modifiers: dict[str, str] = field(default_factory=dict)


def parse_fields(text: str | None) -> dict[str, FieldSpec] | None:
    """Parse `id,name,instagram_business_account{id,username},feed.limit(5){message}`.

    Returns None when no `fields` parameter was given (the node's defaults apply).
    """
    if text is None or not text.strip():
        return None
    result, pos = _parse_list(text, 0)
    if pos != len(text):
        raise invalid_param(
            f'(#100) Syntax error "Expected end of string instead of "{text[pos]}"." at character {pos}: {text}'
        )
    return result


def _parse_list(text: str, pos: int) -> tuple[dict[str, FieldSpec], int]:
    out: dict[str, FieldSpec] = {}
    while pos < len(text) and text[pos] != "}":
        start = pos
        while pos < len(text) and text[pos] not in ",{}.(":
            pos += 1
        name = text[start:pos].strip()
        spec = FieldSpec()
        while pos < len(text) and text[pos] == ".":
            mod_start = pos + 1
            pos = text.index("(", pos) if "(" in text[pos:] else len(text)
            mod_name = text[mod_start:pos]
            close = text.find(")", pos)
            if close < 0:
                raise invalid_param(f"(#100) Syntax error in fields: {text}")
            spec.modifiers[mod_name] = text[pos + 1 : close]
            pos = close + 1
        if pos < len(text) and text[pos] == "{":
            spec.sub, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != "}":
                raise invalid_param(f"(#100) Syntax error in fields: unbalanced braces in {text}")
            pos += 1
        if name:
            out[name] = spec
        if pos < len(text) and text[pos] == ",":
            pos += 1
    return out, pos


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_param("(#100) The after/before cursor is invalid") from exc


def parse_limit(value: str | None) -> int:
    """`limit` (0 is allowed: no items, e.g. `reactions.limit(0).summary(true)`)."""
    if value in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError as exc:
        raise invalid_param("(#100) Param limit must be a number") from exc
    return max(0, min(limit, MAX_LIMIT))


def wants_summary(value: str | None) -> bool:
    """`summary(true)`, `summary(1)`, `summary(total_count)` or `summary=true` on an edge."""
    return (value or "").strip().lower() in ("true", "1", "total_count")


def paginate(
    items: Sequence[T],
    key: Callable[[T], str],
    *,
    limit: int,
    after: str | None = None,
    before: str | None = None,
    url: str | None = None,
    params: dict[str, str] | None = None,
) -> tuple[list[T], dict[str, Any]]:
    """Cursor paging: `paging.cursors.{before,after}`, `previous`/`next` URLs; `next` is
    omitted on the last page (§2 Paging)."""
    keys = [key(item) for item in items]
    start = 0
    if after:
        target = decode_cursor(after)
        if target not in keys:
            raise invalid_param("(#100) The after cursor is invalid")
        start = keys.index(target) + 1
    elif before:
        target = decode_cursor(before)
        if target not in keys:
            raise invalid_param("(#100) The before cursor is invalid")
        start = max(0, keys.index(target) - limit)
    chunk = list(items[start : start + limit])
    paging: dict[str, Any] = {}
    if chunk:
        paging["cursors"] = {
            "before": encode_cursor(keys[start]),
            "after": encode_cursor(keys[start + len(chunk) - 1]),
        }
        if url is not None:
            base = {k: v for k, v in (params or {}).items() if k not in ("after", "before")}
            if start > 0:
                paging["previous"] = (
                    url
                    + "?"
                    + urlencode({**base, "limit": limit, "before": paging["cursors"]["before"]})
                )
            if start + len(chunk) < len(items):
                paging["next"] = (
                    url
                    + "?"
                    + urlencode({**base, "limit": limit, "after": paging["cursors"]["after"]})
                )
    return chunk, paging


@dataclass
class Schema:
    """A node type: its name for errors, default fields and field resolvers."""

    name: str
    default: list[str]
    fields: dict[str, Callable[[Any, Any], Any]]  # resolver(ctx, obj); WithSpec gets the spec


@dataclass
class WithSpec:
    """A resolver that needs the field's modifiers and sub-fields, e.g.
    `insights.metric(post_media_view,post_clicks).period(lifetime){name,values}`."""

    resolve: Callable[[Any, Any, FieldSpec], Any]  # (ctx, obj, spec)

    def __call__(self, ctx: Any, obj: Any) -> Any:
        return self.resolve(ctx, obj, FieldSpec())


@dataclass
class Nested:
    """A resolver result that is another node (rendered with the sub-fields)."""

    schema: Schema
    obj: Any


@dataclass
class EdgeList:
    """A resolver result that is an edge (rendered as `{"data": [...], "paging": {...}}`)."""

    schema: Schema
    items: list[Any]
    key: Callable[[Any], str]
    paged: bool = True  # False: `{"data": [...]}` only, like a Post's `attachments`
    # Extra `summary` keys besides total_count (e.g. comments' `order`, `can_comment`).
    summary: dict[str, Any] | None = None
    total_count: int | None = None  # when the count is not len(items)

    def summary_body(self) -> dict[str, Any]:
        total = len(self.items) if self.total_count is None else self.total_count
        return {**(self.summary or {}), "total_count": total}


MISSING = object()  # a resolver returns this to leave the field out (e.g. no IG account)


def project(
    schema: Schema, obj: Any, spec: dict[str, FieldSpec] | None, ctx: Any = None
) -> dict[str, Any]:
    """Render `obj` with the requested fields; `id` is always included, like Meta."""
    wanted = spec if spec is not None else {name: FieldSpec() for name in schema.default}
    out: dict[str, Any] = {}
    for name, field_spec in wanted.items():
        resolver = schema.fields.get(name)
        if resolver is None:
            raise GraphError(
                100,
                f"(#100) Tried accessing nonexisting field ({name}) on node type ({schema.name})",
            )
        value = (
            resolver.resolve(ctx, obj, field_spec)
            if isinstance(resolver, WithSpec)
            else resolver(ctx, obj)
        )
        if value is MISSING:
            continue
        out[name] = materialize(value, field_spec, ctx)
    if "id" in schema.fields and "id" not in out:
        out["id"] = schema.fields["id"](ctx, obj)
    return out


def materialize(value: Any, spec: FieldSpec, ctx: Any = None) -> Any:
    """Expand nested nodes and edges found while projecting."""
    if isinstance(value, Nested):
        return project(value.schema, value.obj, spec.sub, ctx)
    if isinstance(value, EdgeList):
        limit = parse_limit(spec.modifiers.get("limit"))
        chunk, paging = paginate(value.items, value.key, limit=limit)
        body: dict[str, Any] = {
            "data": [project(value.schema, item, spec.sub, ctx) for item in chunk]
        }
        if paging and value.paged:
            body["paging"] = paging
        if wants_summary(spec.modifiers.get("summary")):
            body["summary"] = value.summary_body()
        return body
    return value
