"""The only module that decodes images (RELIABILITY §5, U2–U5).

- `sniff` decides the type from magic bytes (never the name or the client's MIME type) and only
  allows JPEG, PNG, WebP and HEIC/HEIF.
- `open_checked` opens with Pillow restricted to that one format, checks the pixel count from the
  header *before* decoding (``ASSET_MAX_PIXELS``), turns Pillow's bomb warning into an error and
  decodes fully, so truncated files are refused.
- `normalise` makes the original we store. An upright JPEG in sRGB keeps its compressed pixels:
  `jpeg_without_metadata` rebuilds it from its frame, tables and scans alone. Any other image is
  oriented by its EXIF, converted to sRGB and re-encoded. Either way EXIF/GPS, XMP, colour
  profiles, comments and bytes appended after the image do not survive (docs/performance.md,
  "Uploads").
- `make_renditions` produces the grid thumbnail, the web-size image and the Instagram rendition
  (sRGB JPEG ≤ 8 MB, width ≤ 1440 px, aspect ratio inside 4:5 … 1.91:1 by crop around a focal
  point or by padding with a colour).
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from PIL import ExifTags, Image, ImageCms, ImageOps

# Pillow format name → (stored format, content type, extension). HEIC is stored as JPEG:
# browsers and Facebook cannot show HEIC.
FORMATS = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "HEIF": ("JPEG", "image/jpeg", "jpg"),
}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

INSTAGRAM_MIN_RATIO = 4 / 5
INSTAGRAM_MAX_RATIO = 1.91
INSTAGRAM_MAX_WIDTH = 1440
INSTAGRAM_MAX_BYTES = 8 * 1024 * 1024
WEB_MAX_SIDE = 1600
THUMB_MAX_SIDE = 480
JPEG_QUALITY = 88
# After the whole-factor `reduce`, the last step shrinks by about 2× at most: bicubic (antialiased
# in Pillow, like every filter but NEAREST) looks the same there and is much faster than
# Lanczos (bench/bench_assets.py: 1.75× → 1.35× of a bare decode + resize).
RENDITION_FILTER = Image.Resampling.BICUBIC

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

# Encoding and resampling run in these threads while the caller does the next step: Pillow
# releases the GIL in its codecs and resamplers, so the work spreads over the cores
# (docs/performance.md). Made on first use in each process (a forked worker gets its own).
WORKER_THREADS = 2
_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _workers() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            pool = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="images")
            _pool = (os.getpid(), pool)
        return _pool[1]


class ImageRejected(ValueError):
    """An upload we refuse; ``message`` is shown to the restaurant as is."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int
    content_type: str
    ext: str


@dataclass
class Normalised:
    """The original to store plus its decoded pixels (kept for inline renditions; a JPEG kept
    as it is was decoded at the smallest scale its renditions allow, see `normalise`)."""

    encoded: Encoded
    source_format: str
    image: Image.Image
    renditions: dict[str, Encoded] = field(default_factory=dict)


def sniff(head: bytes) -> str:
    """The Pillow format name of an allowed image, from its first bytes; else `ImageRejected`."""
    if not head:
        raise ImageRejected("The file is empty.", "empty")
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "HEIF"
    raise ImageRejected(
        "This is not a photo we can use: upload a JPEG, PNG, WebP or HEIC image.", "type"
    )


def _too_many_pixels(width: int, height: int) -> ImageRejected:
    limit_mp = settings.ASSET_MAX_PIXELS / 1_000_000
    size = f"{width:,} × {height:,} pixels" if width and height else "too many pixels"
    return ImageRejected(
        f"This image is {size}; the limit is {limit_mp:g} megapixels. "
        "Export it smaller and try again.",
        "pixels",
    )


def open_checked(fileobj: IO[bytes], *, draft_size: tuple[int, int] | None = None) -> Image.Image:
    """Open, check and fully decode an image. Only the header is read before the pixel check.

    ``draft_size`` lets JPEG decoding scale down by 1/2, 1/4 or 1/8 while staying at least that
    big (Pillow's ``draft``), which is much faster for renditions of large photos.
    """
    img = _open_header(fileobj)
    if draft_size:
        _draft(img, draft_size)
    return _decode(img)


