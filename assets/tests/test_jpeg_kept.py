"""An upright sRGB JPEG is stored as its own compressed pixels without its metadata
(`images.jpeg_without_metadata`); anything that rewrite cannot vouch for is re-encoded."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageCms

from assets import images
from assets.tests.factories import GPS_LAT, gps_exif
from assets.tests.test_images import _swapped_primaries_profile

SECRETS = (b"PhoneMaker", b"Exif", b"xmpmeta", b"Kitchen door code", b"acsp", b"TRAILER")


def _photo(width: int = 96, height: int = 64) -> Image.Image:
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    img.paste((200, 40, 90), (10, 10, width // 2, height // 2))
    return img


def _jpeg(img: Image.Image, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **options)
    return buf.getvalue()


def _decoded(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def _identical(a: Image.Image, b: Image.Image) -> bool:
    return a.mode == b.mode and a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def _with_everything(img: Image.Image, **options) -> bytes:
    """A JPEG carrying every kind of metadata a phone or editor writes, plus appended bytes."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return (
        _jpeg(
            img,
            exif=gps_exif().tobytes(),
            xmp=b"<x:xmpmeta>Kitchen door code 4711</x:xmpmeta>",
            comment="Kitchen door code 4711",
            icc_profile=srgb,
            **options,
        )
        + b"TRAILER<script>alert(1)</script>"
    )


