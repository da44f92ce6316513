"""Upload validation in assets/images.py, checked piece by piece without uploads (docs/mutation.md,
module ``images``): the size read from a header Pillow refused, the message built from it, each
signature and each refusal code. Fast: no database, tiny images."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from assets import images
from assets.images import ImageRejected
from assets.tests.factories import heic_bytes, jpeg_bytes, png_bytes


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _sof(marker: int, width: int, height: int) -> bytes:
    return _segment(marker, b"\x08" + struct.pack(">HH", height, width) + b"\x03" + b"\x00" * 9)


def _jpeg_head(*segments: bytes) -> io.BytesIO:
    return io.BytesIO(b"\xff\xd8" + b"".join(segments) + b"\x00" * 64)


def _png_head(width: int, height: int) -> io.BytesIO:
    """A PNG whose IHDR claims width × height, with a tiny IDAT: nothing is allocated here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return io.BytesIO(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def test_the_size_of_a_png_header_is_width_then_height():
    stream = _png_head(30_001, 20_002)
    stream.read()  # read to its end: the header is read from the start anyway
    assert images._header_size(stream) == (30_001, 20_002)


def test_the_size_of_a_real_jpeg_is_found_after_its_other_segments():
    data = bytearray(jpeg_bytes(16, 16))
    sof = data.index(b"\xff\xc0")
    assert sof > 2  # APP0 and DQT come first: the walk skips them by their lengths
    data[sof + 5 : sof + 9] = struct.pack(">HH", 15_003, 20_004)
    stream = io.BytesIO(bytes(data))
    stream.seek(len(data))
    assert images._header_size(stream) == (20_004, 15_003)


@pytest.mark.parametrize("marker", [0xC0, 0xC1, 0xC2, 0xCF])
def test_every_start_of_frame_marker_gives_the_size(marker):
    head = _jpeg_head(_segment(0xE0, b"JFIF\x00" + b"\x00" * 9), _sof(marker, 7_001, 5_002))
    assert images._header_size(head) == (7_001, 5_002)


@pytest.mark.parametrize("marker", [0xC4, 0xC8, 0xCC, 0xDB, 0xBF, 0xD0])
def test_tables_and_other_segments_before_the_frame_are_skipped(marker):
    """DHT (C4), JPG (C8) and DAC (CC) sit in the C0–CF range but are not frames."""
    head = _jpeg_head(_segment(marker, b"\x01" * 16), _sof(0xC2, 6_001, 4_002))
    assert images._header_size(head) == (6_001, 4_002)


@pytest.mark.parametrize(
    "stream",
    [
        io.BytesIO(b""),
        io.BytesIO(b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 64),
        io.BytesIO(b"\xff\xd8\x00\xc0" + b"\x00" * 64),  # a segment that is not a marker
        io.BytesIO(b"\xff\xd8" + _segment(0xE0, b"\x00" * 20)),  # no frame at all
        io.BytesIO(b"\xff\xd9\xff\xc0" + b"\x00" * 64),  # not a JPEG start
    ],
)
def test_no_size_is_made_up(stream):
    assert images._header_size(stream) == (0, 0)


def test_a_frame_whose_size_bytes_are_all_there_is_read():
    """Up to its last width byte, and no further (mutation testing found it needed one more)."""
    sof = _sof(0xC0, 9_001, 8_002)
    assert images._header_size(io.BytesIO(b"\xff\xd8" + sof[:9])) == (9_001, 8_002)
    assert images._header_size(io.BytesIO(b"\xff\xd8" + sof[:8])) == (0, 0)


def test_the_pixel_message_names_the_size_and_the_limit(settings):
    settings.ASSET_MAX_PIXELS = 40_000_000
    refused = images._too_many_pixels(12_000, 9_000)
    assert refused.code == "pixels"
    assert (
        refused.message
        == str(refused)
        == (
            "This image is 12,000 × 9,000 pixels; the limit is 40 megapixels. "
            "Export it smaller and try again."
        )
    )
    settings.ASSET_MAX_PIXELS = 12_500_000
    for width, height in [(0, 0), (0, 5_000), (5_000, 0)]:
        assert images._too_many_pixels(width, height).message == (
            "This image is too many pixels; the limit is 12.5 megapixels. "
            "Export it smaller and try again."
        )


def test_a_bomb_pillow_refuses_at_open_reports_its_own_size(settings):
    settings.ASSET_MAX_PIXELS = 40_000_000
    with pytest.raises(ImageRejected) as refused:
        images.open_checked(_png_head(30_000, 20_000))
    assert refused.value.code == "pixels"
    assert "30,000 × 20,000 pixels" in refused.value.message


def test_our_limit_is_inclusive_and_checked_on_the_header(settings):
    settings.ASSET_MAX_PIXELS = 40 * 30
    assert images.open_checked(io.BytesIO(png_bytes(40, 30))).size == (40, 30)
    settings.ASSET_MAX_PIXELS = 40 * 30 - 1
    with pytest.raises(ImageRejected) as refused:
        images.open_checked(io.BytesIO(png_bytes(40, 30)))
    assert refused.value.code == "pixels"
    assert "40 × 30 pixels" in refused.value.message


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0", "JPEG"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"RIFF\x10\x00\x00\x00WEBP", "WEBP"),
        (b"\x00\x00\x00\x18ftypheic", "HEIF"),
        (b"\x00\x00\x00\x18ftypmif1", "HEIF"),
    ],
)
def test_each_allowed_signature_alone_is_enough(head, expected):
    assert images.sniff(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"\xff\xd8\xfe\xe0",  # JPEG needs all three bytes
        b"\x89PNG\r\n\x1a\x00",
        b"RIFX\x10\x00\x00\x00WEBP",
        b"RIFF\x10\x00\x00\x00WEBX",
        b"\x00\x00\x00\x18ftyqheic",
        b"\x00\x00\x00\x18ftypHEIC",
        b"GIF89a",
        b"\x00",
    ],
)
def test_anything_else_is_refused_with_the_type_code_and_sentence(head):
    with pytest.raises(ImageRejected) as refused:
        images.sniff(head)
    assert refused.value.code == "type"
    assert refused.value.message == (
        "This is not a photo we can use: upload a JPEG, PNG, WebP or HEIC image."
    )


