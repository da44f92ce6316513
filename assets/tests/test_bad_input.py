"""Every bad upload named in issue 5 gets a clear error and writes nothing (RELIABILITY U1–U6)."""

from __future__ import annotations

import io
import re
import struct
import time
import tracemalloc
import zlib

import pytest
from django.core.files.uploadhandler import SkipFile
from django.urls import reverse
from PIL import Image

from assets import services
from assets.models import Asset, AssetTag, Folder, Rendition, Tag
from assets.tests.factories import jpeg_bytes, make_asset, upload
from assets.uploads import SizeLimitUploadHandler
from lib.testing import PeakRSS
from tenants.scoping import scopes_disabled, tenant_scope

KEY = re.compile(r"^\d+/[0-9a-f]{32}\.(jpg|png|webp)$")


def _post(client, tenant, data: bytes, name: str = "photo.jpg", **fields):
    return client.post(
        reverse("assets:upload", kwargs={"tenant_slug": tenant.slug}),
        {"file": upload(data, name, "image/jpeg"), **fields},
        HTTP_ACCEPT="application/json",
    )


def _nothing_written(stored_files) -> None:
    assert stored_files() == []
    with scopes_disabled():
        for model in (Asset, Rendition, Tag, AssetTag):
            assert not model.objects.all().exists(), model