def _open_header(fileobj: IO[bytes]) -> Image.Image:
    """The image opened with Pillow restricted to its sniffed format, its pixel count checked;
    nothing decoded yet."""
    fileobj.seek(0)
    fmt = sniff(fileobj.read(32))
    # Pillow seeks back to the start itself. Only the sniffed format's decoder may look at the
    # file: with every format allowed, a JPEG signature could still be read as, say, Photo CD.
    # Its bomb warning (over Image.MAX_IMAGE_PIXELS) is made an error; its other warnings (an
    # invalid APNG chunk read as a still PNG) stay warnings.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(fileobj, formats=[fmt])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(*_header_size(fileobj)) from None
        except Exception:
            raise ImageRejected(
                "We could not read this image: the file is damaged or not really a "
                "JPEG, PNG, WebP or HEIC.",
                "corrupt",
            ) from None
    # Pillow refuses a width or height of 0 when it opens ("corrupt" above).
    width, height = img.size
    if width * height > settings.ASSET_MAX_PIXELS:
        raise _too_many_pixels(width, height)
    return img


def _draft(img: Image.Image, size: tuple[int, int]) -> None:
    """Decode a JPEG at 1/2, 1/4 or 1/8 scale while staying at least ``size`` (DCT scaling:
    every byte of the file is still decoded, so damage is still found)."""
    if img.format in {"JPEG", "MPO"}:
        img.draft(None, size)  # None: the colour mode stays as it is, only the scale changes


def _decode(img: Image.Image) -> Image.Image:
    """Decode every pixel; a truncated or damaged file is refused. (Pillow's pixel checks all
    run when it opens a file, in `_open_header`: decoding one frame makes none.)"""
    try:
        img.load()
    except Exception:
        raise ImageRejected(
            "This image is incomplete or damaged (was the upload cut off?). "
            "Try exporting it again.",
            "truncated",
        ) from None
    if img.format == "MPO":  # iPhone JPEGs with a depth map: the first frame is the photo
        img.format = "JPEG"
    return img


