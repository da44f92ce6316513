"""Production's static files storage: WhiteNoise's compressed manifest storage, with each
file's URL worked out once per process.

``{% static %}`` asks the storage for a URL every time: the manifest lookup and the URL joining
cost about 30 µs a call, and an admin list draws a static icon for every boolean cell (150 on a
page of 50 rows) besides the five of every page's layout (docs/performance.md, "Pages"). The
manifest does not change while a process runs, so a URL, once known, is kept."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[tuple[str, bool, bool], str] = {}

    def url(self, name: Any, force: bool = False) -> str:
        # DEBUG is part of the key: with it on, the storage answers the names unhashed.
        key = (str(name), force, settings.DEBUG)
        found = self._urls.get(key)
        if found is None:
            found = self._urls[key] = super().url(name, force)
        return found
