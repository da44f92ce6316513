"""The webhook receiver under gunicorn on PostgreSQL, next to the floor, in the same run.

`python -m bench.bench_webhooks` (or `python -m bench bench_webhooks`). Production settings
(throwaway secrets), the PostgreSQL server of ``DATABASE_URL`` (a database
``<name>_bench_webhooks`` made and dropped here), the broker of ``CELERY_BROKER_URL`` when it is
Redis (the receiver really enqueues; the queue is purged afterwards), 10 restaurants with 5
Pages each. Two servers are started one after the other with the same gunicorn setup (2
workers × 4 threads, config/gunicorn.py): the real ``/webhooks/facebook`` and the floor
(bench/webhook_floor.py: HMAC verify + JSON parse + one INSERT). For each:

- peak throughput: signed single-message deliveries (each unique, as Meta sends them) from
  8 client threads with keep-alive for a few seconds;
- latency at half of that peak (open loop at a fixed rate): p50 and p99;
- a 1,000-entry batch: median and slowest of 5.

Then, on the real receiver only, 300 deliveries each sent twice in random order from 8 threads:
events stored vs sent (0 lost, 0 duplicated). Targets (docs/webhooks.md, docs/reliability.md):
throughput ≥ 0.6× the floor, p99 ≤ 50 ms at half load, the batch < 1 s. The machine is shared
and the client runs on it too: compare the ratio, not the absolute figures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = secrets.token_hex(16)
THREADS = 8
PEAK_SECONDS = 4.0
HALF_SECONDS = 4.0
TENANTS, PAGES_PER_TENANT = 10, 5
RATIO_TARGET, P99_TARGET_MS, BATCH_TARGET_MS = 0.6, 50.0, 1000.0


def _env(database_url: str) -> dict[str, str]:
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    broker = os.environ.get("CELERY_BROKER_URL", "")
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TABLECAST_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": "https://testserver",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker if broker.startswith("redis") else "memory://",
        "CACHE_URL": os.environ.get("CACHE_URL", "locmemcache://bench-webhooks"),
        "FIELD_ENCRYPTION_KEYS": f"bench:{key}",
        "FACEBOOK_APP_ID": "1234567890123456",
        "FACEBOOK_APP_SECRET": SECRET,
        "FACEBOOK_WEBHOOK_VERIFY_TOKEN": secrets.token_hex(16),
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
    }


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _delivery(page_id: str, mid: str, text: str = "Are you open on Sunday?") -> bytes:
    item = {
        "sender": {"id": str(random.randrange(10**15, 10**16))},
        "recipient": {"id": page_id},
        "timestamp": int(time.time() * 1000),
        "message": {"mid": mid, "text": text},
    }
    payload = {
        "object": "page",
        "entry": [{"id": page_id, "time": item["timestamp"], "messaging": [item]}],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def _batch(page_ids: list[str], tag: str) -> bytes:
    entries = []
    for n in range(1000):
        page_id = page_ids[n % len(page_ids)]
        item = {
            "sender": {"id": f"2{n:015d}"},
            "recipient": {"id": page_id},
            "timestamp": int(time.time() * 1000),
            "message": {"mid": f"m_{tag}_{n}", "text": "Do you have vegan dishes?"},
        }
        entries.append({"id": page_id, "time": item["timestamp"], "messaging": [item]})
    return json.dumps({"object": "page", "entry": entries}, separators=(",", ":")).encode()


class Server:
    """One gunicorn process tree on a free port, stopped on exit."""

    def __init__(self, app: str, env: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [
            sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind",
            f"127.0.0.1:{self.port}", "--access-logfile", "/dev/null", "--log-level", "warning",
            app,
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/webhooks/facebook")
                connection.getresponse().read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _post(connection: http.client.HTTPConnection, body: bytes) -> tuple[int, float]:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": _sign(body)}
    started = time.perf_counter()
    connection.request("POST", "/webhooks/facebook", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status, time.perf_counter() - started


def _threads(work, count: int = THREADS) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@dataclass
class Figures:
    peak: float
    half_p50: float
    half_p99: float
    batch_median: float
    batch_max: float
    errors: int


def _measure(port: int, page_ids: list[str], tag: str) -> Figures:
    serial = iter(range(10**9))
    errors = [0]

    def fresh() -> bytes:
        return _delivery(random.choice(page_ids), f"m_{tag}_{next(serial)}")

    # Peak: closed loop, each thread as fast as the server answers.
    counts = [0] * THREADS
    stop_at = time.perf_counter() + PEAK_SECONDS

    def flood(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop_at:
            status, _ = _post(connection, fresh())
            counts[n] += 1
            errors[0] += status != 200

    started = time.perf_counter()
    _threads(flood)
    peak = sum(counts) / (time.perf_counter() - started)

    # Half load: open loop at peak / 2, latency of each request.
    rate = peak / 2
    latencies: list[float] = []

    def paced(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        interval = THREADS / rate
        due = time.perf_counter() + interval * n / THREADS
        end = time.perf_counter() + HALF_SECONDS
        while due < end:
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            status, took = _post(connection, fresh())
            latencies.append(took)
            errors[0] += status != 200
            due += interval

    _threads(paced)
    quantiles = statistics.quantiles(latencies, n=100)

    # A 1,000-entry batch, five times (fresh items each time).
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    batches = []
    for n in range(5):
        status, took = _post(connection, _batch(page_ids, f"{tag}_batch{n}"))
        errors[0] += status != 200
        batches.append(took)
    return Figures(
        peak=peak,
        half_p50=quantiles[49] * 1000,
        half_p99=quantiles[98] * 1000,
        batch_median=statistics.median(batches) * 1000,
        batch_max=max(batches) * 1000,
        errors=errors[0],
    )


def _replays(port: int, page_ids: list[str]) -> tuple[int, int]:
    """300 deliveries, each POSTed twice, shuffled, from 8 threads; returns (POSTs, 200s)."""
    bodies = [_delivery(page_ids[n % len(page_ids)], f"m_replay_{n}") for n in range(300)]
    sends = bodies * 2
    random.shuffle(sends)
    ok = [0] * THREADS

    def send(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for body in sends[n::THREADS]:
            status, _ = _post(connection, body)
            ok[n] += status == 200

    _threads(send)
    return len(sends), sum(ok)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tablecast-bench-webhooks-"):
        base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tablecast")
        os.environ.update(_env(base_url))
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        if connection.vendor != "postgresql":
            print(f"   needs PostgreSQL (DATABASE_URL is {connection.vendor}); skipped")
            return
        db = settings.DATABASES["default"]
        db["TEST"]["NAME"] = f"{db['NAME']}_bench_webhooks"
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        bench_url = base_url.rsplit("/", 1)[0] + "/" + db["NAME"]
        try:
            _run(bench_url)
        finally:
            connection.close()
            connection.creation.destroy_test_db(old_name, verbosity=0)


def _run(bench_url: str) -> None:
    from django.db import connection

    from social.models import SocialAccount
    from tenants.scoping import scopes_disabled
    from tenants.testing import make_tenant
    from webhooks.models import WebhookEvent

    page_ids = []
    with scopes_disabled():
        for t in range(TENANTS):
            tenant = make_tenant(f"Bench {t}")
            for p in range(PAGES_PER_TENANT):
                page_id = f"1045{t:04d}{p:07d}"
                SocialAccount.objects.create(
                    tenant=tenant, kind="facebook_page", external_id=page_id, name=page_id
                )
                page_ids.append(page_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, dedupe text UNIQUE, body jsonb)"
        )
    env = {**_env(bench_url), "FLOOR_DSN": bench_url.replace("postgres://", "postgresql://")}

    with Server("config.wsgi:application", env) as real:
        receiver = _measure(real.port, page_ids, "real")
        posts, accepted = _replays(real.port, page_ids)
    with Server("bench.webhook_floor:application", env) as floor_server:
        floor = _measure(floor_server.port, page_ids, "floor")

    with scopes_disabled():
        replayed = WebhookEvent.objects.filter(payload__message__mid__startswith="m_replay_")
        stored = replayed.count()
        distinct = replayed.values("payload__message__mid").distinct().count()
    _purge_broker()

    ratio = receiver.peak / floor.peak if floor.peak else 0.0
    print(f"   {'':28} {'receive view':>14} {'floor':>10}   target")
    print(f"   {'peak throughput (req/s)':28} {receiver.peak:14.0f} {floor.peak:10.0f}   "
          f"ratio {ratio:.2f}x (>= {RATIO_TARGET}x) {'ok' if ratio >= RATIO_TARGET else 'MISSED'}")  # fmt: skip
    print(f"   {'p50 at half peak (ms)':28} {receiver.half_p50:14.1f} {floor.half_p50:10.1f}")
    print(f"   {'p99 at half peak (ms)':28} {receiver.half_p99:14.1f} {floor.half_p99:10.1f}   "
          f"<= {P99_TARGET_MS:.0f} ms {'ok' if receiver.half_p99 <= P99_TARGET_MS else 'MISSED'}")  # fmt: skip
    print(f"   {'1,000-entry batch (ms)':28} {receiver.batch_median:14.0f} {floor.batch_median:10.0f}   "
          f"slowest {receiver.batch_max:.0f} ms, < {BATCH_TARGET_MS:.0f} ms "
          f"{'ok' if receiver.batch_max < BATCH_TARGET_MS else 'MISSED'}")  # fmt: skip
    print(f"   {'non-200 answers':28} {receiver.errors:14d} {floor.errors:10d}")
    lost, duplicated = 300 - distinct, stored - distinct
    print(f"   replayed deliveries: {posts} POSTs of 300 messages, {accepted} answered 200 -> "
          f"stored {stored}, lost {lost}, duplicated {duplicated} "
          f"{'ok' if lost == 0 and duplicated == 0 else 'MISSED'}")  # fmt: skip


def _purge_broker() -> None:
    """Drop the processing tasks the benchmark enqueued (no worker runs here)."""
    from config.celery import app

    if not app.conf.broker_url.startswith("redis"):
        return
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("webhooks")  # type: ignore[attr-defined]  # kombu virtual channels have it


if __name__ == "__main__":
    main()
