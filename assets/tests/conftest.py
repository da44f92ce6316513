from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test gets its own empty media folder, so "nothing was stored" can be checked."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def stored_files(media_root):
    def files() -> list[str]:
        return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())

    return files
