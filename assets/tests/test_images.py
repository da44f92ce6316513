"""images.py on its own: re-encoding strips metadata (U5), Instagram framing, colour."""

from __future__ import annotations

import io
import math
import struct

import pytest
from PIL import Image, ImageCms

from assets import images
from assets.tests.factories import GPS_LAT, gps_exif, jpeg_bytes, png_bytes


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_a_hundred_photos_lose_their_gps_and_appended_bytes():
    """RELIABILITY U5: 100 photos with GPS EXIF or bytes after the image."""
    marker = b"APPENDED-SECRET-PAYLOAD"
    kept_gps = kept_tail = 0
    for i in range(100):
        data = jpeg_bytes(40 + i, 30, exif=gps_exif() if i % 2 == 0 else None)
        if i % 2:
            data += marker + b"<script>alert(1)</script>"
        if i % 2 == 0:
            assert _open(data).getexif().get_ifd(0x8825)  # the input really has GPS
        out = images.normalise(io.BytesIO(data)).encoded.data
        stored = _open(out)
        if stored.getexif().get_ifd(0x8825) or b"PhoneMaker" in out:
            kept_gps += 1
        if marker in out or b"<script>" in out:
            kept_tail += 1
    assert (kept_gps, kept_tail) == (0, 0)


def test_gps_survives_nowhere_in_the_stored_bytes():
    data = jpeg_bytes(64, 48, exif=gps_exif())
    out = images.normalise(io.BytesIO(data)).encoded.data
    assert b"Exif" not in out
    assert b"GPS" not in out and b"PhoneMaker" not in out
    assert repr(GPS_LAT).encode() not in out


@pytest.mark.parametrize(
    ("size", "expected_ratio"),
    [((1080, 1920), 0.8), ((900, 1600), 0.8), ((3000, 1000), 1.91), ((1000, 1000), 1.0)],
)
def test_the_instagram_rendition_is_a_jpeg_inside_4_5_to_1_91(size, expected_ratio):
    img = _open(jpeg_bytes(*size))
    enc = images.make_renditions(img, kinds=("instagram",))["instagram"]
    out = _open(enc.data)
    assert out.format == "JPEG" and out.mode == "RGB"
    assert out.width <= images.INSTAGRAM_MAX_WIDTH
    assert 0.8 <= out.width / out.height <= 1.91
    assert out.width / out.height == pytest.approx(expected_ratio, abs=0.005)
    assert len(enc.data) <= images.INSTAGRAM_MAX_BYTES


def test_a_9_16_portrait_crops_to_exactly_4_5():
    out = _open(
        images.make_renditions(_open(jpeg_bytes(1080, 1920)), kinds=("instagram",))[
            "instagram"
        ].data
    )
    assert out.size == (1080, 1350)


def test_the_crop_follows_the_focal_point():
    assert images.instagram_crop_box(100, 200, 0.5, 0.0) == (0, 0, 100, 125)
    assert images.instagram_crop_box(100, 200, 0.5, 1.0) == (0, 75, 100, 200)
    assert images.instagram_crop_box(100, 200, 0.5, 0.5) == (0, 38, 100, 163)
    assert images.instagram_crop_box(400, 100, 0.0, 0.5) == (0, 0, 191, 100)


