"""The only code that talks to Facebook: a shared transport plus one module per area.

Layout (docs/conventions.md, "Talking to Facebook"; docs/recipes.md, "Add a Graph call"):

- `transport` — `GraphClient`: one `requests.Session`, timeouts and the pinned Graph version
  from settings, the token in the Authorization header with its ``appsecret_proof``, cursor
  paging (`GraphClient.paged`), the usage headers in ``client.last_usage``, and Facebook's
  error envelope turned into the `errors` hierarchy. No area logic lives there.
- `errors` — `GraphError` and its subclasses (what a caller branches on: ``retryable``,
  ``user_message``, ``describe()`` for operators; never a token in a message).
- `usage` — the rate-limit headers of one answer.
- one module per area, each a set of plain functions whose first argument is a `GraphClient`
  and whose other arguments are keyword-only; plain values in (ids, tokens), frozen
  dataclasses out; no ORM:
  - `connect` — the Login dialog, code exchange, long-lived tokens, pages, ``debug_token``,
    permissions, webhook subscription of a page;
  - `publishing` — Page posts, Instagram containers and their publishing, quotas;
  - `messaging` — Messenger / Instagram messages and comment moderation;
  - `signed_request` — verifying Facebook's deauthorize / data-deletion callbacks.
  A new area (insights, …) is a new module next to these, written the same way.

Callers import the area module and pass a client::

    from social.graph import GraphClient, connect

    client = GraphClient()
    pages = connect.list_pages(client, user_token=token)

Tests replace a single call with ``monkeypatch.setattr(connect, "list_pages", ...)`` or give
the client a recorded session (``social/tests/fakegraph.py``).
"""

from social.graph.errors import (
    DuplicatePost,
    GraphError,
    GraphTimeout,
    InvalidParameter,
    PermissionMissing,
    RateLimited,
    TokenInvalid,
    TransientError,
    UnknownGraphError,
)
from social.graph.transport import GraphClient, appsecret_proof
from social.graph.usage import Usage

__all__ = [
    "DuplicatePost",
    "GraphClient",
    "GraphError",
    "GraphTimeout",
    "InvalidParameter",
    "PermissionMissing",
    "RateLimited",
    "TokenInvalid",
    "TransientError",
    "UnknownGraphError",
    "Usage",
    "appsecret_proof",
]
