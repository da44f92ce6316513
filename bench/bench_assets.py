"""Upload-to-ready for a 12-megapixel JPEG, next to Pillow's bare decode + resize of the same file.

`python -m bench.bench_assets` (or `python -m bench bench_assets`). Self-contained: SQLite and
media in a temporary folder, no server. "Upload-to-ready" is one multipart POST through the
Django test client (middleware, size-limit handler, multipart parsing, validation, the stored
original, three renditions, storage, database) until its response: photos of this size get
their renditions inside the request, so the response means the asset is ready. The body is
encoded once beforehand (a browser does that on its side) and each upload is checked after its
timer stops: ready, not a duplicate, three renditions. The photo is uploaded twice per run: as
it is (an upright JPEG, whose compressed pixels are kept) and with EXIF orientation 6 (decoded in
full, turned and re-encoded: `assets.images.normalise`). Every side runs `RUNS` times,
alternating; the figures are medians with the spread (fastest–slowest), and the CPU time of the
whole process (every thread), which a busy machine inflates much less than the wall time. Peak
memory is the process RSS above its level before one more run of each, sampled every 2 ms (the
sampler is kept out of the timed runs). Target: upload-to-ready of the upright photo ≤ 1.2 ×
the bare time (docs/performance.md)."""

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
# The target is for the upright photo; the rotated one shows what the slower path costs.
UPRIGHT = "upload-to-ready, upright (kept as is)"
ROTATED = "upload-to-ready, EXIF-rotated (re-encoded)"


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


def _rotated(data: bytes) -> bytes:
    """The same JPEG with EXIF orientation 6 ("rotate 90°", as phones often save portraits):
    its original has to be decoded in full, turned and re-encoded."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6
    app1 = exif.tobytes()
    return data[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + data[2:]


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
    from django.test.client import BOUNDARY, encode_multipart
    from django.urls import reverse

    from assets import services
    from assets.models import Asset, Rendition
    from tenants.scoping import tenant_scope
    from tenants.testing import make_member, make_tenant

    tenant = make_tenant("Bench Bistro", slug="bench-bistro")
    client = Client()
    client.force_login(make_member(tenant))
    url = reverse("assets:upload", kwargs={"tenant_slug": tenant.slug})
    bodies = {
        label: encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("b.jpg", jpeg, "image/jpeg")})
        for label, jpeg in ((UPRIGHT, data), (ROTATED, _rotated(data)))
    }
    responses = []

    def upload(body: bytes) -> None:
        responses.append(
            client.generic(
                "POST",
                url,
                body,
                content_type=f"multipart/form-data; boundary={BOUNDARY}",
                headers={"accept": "application/json"},
            )
        )

    def check_ready_and_delete() -> None:  # not timed
        result = responses.pop().json()["results"][0]
        with tenant_scope(tenant):
            asset = Asset.objects.get(pk=result["asset_id"])
            kinds = sorted(Rendition.objects.filter(asset=asset).values_list("kind", flat=True))
            ready = asset.status == Asset.Status.READY and kinds == ["instagram", "thumb", "web"]
            if not result["ok"] or result["duplicate"] or not ready:
                raise RuntimeError(f"upload did not become ready: {result} {kinds}")
            services.assets_delete(tenant=tenant, assets=Asset.objects.filter(tenant=tenant))

    _bare(data)  # warm up codecs, imports and the worker threads for every side
    for body in bodies.values():
        upload(body)
        check_ready_and_delete()
    bare, ours = _Timings(), {label: _Timings() for label in bodies}
    load_before = os.getloadavg()
    for _ in range(RUNS):
        bare.measure(lambda: _bare(data))
        for label, body in bodies.items():
            ours[label].measure(lambda body=body: upload(body))
            check_ready_and_delete()
    load_after = os.getloadavg()
    with PeakRSS() as bare.memory:
        _bare(data)
    for label, body in bodies.items():
        with PeakRSS() as ours[label].memory:
            upload(body)
        check_ready_and_delete()

    print(f"   input: 4000 × 3000 JPEG, {len(data) / 1024**2:.1f} MB; median of {RUNS} runs")
    print(
        f"   load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
        f"({os.cpu_count()} cores)"
    )
    print(f"   {'':42}{'time':>10}{'spread':>16}{'CPU time':>12}{'peak RSS growth':>18}")
    for label, timings in (("Pillow bare decode + resize", bare), *ours.items()):
        spread = f"{min(timings.wall) * 1000:.0f}–{max(timings.wall) * 1000:.0f} ms"
        print(
            f"   {label:42}{timings.median * 1000:>7.0f} ms{spread:>16}"
            f"{timings.cpu_median * 1000:>9.0f} ms{timings.memory.growth_mb:>15.0f} MB"
        )
    for label, timings in ours.items():
        ratio = timings.median / bare.median
        ratios = sorted(o / b for o, b in zip(timings.wall, bare.wall, strict=True))
        target = "holds" if ratio <= TARGET_RATIO else "does NOT hold"
        print(
            f"   {label.split(',')[1].strip()} / bare: {ratio:.2f}× (run by run {ratios[0]:.2f}–"
            f"{ratios[-1]:.2f}×; CPU time {timings.cpu_median / bare.cpu_median:.2f}×)"
            + (f"; target ≤ {TARGET_RATIO}×: {target}" if label == UPRIGHT else "")
        )


class _Timings:
    """Wall-clock and CPU time (every thread of the process) of each run."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.memory = PeakRSS()

    def measure(self, call) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        self.wall.append(time.perf_counter() - started)
        self.cpu.append(time.process_time() - cpu_started)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