def _header_size(fileobj: IO[bytes]) -> tuple[int, int]:
    """Width and height from a PNG IHDR or JPEG SOF header, for the message when Pillow refused
    at open; reads at most 64 KB and never decodes."""
    fileobj.seek(0)
    head = fileobj.read(65536)
    if head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    pos = 2
    while head.startswith(b"\xff\xd8") and pos + 9 <= len(head):  # the size ends at pos + 8
        if head[pos] != 0xFF:
            break
        marker = head[pos + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(head[pos + 5 : pos + 7], "big")
            return int.from_bytes(head[pos + 7 : pos + 9], "big"), height
        pos += 2 + int.from_bytes(head[pos + 2 : pos + 4], "big")
    return 0, 0


def _foreign_profile(img: Image.Image) -> ImageCms.ImageCmsProfile | None:
    """The embedded colour profile if it is a readable one other than sRGB (a broken profile
    counts as none: the pixels are taken as sRGB)."""
    icc = img.info.get("icc_profile")
    if not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in (ImageCms.getProfileDescription(profile) or "").lower():
            return None
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None
    return profile


def _to_srgb(img: Image.Image) -> Image.Image:
    has_alpha = img.mode in {"RGBA", "LA", "PA"} or (img.mode == "P" and "transparency" in img.info)
    out_mode = "RGBA" if has_alpha else ("L" if img.mode in {"L", "1"} else "RGB")
    profile = _foreign_profile(img)
    if profile is not None:
        try:
            if img.mode not in {"RGB", "RGBA", "CMYK", "L"}:
                img = img.convert("RGBA" if has_alpha else "RGB")
                out_mode = img.mode
            converted = ImageCms.profileToProfile(
                img, profile, _SRGB, outputMode=out_mode if out_mode != "L" else "RGB"
            )
            if converted is not None:  # None only with inPlace=True
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a profile Little CMS cannot use: fall back to a plain conversion
    if img.mode != out_mode:
        img = img.convert(out_mode)
    return img


# The segments of a JPEG that carry the picture itself: SOF0–2 (baseline, extended and
# progressive Huffman frames), DHT, DQT, DRI; scans (SOS) are handled apart. APPn (EXIF, GPS,
# XMP, ICC, JFIF thumbnails, MPO's other frames) and COM are dropped; anything else (arithmetic
# coding, hierarchical frames, DNL) means the file is re-encoded instead.
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2}
_JPEG_TABLES = {0xC4, 0xDB, 0xDD}
# Every stored lossless JPEG starts with a plain JFIF header (version 1.1, 1:1 pixels, no
# thumbnail): it tells decoders the three components are YCbCr, which `jpeg_without_metadata`
# checks from the frame's component ids.
_JFIF_HEADER = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
# Entropy-coded data ends at the first 0xFF that is not a stuffed zero, a restart marker or fill.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def jpeg_without_metadata(data: bytes) -> bytes | None:
    """The JPEG rebuilt from its frame, tables and scans only, byte for byte, after a fresh JFIF
    header: no metadata segment, comment or byte after the end marker survives. ``None`` when the
    file holds anything this cannot vouch for (the caller then re-encodes the pixels): colour
    components that may not be YCbCr (an Adobe segment saying RGB, component ids other than
    1, 2, 3), a second frame, an unknown marker, a segment running past the end, no scan or no
    end marker."""
    if not data.startswith(b"\xff\xd8"):
        return None
    out = [b"\xff\xd8", _JFIF_HEADER]
    pos, frames, scans, components = 2, 0, 0, 0
    adobe_transform = 1  # YCbCr, what a decoder assumes without an Adobe segment
    while True:
        while data[pos : pos + 2] == b"\xff\xff":  # fill bytes before a marker
            pos += 1
        if data[pos : pos + 1] != b"\xff" or pos + 2 > len(data):
            return None
        marker = data[pos + 1]
        if marker == 0xD9:
            out.append(b"\xff\xd9")
            ycbcr = components == 1 or adobe_transform == 1
            return b"".join(out) if frames == 1 and scans and ycbcr else None
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if pos + 4 > len(data) or end > len(data) or end < pos + 4:
            return None
        if marker == 0xEE and data[pos + 4 : pos + 9] == b"Adobe":
            # Its last byte says how the colours are coded; only YCbCr survives dropping it.
            adobe_transform = data[pos + 15] if end == pos + 16 else -1
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            pos = end
            continue
        if marker in _JPEG_FRAMES:
            components = data[pos + 9] if end >= pos + 10 else 0
            ids = data[pos + 10 : pos + 10 + 3 * components : 3]
            plain = components == 1 or ids == b"\x01\x02\x03"  # grey, or YCbCr
            if frames or not plain or end < pos + 10 + 3 * components:
                return None
            frames += 1
        elif marker == 0xDA:
            if not frames:
                return None
            found = _SCAN_END.search(data, end)
            if found is None:
                return None
            end = found.start()
            scans += 1
        elif marker not in _JPEG_TABLES:
            return None
        out.append(data[pos:end])
        pos = end


def _encode(img: Image.Image, fmt: str, *, quality: int = JPEG_QUALITY) -> Encoded:
    _, content_type, ext = FORMATS[fmt]
    if fmt == "JPEG" and img.mode not in {"RGB", "L"}:
        img = _flatten(img, "#ffffff")
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=quality, subsampling="4:2:0")
    elif fmt == "PNG":
        img.save(buf, "PNG", compress_level=6)
    else:
        img.save(buf, "WEBP", quality=quality, method=4)
    return Encoded(buf.getvalue(), img.width, img.height, content_type, ext)


