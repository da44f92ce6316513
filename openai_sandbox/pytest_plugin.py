"""pytest fixture `openai_sandbox`: a fresh OpenAI emulator on a free port per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from openai_sandbox.app import DEFAULT_KEY, EmulatorServer, Fault


@dataclass
class OpenAISandbox:
    server: EmulatorServer

    @property
    def base_url(self) -> str:
        return self.server.base_url

    api_key: str = DEFAULT_KEY

    def fault(self, kind: str, *, count: int | None = 1, seconds: float = 30.0) -> None:
        with self.server.app.state.lock:
            self.server.app.state.faults.append(Fault(kind, count, seconds))

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self.server.app.state.lock:
            return list(self.server.app.state.requests)


@pytest.fixture
def openai_sandbox() -> Iterator[OpenAISandbox]:
    server = EmulatorServer().start()
    try:
        yield OpenAISandbox(server)
    finally:
        server.stop()
