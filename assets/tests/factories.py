"""Test images made with Pillow (never downloaded) and an asset builder."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tenants.scoping import tenant_scope

GPS_LAT = (45.0, 27.0, 35.5)


def _image(width: int, height: int, colour=(200, 80, 40)) -> Image.Image:
    img = Image.new("RGB", (width, height), colour)
    # A little structure so encoders and hashes differ between sizes/colours.
    for x in range(0, width, max(1, width // 8)):
        img.paste((colour[2], colour[0], colour[1]), (x, 0, min(width, x + 2), height))
    return img


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: GPS_LAT, 3: "E", 4: (9.0, 11.0, 20.0)}
    exif[0x8825] = gps
    return exif


def jpeg_bytes(
    width: int = 64,
    height: int = 48,
    *,
    colour=(200, 80, 40),
    exif: Image.Exif | None = None,
    orientation: int | None = None,
    quality: int = 90,
    comment: str = "",
) -> bytes:
    img = _image(width, height, colour)
    if orientation is not None:
        exif = exif or Image.Exif()
        exif[0x0112] = orientation
    buf = io.BytesIO()
    kwargs = {"exif": exif.tobytes()} if exif is not None else {}
    if comment:
        kwargs["comment"] = comment
    img.save(buf, "JPEG", quality=quality, **kwargs)
    return buf.getvalue()


def png_bytes(width: int = 64, height: int = 48, *, mode: str = "RGBA") -> bytes:
    img = _image(width, height).convert(mode)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def heic_bytes(width: int = 64, height: int = 48, colour=(30, 120, 200)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    _image(width, height, colour).save(buf, "HEIF", quality=80)
    return buf.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


_n = iter(range(1, 10**9))


def make_asset(tenant, *, title: str = "", folder=None, width: int = 64, height: int = 48):
    """A real asset (stored files and renditions) through the upload service."""
    from assets import services

    n = next(_n)
    # The comment keeps the bytes unique: neighbouring colours can encode to the same JPEG,
    # and the library would then take the second photo for a duplicate of the first.
    data = jpeg_bytes(width, height, colour=(n % 256, (n // 256) % 256, 90), comment=f"asset {n}")
    with tenant_scope(tenant):
        result = services.asset_create_from_upload(
            tenant=tenant, upload=upload(data, f"{title or 'photo'}.jpg"), folder=folder
        )
        asset = result.asset
        if title:
            asset.title = title
            asset.search_text = title
            asset.save(update_fields=["title", "search_text"])
    return asset
