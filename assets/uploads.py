"""The upload size limit, enforced while the request body streams in (RELIABILITY U1).

Django's own limits don't cover file data, and its handlers write a whole file to memory or a
temporary file before a view sees it. `SizeLimitUploadHandler` sits first in the chain and skips
a file as soon as its bytes pass ``ASSET_MAX_UPLOAD_BYTES``, so the rest of it is never kept."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = limit if limit is not None else settings.ASSET_MAX_UPLOAD_BYTES
        self.too_large: list[str] = []
        self._received = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self._received += len(raw_data)
        if self._received > self.limit:
            self.too_large.append(self.file_name or "")
            raise SkipFile(f"{self.file_name!r} is over {self.limit} bytes")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) builds the file


def install(request) -> SizeLimitUploadHandler:
    """Put the limit first; call before anything reads ``request.POST``/``request.FILES``."""
    handler = SizeLimitUploadHandler(request)
    request.upload_handlers.insert(0, handler)
    return handler