def _flatten(img: Image.Image, colour: str) -> Image.Image:
    if img.mode in {"RGB", "L"}:
        return img
    rgba = img.convert("RGBA")
    background = Image.new("RGB", img.size, colour)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def normalise(fileobj: IO[bytes], *, renditions_up_to: int = 0) -> Normalised:
    """Validate an upload and make the original we store; raises `ImageRejected` with a sentence
    for the user. For images of at most ``renditions_up_to`` pixels the default renditions are
    made too, from the same decoded pixels.

    A JPEG that needs neither rotating nor a colour conversion keeps its compressed pixels
    (`jpeg_without_metadata`): nothing is re-encoded, and it is decoded (every byte of it, so
    damage is still found) only at the scale the renditions need. Any other image is decoded in
    full, oriented, converted to sRGB and re-encoded, in a worker thread while the renditions
    are made."""
    img = _open_header(fileobj)
    header_size = img.size
    inline = header_size[0] * header_size[1] <= renditions_up_to
    kept = _kept_as_is(fileobj, img)
    if kept is not None:
        _draft(img, rendition_draft_size(*header_size))
        img = _decode(img)
        return Normalised(
            encoded=Encoded(kept, *header_size, *FORMATS["JPEG"][1:]),
            source_format="JPEG",
            image=img,
            renditions=make_renditions(img) if inline else {},
        )
    img = _decode(img)
    source_format = img.format or "JPEG"
    ImageOps.exif_transpose(img, in_place=True)
    img = _to_srgb(img)
    stored_format = FORMATS[source_format][0]
    if not inline:
        return Normalised(
            encoded=_encode(img, stored_format), source_format=source_format, image=img
        )
    original = _workers().submit(_encode, img, stored_format)  # reads img only, like the rest
    try:
        made = make_renditions(img)
    finally:
        encoded = original.result()
    return Normalised(encoded=encoded, source_format=source_format, image=img, renditions=made)


def _kept_as_is(fileobj: IO[bytes], img: Image.Image) -> bytes | None:
    """The upload's JPEG stream without its metadata, if its pixels can be stored as they are:
    an RGB or grey JPEG, upright (no EXIF or XMP orientation), in sRGB or with no profile."""
    if img.format not in {"JPEG", "MPO"} or img.mode not in {"RGB", "L"}:
        return None
    if img.getexif().get(ExifTags.Base.Orientation, 1) != 1 or _foreign_profile(img) is not None:
        return None
    fileobj.seek(0)
    return jpeg_without_metadata(fileobj.read())


def _fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def instagram_crop_box(
    width: int, height: int, focal_x: float, focal_y: float
) -> tuple[int, int, int, int]:
    """The largest box inside the image with a ratio in 4:5 … 1.91:1, centred on the focal point
    as far as the edges allow."""
    ratio = width / height
    if ratio < INSTAGRAM_MIN_RATIO:
        box_w, box_h = width, min(height, math.floor(width / INSTAGRAM_MIN_RATIO))
    elif ratio > INSTAGRAM_MAX_RATIO:
        box_w, box_h = min(width, math.floor(height * INSTAGRAM_MAX_RATIO)), height
    else:
        return 0, 0, width, height
    left = round(min(max(focal_x * width - box_w / 2, 0), width - box_w))
    top = round(min(max(focal_y * height - box_h / 2, 0), height - box_h))
    return left, top, left + box_w, top + box_h