def test_pad_mode_keeps_the_whole_photo_on_a_coloured_background():
    img = Image.new("RGB", (100, 400), (0, 0, 255))
    enc = images.make_renditions(img, mode="pad", pad_color="#ff0000", kinds=("instagram",))
    out = _open(enc["instagram"].data)
    assert out.width / out.height == pytest.approx(0.8, abs=0.01)
    left = out.getpixel((2, out.height // 2))
    assert left[0] > 200 and left[2] < 60  # padding is red
    centre = out.getpixel((out.width // 2, out.height // 2))
    assert centre[2] > 200  # the photo is still there


def test_wide_photos_are_capped_at_1440_pixels():
    out = _open(
        images.make_renditions(_open(jpeg_bytes(4000, 2500)), kinds=("instagram",))[
            "instagram"
        ].data
    )
    assert out.width == 1440


def _swapped_primaries_profile() -> bytes:
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", data[128:132])[0]
    entries = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    data[red + 4 : red + 12], data[blue + 4 : blue + 12] = (
        data[blue + 4 : blue + 12],
        data[red + 4 : red + 12],
    )
    return (
        bytes(data)
        .replace(b"sRGB", b"wRGB")
        .replace("sRGB".encode("utf-16-be"), "wRGB".encode("utf-16-be"))
    )


def test_a_non_srgb_profile_is_converted_to_srgb():
    """The pixels go through the embedded profile into sRGB, and the stored file carries no
    profile. The test profile is sRGB with its red and blue primaries swapped, so a conversion
    that happened is unmistakable."""
    src = Image.new("RGB", (32, 32), (200, 50, 50))
    buf = io.BytesIO()
    src.save(buf, "JPEG", quality=95, icc_profile=_swapped_primaries_profile())
    out = images.normalise(io.BytesIO(buf.getvalue()))
    pixel = out.image.getpixel((16, 16))
    assert out.image.mode == "RGB"
    assert pixel[2] > 180 and pixel[0] < 70, pixel
    assert "icc_profile" not in _open(out.encoded.data).info


def test_an_srgb_profile_leaves_the_colours_alone():
    src = Image.new("RGB", (32, 32), (200, 50, 50))
    buf = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    src.save(buf, "JPEG", quality=95, icc_profile=srgb.tobytes())
    pixel = images.normalise(io.BytesIO(buf.getvalue())).image.getpixel((16, 16))
    assert max(abs(a - b) for a, b in zip(pixel, (200, 50, 50), strict=True)) <= 3


def test_cmyk_jpegs_become_rgb():
    buf = io.BytesIO()
    Image.new("CMYK", (20, 20), (0, 200, 200, 0)).save(buf, "JPEG")
    out = images.normalise(io.BytesIO(buf.getvalue()))
    assert _open(out.encoded.data).mode == "RGB"


def test_png_stays_png_and_is_rewritten():
    data = png_bytes(30, 30) + b"TRAILING"
    out = images.normalise(io.BytesIO(data)).encoded
    assert out.content_type == "image/png" and b"TRAILING" not in out.data


def test_draft_decoding_keeps_renditions_full_quality():
    data = jpeg_bytes(4000, 3000)
    size = images.rendition_draft_size(4000, 3000)
    img = images.open_checked(io.BytesIO(data), draft_size=size)
    assert img.width >= 1600 and img.width < 4000  # decoded at 1/2 scale
    enc = images.make_renditions(img)
    assert _open(enc["web"].data).size == (1600, 1200)
    assert _open(enc["instagram"].data).width == 1440


def _psnr(a: Image.Image, b: Image.Image) -> float:
    from PIL import ImageChops, ImageStat

    rms = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).rms
    mse = sum(x * x for x in rms) / len(rms)
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


@pytest.mark.parametrize("source", ["pixels", "jpeg upload"])
def test_the_fast_path_renditions_look_like_a_careful_lanczos_resize(source):
    """The box reduce (or, for an upload kept as it is, the JPEG decoded at half scale), the
    bicubic steps and the halved thumbnail lose no more than the JPEG encoding itself does: each
    rendition is as close (PSNR, within 0.5 dB) to a Lanczos resize of the full photo as that
    Lanczos resize is to its own JPEG."""
    from PIL import ImageFilter

    width, height = 4000, 3000
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40).filter(ImageFilter.GaussianBlur(1))
    photo = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    if source == "pixels":
        made = images.make_renditions(photo)
    else:
        upload = images._encode(photo, "JPEG", quality=92).data
        normalised = images.normalise(io.BytesIO(upload), renditions_up_to=16_000_000)
        assert normalised.image.width == width // 2  # the fast path was really taken
        made, photo = normalised.renditions, _open(upload)
    for kind, quality in (("thumb", 80), ("web", 88), ("instagram", 88)):
        ours = _open(made[kind].data)
        careful = photo.resize(ours.size, Image.Resampling.LANCZOS)
        careful_jpeg = _open(images._encode(careful, "JPEG", quality=quality).data)
        assert _psnr(ours, careful) >= _psnr(careful_jpeg, careful) - 0.5, kind
