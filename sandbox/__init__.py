"""Tablecast Graph sandbox: a protocol-faithful local emulator of Facebook Login, the
Graph API and webhook delivery (facts: docs/graph-api.md; what is emulated: sandbox/README.md).

Stand-alone on purpose: it imports nothing from the app, which talks to it only through
base URLs, exactly as it talks to the real Facebook.
"""

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer

__all__ = ["SandboxConfig", "SandboxServer"]