def _instagram(
    img: Image.Image, *, focal_x: float, focal_y: float, mode: str, pad_color: str
) -> Encoded:
    width, height = img.size
    if mode == "pad":
        ratio = width / height
        canvas_w, canvas_h = width, height
        if ratio < INSTAGRAM_MIN_RATIO:
            canvas_w = math.ceil(height * INSTAGRAM_MIN_RATIO)
        elif ratio > INSTAGRAM_MAX_RATIO:
            canvas_h = math.ceil(width / INSTAGRAM_MAX_RATIO)
        scale = min(1.0, INSTAGRAM_MAX_WIDTH / canvas_w)
        out_w, out_h = max(1, math.floor(canvas_w * scale)), max(1, math.floor(canvas_h * scale))
        inner = img.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))),
            RENDITION_FILTER,
            reducing_gap=3.0,
        )
        canvas = Image.new("RGB", (out_w, out_h), pad_color)
        inner = _flatten(inner, pad_color).convert("RGB")
        canvas.paste(inner, ((out_w - inner.width) // 2, (out_h - inner.height) // 2))
        out = canvas
    else:
        box = instagram_crop_box(width, height, focal_x, focal_y)
        box_w, box_h = box[2] - box[0], box[3] - box[1]
        scale = min(1.0, INSTAGRAM_MAX_WIDTH / box_w)
        # Keep the ratio inside the limits after rounding: round the long side down.
        out_w = max(1, math.floor(box_w * scale))
        out_h = max(1, math.floor(box_h * scale))
        if out_w / out_h < INSTAGRAM_MIN_RATIO:
            out_h = math.floor(out_w / INSTAGRAM_MIN_RATIO)
        elif out_w / out_h > INSTAGRAM_MAX_RATIO:
            out_w = math.floor(out_h * INSTAGRAM_MAX_RATIO)
        out = img.resize((out_w, out_h), RENDITION_FILTER, box=box, reducing_gap=3.0)
        out = _flatten(out, "#ffffff")
    if out.mode != "RGB":
        out = out.convert("RGB")
    quality = JPEG_QUALITY
    encoded = _encode(out, "JPEG", quality=quality)
    while len(encoded.data) > INSTAGRAM_MAX_BYTES and quality > 40:
        quality -= 10
        encoded = _encode(out, "JPEG", quality=quality)
    return encoded


def rendition_draft_size(width: int, height: int) -> tuple[int, int]:
    """The smallest decode size (for JPEG ``draft``) that still gives full-quality renditions."""
    box = instagram_crop_box(width, height, 0.5, 0.5)
    scale = max(WEB_MAX_SIDE / max(width, height), INSTAGRAM_MAX_WIDTH / (box[2] - box[0]))
    scale = min(1.0, scale)
    return math.ceil(width * scale), math.ceil(height * scale)


def make_renditions(
    img: Image.Image,
    *,
    focal_x: float = 0.5,
    focal_y: float = 0.5,
    mode: str = "crop",
    pad_color: str = "#ffffff",
    kinds: tuple[str, ...] = ("thumb", "web", "instagram"),
) -> dict[str, Encoded]:
    """Renditions of a decoded, oriented sRGB image (from `normalise` or `open_checked`).

    A big image is first shrunk by a whole factor with ``reduce`` (a fast box filter) to the
    smallest size every rendition still needs, then resampled with `RENDITION_FILTER`. The
    Instagram rendition is made in a worker thread while this one makes the web size and,
    from it, the thumbnail (halved with ``reduce`` first, then Lanczos)."""
    out: dict[str, Encoded] = {}
    need_w, need_h = rendition_draft_size(img.width, img.height)
    factor = min(img.width // need_w, img.height // need_h)
    if factor >= 2:
        img = img.reduce(factor)
    instagram: Future[Encoded] | None = None
    if "instagram" in kinds:
        instagram = _workers().submit(
            _instagram, img, focal_x=focal_x, focal_y=focal_y, mode=mode, pad_color=pad_color
        )
    try:
        if "web" in kinds or "thumb" in kinds:
            out.update(_web_and_thumb(img, kinds))
    finally:
        if instagram is not None:
            out["instagram"] = instagram.result()
    return out


def _web_and_thumb(img: Image.Image, kinds: tuple[str, ...]) -> dict[str, Encoded]:
    out: dict[str, Encoded] = {}
    web = img.resize(_fit(img.width, img.height, WEB_MAX_SIDE), RENDITION_FILTER, reducing_gap=3.0)
    if "web" in kinds:
        out["web"] = _encode(web, "JPEG")
    if "thumb" in kinds:
        size = _fit(web.width, web.height, THUMB_MAX_SIDE)
        # Lanczos over the whole web size costs 3× this; shrinking by at most 2 first is lossless
        # to the eye (Pillow's own reducing_gap works the same way).
        half = min(web.width // size[0], web.height // size[1]) >= 2
        source = web.reduce(2) if half else web
        out["thumb"] = _encode(source.resize(size, Image.Resampling.LANCZOS), "JPEG", quality=80)
    return out
