"""Pictures, image inspection and Meta-like fetching of `url`/`image_url` (graph-api.md §5)."""

from __future__ import annotations

import hashlib
import io
import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import requests
from PIL import Image, ImageDraw

from sandbox.errors import GraphError
from sandbox.outbound import outbound

MAX_IG_BYTES = 8 * 1024 * 1024  # §5: ≤ 8 MiB
# Facebook Page photos by `url`: Meta's published cap for photos is 10 MB [U].
MAX_FB_PHOTO_BYTES = 10 * 1024 * 1024


@lru_cache(maxsize=256)
def picture_png(object_id: str, label: str = "", size: int = 200) -> bytes:
    """A deterministic avatar (colour from the id, initials) for profile pictures."""
    digest = hashlib.sha256(object_id.encode()).digest()
    colour = (64 + digest[0] % 160, 64 + digest[1] % 160, 64 + digest[2] % 160)
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    initials = "".join(word[0] for word in label.split()[:2]).upper() or "?"
    draw.text(
        (size // 2, size // 2), initials, fill=(255, 255, 255), anchor="mm", font_size=size // 3
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class ImageInfo:
    format: str  # Pillow's name: "JPEG", "PNG", "MPO", ...
    width: int
    height: int
    content_type: str


def inspect_image(data: bytes) -> ImageInfo | None:
    """Decode enough of the bytes to know format and size; None if not an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or "UNKNOWN"
            width, height = image.size
    except Exception:  # Pillow raises many exception types for garbage input
        return None
    return ImageInfo(fmt, width, height, Image.MIME.get(fmt, "application/octet-stream"))


def is_plain_jpeg(data: bytes, info: ImageInfo | None) -> bool:
    """§5: JPEG only — magic bytes FF D8 FF, and not MPO/JPS (multi-picture JPEG)."""
    return data[:3] == b"\xff\xd8\xff" and info is not None and info.format == "JPEG"


class FetchError(Exception):
    """Raised when Meta's fetcher would fail: `timeout` tells -2/2207003 from 9004/2207052."""

    def __init__(self, reason: str, *, timeout: bool = False) -> None:
        super().__init__(reason)
        self.timeout = timeout


class FetchTooLarge(FetchError):
    """The download went past the size limit: refused whole, never truncated."""


def _host_allowed(host: str, allow: list[str]) -> bool:
    """Meta fetches from the public internet: loopback, private, link-local and reserved
    addresses are unreachable for it, unless the allow-list names the host or its IP."""
    if host in allow:
        return True
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}") from exc
    for info in infos:
        address = str(info[4][0])
        if address in allow:
            continue
        ip = ipaddress.ip_address(address.split("%")[0])
        if (
            ip.is_loopback
            or ip.is_private
            or ip.is_link_local
            or ip.is_reserved
            or ip.is_unspecified
        ):
            return False
    return True


def fetch_url(
    url: str, *, allow: list[str], timeout: float, max_bytes: int = MAX_IG_BYTES
) -> bytes:
    """GET `url` over HTTP like Meta's media fetcher (following ≤ 3 redirects, re-checking
    each hop against the address policy). More than `max_bytes` raises `FetchTooLarge`."""
    for _hop in range(4):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("only http(s) URLs can be fetched")
        if not _host_allowed(parts.hostname, allow):
            raise FetchError(f"{parts.hostname} is not reachable from the internet")
        try:
            response = outbound().get(url, timeout=timeout, stream=True, allow_redirects=False)
        except requests.Timeout as exc:
            raise FetchError("download timed out", timeout=True) from exc
        except requests.RequestException as exc:
            raise FetchError(f"download failed: {exc}") from exc
        with response:
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code}")
            data = bytearray()
            try:
                for chunk in response.iter_content(65536):
                    data += chunk
                    if len(data) > max_bytes:
                        raise FetchTooLarge(f"the file is larger than {max_bytes} bytes")
            except requests.RequestException as exc:
                raise FetchError("download timed out", timeout=True) from exc
            return bytes(data)
    raise FetchError("too many redirects")


def fetch_error(exc: FetchError) -> GraphError:
    """Map a fetch failure to Instagram's codes (§6: -2/2207003 timeout, 9004/2207052)."""
    if exc.timeout:
        return GraphError(-2, subcode=2207003)
    return GraphError(
        9004, subcode=2207052, message=f"The media could not be fetched from this URI: {exc}"
    )
