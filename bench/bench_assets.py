"""Upload-to-ready for a 12-megapixel JPEG, next to Pillow's bare decode + resize of the same file.

`python -m bench.bench_assets` (or `python -m bench bench_assets`). Self-contained: SQLite and
media in a temporary folder, no server. "Upload-to-ready" is a real multipart POST through the
Django test client (middleware, size-limit handler, validation, re-encoding, three renditions,
storage, database) until the asset is ready. Both sides run `RUNS` times, alternating; the
figures are medians with the spread (fastest–slowest). Peak memory is the process RSS above its
level before one more run of each, sampled every 2 ms (the sampler is kept out of the timed runs).
Target: upload-to-ready ≤ 1.2 × the bare time (docs/performance.md)."""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lib.testing import PeakRSS

RUNS = 7
TARGET_RATIO = 1.2


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

    def upload() -> None:
        response = client.post(
            url,
            {"file": SimpleUploadedFile("bench.jpg", data, "image/jpeg")},
            HTTP_ACCEPT="application/json",
        )
        result = response.json()["results"][0]
        with tenant_scope(tenant):
            asset = Asset.objects.get(pk=result["asset_id"])
        if not result["ok"] or result["duplicate"] or asset.status != Asset.Status.READY:
            raise RuntimeError(f"upload did not become ready: {result}")

    def delete_uploads() -> None:  # so the next run is not a duplicate; not timed
        with tenant_scope(tenant):
            services.assets_delete(tenant=tenant, assets=Asset.objects.filter(tenant=tenant))

    _bare(data)  # warm up codecs, imports and the worker threads for both sides
    upload()
    delete_uploads()
    bare_times, ours_times = [], []
    for _ in range(RUNS):
        bare_times.append(_timed(lambda: _bare(data)))
        ours_times.append(_timed(upload))
        delete_uploads()
    with PeakRSS() as bare_mem:
        _bare(data)
    with PeakRSS() as ours_mem:
        upload()

    bare_t, ours_t = statistics.median(bare_times), statistics.median(ours_times)
    ratio = ours_t / bare_t
    print(f"   input: 4000 × 3000 JPEG, {len(data) / 1024**2:.1f} MB; median of {RUNS} runs")
    print(f"   {'':34}{'time':>10}{'spread':>16}{'peak RSS growth':>18}")
    for label, times, mem in (
        ("Pillow bare decode + resize", bare_times, bare_mem),
        ("upload-to-ready (3 renditions)", ours_times, ours_mem),
    ):
        spread = f"{min(times) * 1000:.0f}–{max(times) * 1000:.0f} ms"
        print(
            f"   {label:34}{statistics.median(times) * 1000:>7.0f} ms{spread:>16}"
            f"{mem.growth_mb:>15.0f} MB"
        )
    ratios = sorted(o / b for o, b in zip(ours_times, bare_times, strict=True))
    verdict = "holds" if ratio <= TARGET_RATIO else "does NOT hold"
    print(
        f"   ratio upload-to-ready / bare: {ratio:.2f}× (run by run {ratios[0]:.2f}–"
        f"{ratios[-1]:.2f}×; target ≤ {TARGET_RATIO}×: {verdict})"
    )


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
