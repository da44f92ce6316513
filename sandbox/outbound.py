"""Outbound HTTP (webhook POSTs, callbacks, image fetches) without environment proxies:
the sandbox talks straight to the app and to image hosts, like Meta's own fetchers."""

from __future__ import annotations

import threading

import requests

_local = threading.local()


def outbound() -> requests.Session:
    """A per-thread session (requests sessions are not thread-safe) that ignores
    HTTP(S)_PROXY / NO_PROXY and ~/.netrc."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        _local.session = session
    return session
