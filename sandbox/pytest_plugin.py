"""pytest fixtures: `graph_sandbox` (a fresh in-process sandbox per test) and
`graph_sandbox_factory(**options)` (same, with SandboxConfig options).

Enable with `pytest_plugins = ["sandbox.pytest_plugin"]` in the root conftest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from sandbox.testing import SandboxHandle

# Test defaults: a free port, the loopback allowed for image_url fetches (tests serve
# images locally), webhooks delivered only on flush_webhooks() so tests are deterministic,
# and an uncompressed retry clock driven by advance_clock().
TEST_DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 0,
    "fetch_allow_hosts": ["127.0.0.1", "localhost"],
    "auto_deliver": False,
    "webhook_time_scale": 1.0,
    "webhook_timeout": 2.0,
    "fetch_timeout": 2.0,
    "quiet": True,
}


# Every token (and app secret) any sandbox of this test session issued, recorded when the sandbox
# stops, so the app's suite can assert none of them ever reached a log line or a task argument.
ISSUED_SECRETS: set[str] = set()


def _remember_secrets(server: SandboxServer) -> None:
    world = server.world
    with world.lock:
        ISSUED_SECRETS.update(world.tokens)
        ISSUED_SECRETS.update(app.secret for app in world.apps.values())


@pytest.fixture
def graph_sandbox_factory() -> Iterator[Callable[..., SandboxHandle]]:
    """Call with SandboxConfig options (redirect_uris, webhook_url, fetch_allow_hosts,
    require_appsecret_proof, auto_deliver, empty_world, ...); every sandbox started is
    stopped after the test."""
    servers: list[SandboxServer] = []

    def start(**options: Any) -> SandboxHandle:
        config = SandboxConfig(**{**TEST_DEFAULTS, **options})
        server = SandboxServer(config).start()
        servers.append(server)
        return SandboxHandle(server)

    yield start
    for server in servers:
        _remember_secrets(server)
        server.stop()


@pytest.fixture
def graph_sandbox(graph_sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    """A sandbox with the default world on a free port."""
    return graph_sandbox_factory()