@pytest.mark.parametrize(
    "options",
    [{}, {"progressive": True, "restart_marker_blocks": 2}, {"subsampling": "4:4:4"}],
    ids=["baseline", "progressive-with-restarts", "444"],
)
def test_the_stored_jpeg_has_the_same_pixels_and_none_of_the_metadata(options):
    data = _with_everything(_photo(), **options)
    assert all(secret in data for secret in SECRETS)  # the input really carries them
    normalised = images.normalise(io.BytesIO(data), renditions_up_to=10**6)
    out = normalised.encoded.data
    assert [secret for secret in SECRETS if secret in out] == []
    assert repr(GPS_LAT).encode() not in out
    assert out.startswith(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") and out.endswith(b"\xff\xd9")
    assert _identical(_decoded(out), _decoded(data))  # not re-encoded: no generation loss
    assert not _decoded(out).getexif() and "icc_profile" not in _decoded(out).info
    assert (normalised.encoded.width, normalised.encoded.height) == (96, 64)
    assert set(normalised.renditions) == {"thumb", "web", "instagram"}


def test_a_grey_jpeg_is_kept_too():
    data = _with_everything(_photo().convert("L"))
    out = images.normalise(io.BytesIO(data)).encoded.data
    assert _identical(_decoded(out), _decoded(data)) and _decoded(out).mode == "L"
    assert b"PhoneMaker" not in out


def test_a_big_upload_is_decoded_only_at_the_scale_its_renditions_need():
    data = _jpeg(_photo(4000, 3000))
    normalised = images.normalise(io.BytesIO(data), renditions_up_to=16_000_000)
    assert normalised.image.size == (2000, 1500)  # DCT scaling, still ≥ the 1,600 px web size
    assert (normalised.encoded.width, normalised.encoded.height) == (4000, 3000)
    assert Image.open(io.BytesIO(normalised.renditions["web"].data)).size == (1600, 1200)


def test_an_rgb_jpeg_with_an_adobe_segment_is_re_encoded_with_its_colours():
    """Pillow's ``keep_rgb`` stores R, G, B without YCbCr and says so in an Adobe segment:
    dropping that segment would turn the colours, so the pixels are re-encoded instead (also
    when the component ids are the usual 1, 2, 3)."""
    data = _jpeg(Image.new("RGB", (32, 32), (200, 50, 50)), keep_rgb=True)
    assert b"Adobe" in data and images.jpeg_without_metadata(data) is None
    assert images.jpeg_without_metadata(_with_ids(data, b"\x01\x02\x03")) is None
    out = _decoded(images.normalise(io.BytesIO(data)).encoded.data)
    pixel = out.getpixel((16, 16))
    assert max(abs(a - b) for a, b in zip(pixel, (200, 50, 50), strict=True)) <= 4


def test_an_adobe_segment_saying_ycbcr_is_dropped_like_any_other():
    adobe_ycbcr = b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x01"
    plain = _jpeg(_photo())
    data = _segments_spliced(plain, adobe_ycbcr)
    kept = images.jpeg_without_metadata(data)
    assert kept is not None and b"Adobe" not in kept
    assert _identical(_decoded(kept), _decoded(data))
    for transform in (b"\x00", b"\x02", b""):  # RGB, YCCK, a segment cut short
        segment = adobe_ycbcr[:-1] + transform
        segment = segment[:2] + len(segment[2:]).to_bytes(2, "big") + segment[4:]
        assert images.jpeg_without_metadata(_segments_spliced(plain, segment)) is None


def test_a_rotated_jpeg_is_re_encoded_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90°"
    data = _jpeg(_photo(80, 40), exif=exif.tobytes())
    out = images.normalise(io.BytesIO(data)).encoded
    assert (out.width, out.height) == (40, 80) and _decoded(out.data).size == (40, 80)
    assert not _decoded(out.data).getexif()


def test_a_jpeg_in_another_colour_space_is_re_encoded():
    data = _jpeg(_photo(), icc_profile=_swapped_primaries_profile())
    kept = images.jpeg_without_metadata(data)
    assert kept is not None  # the rewrite alone would keep the pixels as they are …
    out = images.normalise(io.BytesIO(data)).encoded.data
    assert out != kept and not _identical(_decoded(out), _decoded(kept))  # … but they change


def _segments_spliced(data: bytes, segment: bytes) -> bytes:
    """``segment`` inserted right after the first quantisation table."""
    dqt = data.index(b"\xff\xdb")
    end = dqt + 2 + int.from_bytes(data[dqt + 2 : dqt + 4], "big")
    return data[:end] + segment + data[end:]


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("no start marker", lambda d: d[2:]),
        ("no end marker", lambda d: d[:-2]),
        ("cut inside the scan", lambda d: d[: len(d) // 2]),
        ("a segment longer than the file", lambda d: d[:20] + b"\xff\xfe\xff\xf0" + d[20:40]),
        ("a DNL segment", lambda d: _segments_spliced(d, b"\xff\xdc\x00\x04\x00\x40")),
        ("a reserved marker", lambda d: _segments_spliced(d, b"\xff\xc8\x00\x02")),
        ("a second frame", lambda d: _segments_spliced(d, d[d.index(b"\xff\xc0") :][:19])),
        ("a zero-length segment", lambda d: _segments_spliced(d, b"\xff\xdb\x00\x00")),
        ("garbage between segments", lambda d: _segments_spliced(d, b"JUNK")),
        ("arithmetic coding", lambda d: d.replace(b"\xff\xc0", b"\xff\xc9", 1)),
        ("RGB component ids", lambda d: _with_ids(d, b"RGB")),
    ],
)
def test_what_the_rewrite_cannot_vouch_for_is_left_to_re_encoding(name, damage):
    data = _jpeg(_photo())
    assert images.jpeg_without_metadata(data) is not None
    assert images.jpeg_without_metadata(damage(data)) is None, name


def _with_ids(data: bytes, ids: bytes) -> bytes:
    sof = bytearray(data)
    pos = data.index(b"\xff\xc0")
    for n, component_id in enumerate(ids):
        sof[pos + 10 + 3 * n] = component_id
    return bytes(sof)


def test_metadata_segments_are_skipped_wherever_they_are():
    data = _jpeg(_photo())
    spliced = _segments_spliced(data, b"\xff\xe1\x00\x0cExif\x00\x00GPS!")
    spliced = _segments_spliced(spliced, b"\xff\xfe\x00\x08SECRET")
    assert images.jpeg_without_metadata(spliced) == images.jpeg_without_metadata(data)


def test_an_mpo_keeps_only_its_first_frame():
    """iPhones and 3-D cameras append more frames (a depth map, the other eye) after the photo."""
    photo, depth = Image.new("RGB", (64, 48), (200, 30, 30)), Image.new("RGB", (64, 48), (9, 9, 9))
    buf = io.BytesIO()
    photo.save(buf, "MPO", save_all=True, append_images=[depth])
    data = buf.getvalue()
    assert Image.open(io.BytesIO(data)).format == "MPO" and b"MPF" in data
    normalised = images.normalise(io.BytesIO(data))
    out = normalised.encoded.data
    assert normalised.source_format == "JPEG" and b"MPF" not in out
    assert out.count(b"\xff\xd8") == 1 and _identical(_decoded(out), _decoded(data))