def test_a_damaged_file_behind_a_good_signature_is_corrupt():
    with pytest.raises(ImageRejected) as refused:
        images.open_checked(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40))
    assert refused.value.code == "corrupt"
    assert refused.value.message == (
        "We could not read this image: the file is damaged or not really a JPEG, PNG, WebP or HEIC."
    )


def test_a_cut_off_file_is_truncated():
    data = jpeg_bytes(64, 64)
    with pytest.raises(ImageRejected) as refused:
        images.open_checked(io.BytesIO(data[: len(data) // 2]))
    assert refused.value.code == "truncated"
    assert refused.value.message == (
        "This image is incomplete or damaged (was the upload cut off?). Try exporting it again."
    )


def test_a_png_is_opened_as_png_only_and_a_heic_as_heif():
    assert images.open_checked(io.BytesIO(png_bytes(8, 6))).format == "PNG"
    assert images.open_checked(io.BytesIO(heic_bytes())).format == "HEIF"


def test_draft_decodes_a_jpeg_smaller_but_never_below_the_size_asked():
    data = jpeg_bytes(400, 300)
    full = images.open_checked(io.BytesIO(data))
    drafted = images.open_checked(io.BytesIO(data), draft_size=(100, 75))
    assert full.size == (400, 300)
    assert drafted.size == (100, 75)
    assert images.open_checked(io.BytesIO(data), draft_size=(101, 75)).size == (200, 150)
    assert images.open_checked(io.BytesIO(png_bytes(40, 30)), draft_size=(10, 10)).size == (40, 30)


def test_an_mpo_is_reported_as_jpeg():
    buf = io.BytesIO()
    frames = [Image.new("RGB", (32, 24), c) for c in ("red", "blue")]
    frames[0].save(buf, "MPO", save_all=True, append_images=frames[1:])
    img = images.open_checked(io.BytesIO(buf.getvalue()))
    assert img.format == "JPEG"
    assert img.size == (32, 24)


def test_sizes_over_sixteen_million_use_all_four_png_bytes():
    assert images._header_size(_png_head(2**24 + 1, 2**24 + 2)) == (2**24 + 1, 2**24 + 2)
    assert images._header_size(_png_head(2**31 + 3, 5)) == (2**31 + 3, 5)


class _CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(size)
        return super().read(size)


def test_at_most_64_kb_is_read_for_the_size():
    """A frame header past the first 64 KB is not looked for: the message then says "too many
    pixels" without a size, and a huge file is never read whole."""
    big_app = _segment(0xE1, b"\x00" * 65_530)  # the frame starts at byte 65,536
    stream = _CountingStream(b"\xff\xd8" + big_app + _sof(0xC0, 7_001, 5_002) + b"\x00" * 64)
    assert images._header_size(stream) == (0, 0)
    assert stream.asked == [65_536]


def test_a_segment_longer_than_255_bytes_is_skipped_by_its_whole_length():
    head = _jpeg_head(_segment(0xE1, b"\x01" * 300), _sof(0xC0, 3_001, 2_002))
    assert images._header_size(head) == (3_001, 2_002)


def test_a_limit_of_one_megapixel_is_written_as_1(settings):
    settings.ASSET_MAX_PIXELS = 1_000_000
    assert "the limit is 1 megapixels" in images._too_many_pixels(2_000, 1_000).message


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_a_file_of_another_type_is_refused_after_its_first_32_bytes():
    """A large upload that is not a photo is never read whole to find that out."""
    stream = _CountingStream(b"%PDF-1.7\n" + b"\x00" * 4_000_000)
    stream.seek(100)  # wherever the upload handler left it: sniffing starts at the start
    with pytest.raises(ImageRejected) as refused:
        images.open_checked(stream)
    assert refused.value.code == "type"
    assert stream.asked == [32]


def test_only_the_sniffed_formats_decoder_reads_the_file():
    """JPEG's signature with a broken frame, and at byte 2,048 what Pillow's Photo CD decoder
    looks for: with every decoder allowed, Pillow would open it as a 768 × 512 Photo CD."""
    data = b"\xff\xd8\xff" + b"\x00" * 2_045 + b"PCD_IPI" + b"\x00" * 2_041
    with Image.open(io.BytesIO(data)) as anything_goes:
        assert anything_goes.format == "PCD"  # the file really is a trap
    with pytest.raises(ImageRejected) as refused:
        images.open_checked(io.BytesIO(data))
    assert refused.value.code == "corrupt"


@pytest.mark.parametrize(("width", "height"), [(0, 6), (8, 0), (0, 0)])
def test_an_image_without_pixels_is_corrupt(width, height):
    with pytest.raises(ImageRejected) as refused:
        images.open_checked(_png_head(width, height))
    assert refused.value.code == "corrupt"
    data = bytearray(jpeg_bytes(16, 16))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    with pytest.raises(ImageRejected) as refused:
        images.open_checked(io.BytesIO(bytes(data)))
    assert refused.value.code == "corrupt"


def test_pillows_harmless_warnings_do_not_refuse_a_photo():
    """An APNG animation chunk counting 0 frames: Pillow warns and reads the still PNG, which is
    a good photo. Only the bomb warning is an error."""
    png = png_bytes(8, 6)
    idat = png.index(b"IDAT") - 4
    data = png[:idat] + _png_chunk(b"acTL", struct.pack(">II", 0, 0)) + png[idat:]
    with pytest.warns(UserWarning, match="Invalid APNG"):
        img = images.open_checked(io.BytesIO(data))
    assert (img.format, img.size) == ("PNG", (8, 6))


def test_an_mpo_is_drafted_like_a_jpeg():
    """iPhone photos with a depth map are MPO files: decoded at the smaller scale too."""
    buf = io.BytesIO()
    frames = [Image.new("RGB", (400, 300), c) for c in ("red", "blue")]
    frames[0].save(buf, "MPO", save_all=True, append_images=frames[1:])
    img = images.open_checked(io.BytesIO(buf.getvalue()), draft_size=(100, 75))
    assert (img.format, img.size, img.mode) == ("JPEG", (100, 75), "RGB")


def test_a_drafted_greyscale_jpeg_stays_greyscale():
    buf = io.BytesIO()
    Image.new("L", (400, 300), 90).save(buf, "JPEG")
    img = images.open_checked(io.BytesIO(buf.getvalue()), draft_size=(100, 75))
    assert (img.size, img.mode) == ((100, 75), "L")
