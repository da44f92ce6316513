"""File sniffing in assets/images.py: what a weakened signature check or a dropped seek(0)
would let through (issue 14's mutation findings)."""

from __future__ import annotations

import io
import struct

import pytest
from django.urls import reverse
from PIL import Image

from assets import images
from assets.images import ImageRejected
from assets.models import Asset
from assets.tests.factories import heic_bytes, jpeg_bytes, upload
from tenants.scoping import scopes_disabled


def webp_bytes(width: int = 64, height: int = 48) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (20, 160, 90)).save(buf, "WEBP", quality=80)
    return buf.getvalue()


def wav_bytes() -> bytes:
    """A real (tiny) RIFF/WAVE file: the same RIFF container as WebP, another form type."""
    samples = b"\x00\x00" * 64
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mp4_bytes() -> bytes:
    """An ISO-BMFF file of brand 'isom' (an MP4): the same ftyp box as HEIF, another brand."""
    ftyp = b"isom" + b"\x00\x00\x02\x00" + b"isomiso2avc1mp41"
    box = struct.pack(">I", 8 + len(ftyp)) + b"ftyp" + ftyp
    return box + struct.pack(">I", 8) + b"free" + struct.pack(">I", 16) + b"mdat" + b"\x00" * 8


def test_a_real_webp_is_sniffed_opened_and_kept_as_webp():
    data = webp_bytes(80, 60)
    assert images.sniff(data[:32]) == "WEBP"
    normalised = images.normalise(io.BytesIO(data))
    assert normalised.source_format == "WEBP"
    assert normalised.encoded.content_type == "image/webp"
    assert (normalised.encoded.width, normalised.encoded.height) == (80, 60)


def test_a_real_webp_upload_is_stored(owner_client, tenant):
    response = owner_client.post(
        reverse("assets:upload", kwargs={"tenant_slug": tenant.slug}),
        {"file": upload(webp_bytes(120, 90), "dish.webp", "image/webp")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    result = response.json()["results"][0]
    assert result["ok"], result
    with scopes_disabled():
        asset = Asset.objects.get(pk=result["asset_id"])
    assert asset.key.endswith(".webp") and (asset.width, asset.height) == (120, 90)


@pytest.mark.parametrize(
    ("name", "data"),
    [("a WAV posing as WebP", wav_bytes()), ("an MP4 posing as HEIF", mp4_bytes())],
)
def test_containers_of_other_media_are_refused_by_their_signature(name, data):
    with pytest.raises(ImageRejected) as refused:
        images.sniff(data[:32])
    assert refused.value.code == "type", name
    with pytest.raises(ImageRejected) as refused:
        images.open_checked(io.BytesIO(data))
    assert refused.value.code == "type", name


def test_heif_is_still_recognised_by_its_brand():
    assert images.sniff(heic_bytes()[:32]) == "HEIF"


@pytest.mark.parametrize("opener", [images.sniff, lambda b: images.open_checked(io.BytesIO(b))])
def test_an_empty_file_has_the_empty_code(opener):
    with pytest.raises(ImageRejected) as refused:
        opener(b"")
    assert refused.value.code == "empty"
    assert refused.value.message == "The file is empty."


def test_a_stream_already_read_to_its_end_is_opened_from_the_start():
    stream = io.BytesIO(jpeg_bytes(40, 30))
    stream.read()
    img = images.open_checked(stream)
    assert img.size == (40, 30)
    stream.seek(17)
    assert images.normalise(stream).encoded.width == 40
