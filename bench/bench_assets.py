"""Upload-to-ready for a 12-megapixel JPEG, next to Pillow's bare decode + resize of the same file.

`python -m bench.bench_assets` (or `python -m bench bench_assets`). Self-contained: SQLite and
media in a temporary folder, no server. "Upload-to-ready" is a real multipart POST through the
Django test client (middleware, size-limit handler, validation, re-encoding, three renditions,
storage, database) until the asset is ready. Peak memory is the process RSS above its level
before each run, sampled every 2 ms. Target: upload-to-ready ≤ 1.5 × the bare time."""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lib.testing import PeakRSS

RUNS = 3
TARGET_RATIO = 1.5


def _setup_django(tmp: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["TABLECAST_ENV"] = "development"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["CACHE_URL"] = "locmemcache://bench"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _twelve_megapixel_jpeg() -> bytes:
    from PIL import Image, ImageFilter

    # A photo-like picture: smooth gradients plus sensor-like noise (compresses like a phone shot).
    width, height = 4000, 3000
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40).filter(ImageFilter.GaussianBlur(1))
    img = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _bare(data: bytes) -> None:
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    img.load()
    img.resize((1440, round(1440 * img.height / img.width)))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tablecast-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        _setup_django(tmp)
        _run(_twelve_megapixel_jpeg())


def _run(data: bytes) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from assets import services
    from assets.models import Asset
    from tenants.scoping import tenant_scope
    from tenants.testing import make_member, make_tenant

    tenant = make_tenant("Bench Bistro", slug="bench-bistro")
    client = Client()
    client.force_login(make_member(tenant))
    url = reverse("assets:upload", kwargs={"tenant_slug": tenant.slug})

    _bare(data)  # warm up codecs and imports for both sides
    bare_times, bare_mem, ours_times, ours_mem = [], [], [], []
    for _ in range(RUNS):
        with PeakRSS() as mem:
            started = time.perf_counter()
            _bare(data)
            bare_times.append(time.perf_counter() - started)
        bare_mem.append(mem.growth_mb)

        with PeakRSS() as mem:
            started = time.perf_counter()
            response = client.post(
                url,
                {"file": SimpleUploadedFile("bench.jpg", data, "image/jpeg")},
                HTTP_ACCEPT="application/json",
            )
            result = response.json()["results"][0]
            with tenant_scope(tenant):
                asset = Asset.objects.get(pk=result["asset_id"])
            ours_times.append(time.perf_counter() - started)
        ours_mem.append(mem.growth_mb)
        if not result["ok"] or asset.status != Asset.Status.READY:
            raise RuntimeError(f"upload did not become ready: {result}")
        with tenant_scope(tenant):
            services.assets_delete(
                tenant=tenant, assets=[asset]
            )  # so the next run is not a duplicate

    bare_t, ours_t = statistics.median(bare_times), statistics.median(ours_times)
    ratio = ours_t / bare_t
    print(f"   input: 4000 × 3000 JPEG, {len(data) / 1024**2:.1f} MB; median of {RUNS} runs")
    print(f"   {'':34}{'time':>10}{'peak RSS growth':>18}")
    print(
        f"   {'Pillow bare decode + resize':34}{bare_t * 1000:>8.0f} ms"
        f"{statistics.median(bare_mem):>15.0f} MB"
    )
    print(
        f"   {'upload-to-ready (3 renditions)':34}{ours_t * 1000:>8.0f} ms"
        f"{statistics.median(ours_mem):>15.0f} MB"
    )
    verdict = "holds" if ratio <= TARGET_RATIO else "does NOT hold"
    print(f"   ratio upload-to-ready / bare: {ratio:.2f}× (target ≤ {TARGET_RATIO}×: {verdict})")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