def _rejected(response, code: str) -> str:
    assert response.status_code in (400, 413), response.content
    result = response.json()["results"][0]
    assert result["ok"] is False
    assert result["code"] == code, result
    assert result["message"]
    return result["message"]


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width×height, with a tiny IDAT: no pixels are allocated here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF0 header is patched to claim width×height."""
    data = bytearray(jpeg_bytes(16, 16))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _assert_fast_and_small(call) -> None:
    # Resident memory sampled while the call runs: it sees Pillow's C allocations, which
    # tracemalloc does not (ru_maxrss would only move past the process's all-time peak).
    tracemalloc.start()
    with PeakRSS() as rss:
        started = time.perf_counter()
        response = call()
        elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0, elapsed
    assert peak < 100 * 1024 * 1024, peak
    assert rss.growth_mb < 100, rss.growth_mb
    return response


def test_it_refuses_a_text_file_named_jpg(owner_client, tenant, stored_files):
    _rejected(_post(owner_client, tenant, b"just some notes\n" * 20, "notes.jpg"), "type")
    _nothing_written(stored_files)


def test_it_refuses_html(owner_client, tenant, stored_files):
    html = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    _rejected(_post(owner_client, tenant, html, "page.jpg"), "type")
    _nothing_written(stored_files)


def test_it_refuses_pdf(owner_client, tenant, stored_files):
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
    _rejected(_post(owner_client, tenant, pdf, "menu.jpg"), "type")
    _nothing_written(stored_files)


def test_it_refuses_svg_with_script(owner_client, tenant, stored_files):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    _rejected(_post(owner_client, tenant, svg, "logo.png"), "type")
    _nothing_written(stored_files)


def test_it_refuses_a_gif_javascript_polyglot(owner_client, tenant, stored_files):
    polyglot = (
        b"GIF89a/*\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04*/=1;alert(1);//"
    )
    _rejected(_post(owner_client, tenant, polyglot, "funny.jpg"), "type")
    _nothing_written(stored_files)


def test_it_refuses_a_truncated_jpeg(owner_client, tenant, stored_files):
    data = jpeg_bytes(400, 300)
    message = _rejected(_post(owner_client, tenant, data[: len(data) // 2]), "truncated")
    assert "incomplete" in message
    _nothing_written(stored_files)


def test_it_refuses_zero_bytes(owner_client, tenant, stored_files):
    message = _rejected(_post(owner_client, tenant, b"", "empty.jpg"), "empty")
    assert "empty" in message
    _nothing_written(stored_files)


def test_it_refuses_the_size_limit_plus_one_byte(owner_client, tenant, stored_files, settings):
    data = jpeg_bytes(64, 48)
    settings.ASSET_MAX_UPLOAD_BYTES = len(data) - 1
    message = _rejected(_post(owner_client, tenant, data), "size")
    assert "larger than" in message
    _nothing_written(stored_files)


def test_a_file_of_exactly_the_size_limit_is_accepted(owner_client, tenant, settings):
    data = jpeg_bytes(64, 48)
    settings.ASSET_MAX_UPLOAD_BYTES = len(data)
    response = _post(owner_client, tenant, data)
    assert response.json()["results"][0]["ok"]


def test_the_size_limit_stops_the_stream_before_the_file_is_kept():
    handler = SizeLimitUploadHandler(limit=100)
    handler.new_file("file", "big.jpg", "image/jpeg", 10_000)
    assert handler.receive_data_chunk(b"x" * 60, 0) == b"x" * 60
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"x" * 41, 60)
    assert handler.too_large == ["big.jpg"]
    handler.new_file("file", "small.jpg", "image/jpeg", 50)
    assert handler.receive_data_chunk(b"x" * 100, 0) == b"x" * 100


def test_it_refuses_a_30000_by_30000_png_quickly_without_decoding(
    owner_client, tenant, stored_files
):
    data = _png_header_only(30_000, 30_000)
    assert len(data) < 200
    response = _assert_fast_and_small(lambda: _post(owner_client, tenant, data, "huge.png"))
    message = _rejected(response, "pixels")
    assert "30,000 × 30,000" in message
    _nothing_written(stored_files)


def test_it_refuses_a_jpeg_header_claiming_20000_by_20000(owner_client, tenant, stored_files):
    data = _jpeg_claiming(20_000, 20_000)
    response = _assert_fast_and_small(lambda: _post(owner_client, tenant, data, "huge.jpg"))
    message = _rejected(response, "pixels")
    assert "20,000 × 20,000" in message
    _nothing_written(stored_files)


def test_our_pixel_limit_applies_below_pillows_own(owner_client, tenant, stored_files):
    data = _jpeg_claiming(8_000, 6_000)  # 48 MP: over ASSET_MAX_PIXELS, under Pillow's warning
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (8_000, 6_000)
    message = _rejected(_post(owner_client, tenant, data), "pixels")
    assert "8,000 × 6,000" in message
    _nothing_written(stored_files)


def test_pillows_bomb_warning_is_treated_as_an_error(tenant, stored_files, settings):
    settings.ASSET_MAX_PIXELS = 10**9  # only Pillow's check is left: 100 MP warns
    data = _jpeg_claiming(10_000, 10_000)
    with tenant_scope(tenant), pytest.raises(services.images.ImageRejected) as caught:
        services.asset_create_from_upload(tenant=tenant, upload=upload(data))
    assert caught.value.code == "pixels"
    _nothing_written(stored_files)


def test_it_refuses_tiff(owner_client, tenant, stored_files):
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buf, "TIFF")
    _rejected(_post(owner_client, tenant, buf.getvalue(), "scan.jpg"), "type")
    _nothing_written(stored_files)


def test_it_refuses_fits(owner_client, tenant, stored_files):
    cards = [
        "SIMPLE  =                    T",
        "BITPIX  =                    8",
        "NAXIS   =                    2",
        "NAXIS1  =                   10",
        "NAXIS2  =                   10",
        "END",
    ]
    header = "".join(card.ljust(80) for card in cards).ljust(2880).encode()
    _rejected(_post(owner_client, tenant, header + b"\x00" * 2880, "sky.png"), "type")
    _nothing_written(stored_files)


HOSTILE_NAMES = [
    "../../../etc/passwd.jpg",
    "..\\..\\windows\\win.ini.jpg",
    "/absolute/path.jpg",
    "a\x00b.jpg",
    "photo.jpg\x00.php",
    "x" * 300 + ".jpg",
    "\u202egpj.exe",
    "menu\u202efdp.jpg",
    "%2e%2e%2fescape.jpg",
    "....//....//x.jpg",
    "CON.jpg",
    "nul.jpg",
    " .jpg",
    ".htaccess",
    "photo.php.jpg",
    "photo.jpg.php",
    "<script>alert(1)</script>.jpg",
    "'; DROP TABLE assets_asset; --.jpg",
    "\r\nSet-Cookie: x=y.jpg",
    "emoji-🍝.jpg",
    "tab\tname.jpg",
    "~/.ssh/id_rsa.jpg",
    "photo.JPG ",
    "photo.svg",
    "photo.html",
    "file:///etc/shadow.jpg",
    "http://evil.example/x.jpg",
    "\u200bzero-width.jpg",
    "a/b/c/d/e/f/g.jpg",
    "",
]


def test_hostile_file_names_never_reach_the_storage_key(tenant, stored_files):
    assert len(HOSTILE_NAMES) == 30
    with tenant_scope(tenant):
        for i, name in enumerate(HOSTILE_NAMES):
            data = jpeg_bytes(32 + i, 32)
            asset = services.asset_create_from_upload(
                tenant=tenant, upload=upload(data, "x.jpg"), file_name=name
            ).asset
            assert KEY.match(asset.key), (name, asset.key)
            assert asset.key.startswith(f"{tenant.pk}/")
            assert not re.search(r"[\x00-\x1f\u202e\u200b/\\]", asset.title), asset.title
            assert len(asset.title) <= 200
    assert all(KEY.match(path) for path in stored_files())
    assert len(stored_files()) == 30 * 4


def test_hostile_file_names_through_the_view(owner_client, tenant, stored_files):
    for name in ["../../evil.jpg", "x" * 300 + ".jpg", "menu\u202egpj.exe"]:
        result = _post(owner_client, tenant, jpeg_bytes(40, len(name) % 50 + 20), name).json()
        assert result["results"][0]["ok"], result
    assert all(KEY.match(path) for path in stored_files())


def test_it_refuses_another_tenants_folder_id(owner_client, tenant, other_tenant, stored_files):
    with scopes_disabled():
        foreign = Folder.objects.filter(tenant=other_tenant).first()
    response = _post(owner_client, tenant, jpeg_bytes(), folder=str(foreign.pk))
    message = _rejected(response, "folder")
    assert "your own folders" in message
    _nothing_written(stored_files)


def test_the_service_refuses_another_tenants_folder(tenant, other_tenant, stored_files):
    from django.core.exceptions import ValidationError

    with scopes_disabled():
        foreign = Folder.objects.filter(tenant=other_tenant).first()
    with tenant_scope(tenant), pytest.raises(ValidationError):
        services.asset_create_from_upload(
            tenant=tenant, upload=upload(jpeg_bytes()), folder=foreign
        )
    _nothing_written(stored_files)


def test_it_refuses_an_upload_over_the_storage_quota(owner_client, tenant, stored_files, settings):
    make_asset(tenant, title="First")
    before = stored_files()
    with scopes_disabled():
        used = sum(Asset.objects.values_list("bytes", flat=True)) + sum(
            Rendition.objects.values_list("bytes", flat=True)
        )
    settings.ASSET_TENANT_QUOTA_BYTES = used + 100
    message = _rejected(_post(owner_client, tenant, jpeg_bytes(300, 200)), "quota")
    assert "library is full" in message
    assert stored_files() == before
    with scopes_disabled():
        assert Asset.objects.count() == 1


def test_fifty_impostors_are_all_refused(tenant, stored_files):
    """RELIABILITY U2: HTML, PHP, PDF, EXE, SVG and GIF/JS polyglots named .jpg/.png."""
    bodies = [
        b"<html><script>alert(1)</script></html>",
        b"<?php system($_GET['c']); ?>",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50,
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"GIF89a=1;alert(document.domain)//" + b"\x00" * 20,
        b"GIF87a/*" + b"\x00" * 20 + b"*/alert(1)",
        b"\x7fELF\x02\x01\x01" + b"\x00" * 40,
        b"PK\x03\x04" + b"\x00" * 40,
        b"\xff\xd8\xff\xe0<script>alert(1)</script>",  # JPEG magic, no image behind it
        b"\x89PNG\r\n\x1a\n<?php echo 1; ?>",  # PNG magic, no image behind it
        b"RIFF\x00\x00\x00\x00WEBPVP8 <html>",
        b"\x00\x00\x00\x18ftypheic<script>",
        b"BM" + b"\x00" * 60,
        b"II*\x00" + b"\x00" * 40,
        b"SIMPLE  =                    T" + b" " * 50,
        b"#!/bin/sh\nrm -rf /\n",
        b"\xef\xbb\xbf<html></html>",
        b"{\\rtf1\\ansi}",
        b"\x00\x00\x01\x00\x01\x00",  # ICO
        b'<!--#exec cmd="ls" -->',
        b"8BPS\x00\x01",  # PSD
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE (old Office)
        b"\x1f\x8b\x08\x00",  # gzip
        b"Rar!\x1a\x07\x00",
    ]
    names = ["photo.jpg", "photo.png"]
    cases = [(body, name) for body in bodies for name in names]
    assert len(cases) == 50
    accepted = 0
    with tenant_scope(tenant):
        for body, name in cases:
            try:
                services.asset_create_from_upload(
                    tenant=tenant, upload=upload(body, name), file_name=name
                )
                accepted += 1
            except services.images.ImageRejected:
                pass
    assert accepted == 0
    _nothing_written(stored_files)
