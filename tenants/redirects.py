"""Where a ``next=`` may send the user back to: a page of the same restaurant, nothing else
(docs/security.md, "Redirects")."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from django.urls import Resolver404, resolve

from tenants.models import Tenant


def _has_forbidden_character(text: str) -> bool:
    """Backslashes (browsers read them as slashes) and control characters (\\r\\n, NUL, tab, DEL)."""
    return "\\" in text or any(ord(c) < 32 or ord(c) == 127 for c in text)


def safe_next_path(tenant: Tenant, next_path: str | None) -> str:
    """``next_path`` when it is a path of one of this tenant's portal pages, else "".

    Refused: anything with a scheme or a host, backslashes or control characters (raw or
    percent-encoded), a path that needs normalising (``.``/``..`` segments, ``//``, encoded
    slashes that decode to any of these), and a path that is not a portal page of ``tenant``
    once resolved against the URLconf (another tenant, the admin, a page that does not exist).
    """
    if not next_path or _has_forbidden_character(next_path):
        return ""
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return ""
    decoded = unquote(parts.path)
    if _has_forbidden_character(decoded) or decoded.startswith("//"):
        return ""
    normal = posixpath.normpath(decoded)
    if decoded.endswith("/") and normal != "/":
        normal += "/"
    if normal != decoded:
        return ""
    try:
        match = resolve(decoded)
    except Resolver404:
        return ""
    if match.kwargs.get("tenant_slug") != tenant.slug:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")
