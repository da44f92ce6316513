"""Graph sandbox throughput, so later benchmarks know it is not their bottleneck.

Starts the sandbox as a subprocess on a free loopback port (in-process, the client threads
would share its GIL and measure themselves), then for a bounded time each runs a
few client threads doing (a) `GET /v24.0/me` with a user token and appsecret_proof and
(b) a multipart `POST /v24.0/{page}/photos` of a ~200 KB JPEG with a Page token. Prints
aligned `name  value  unit` lines."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import requests
from PIL import Image

from sandbox.config import DEFAULT_APP_SECRET
from sandbox.seed import MARIA_ID, TRATTORIA_ID
from sandbox.state import TABLECAST_SCOPES, appsecret_proof

THREADS = 4
SECONDS = 5.0  # per scenario (≤ 10 s)


def _jpeg_about_200_kb() -> bytes:
    image = Image.effect_noise((580, 580), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _run(
    call: Callable[[requests.Session], requests.Response], seconds: float
) -> tuple[int, int, float]:
    """Run `call` from THREADS threads until the deadline; (ok, errors, elapsed)."""
    deadline = time.perf_counter() + seconds
    counts = [[0, 0] for _ in range(THREADS)]

    def worker(slot: list[int]) -> None:
        session = requests.Session()
        session.trust_env = False
        while time.perf_counter() < deadline:
            response = call(session)
            slot[0 if response.status_code == 200 else 1] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(slot,)) for slot in counts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts), time.perf_counter() - started


def _line(name: str, value: float, unit: str) -> None:
    print(f"{name:<28}{value:>10.0f}  {unit}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_sandbox() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "FACEBOOK_APP_SECRET": DEFAULT_APP_SECRET}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-auto-deliver",
        ],
        stdout=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        try:
            if requests.get(f"{base}/_sandbox/clock", timeout=1).ok:
                return process, base
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the sandbox did not start within 10 s")


def main() -> None:
    """Measure and print; the sandbox process is stopped afterwards."""
    process, base = _start_sandbox()
    try:
        control = requests.Session()
        control.trust_env = False
        # A budget high enough that usage throttling never kicks in during the run.
        control.post(
            f"{base}/_sandbox/usage",
            json={"budgets": dict.fromkeys(("app", "user", "page", "buc"), 10**9)},
        )
        user = control.post(
            f"{base}/_sandbox/tokens", json={"user_id": MARIA_ID, "scopes": TABLECAST_SCOPES}
        ).json()["token"]
        page = control.post(
            f"{base}/_sandbox/tokens",
            json={"user_id": MARIA_ID, "scopes": TABLECAST_SCOPES, "page_id": TRATTORIA_ID},
        ).json()["token"]
        user_params = {
            "access_token": user,
            "appsecret_proof": appsecret_proof(DEFAULT_APP_SECRET, user),
        }
        page_params = {
            "access_token": page,
            "appsecret_proof": appsecret_proof(DEFAULT_APP_SECRET, page),
        }
        jpeg = _jpeg_about_200_kb()

        def graph_get(session: requests.Session) -> requests.Response:
            return session.get(f"{base}/v24.0/me", params=user_params, timeout=10)

        def photo_upload(session: requests.Session) -> requests.Response:
            return session.post(
                f"{base}/v24.0/{TRATTORIA_ID}/photos",
                params=page_params,
                data={"caption": "bench", "published": "false"},
                files={"source": ("bench.jpg", jpeg, "image/jpeg")},
                timeout=30,
            )

        ok, errors, elapsed = _run(graph_get, SECONDS)
        _line("sandbox.graph_get", ok / elapsed, "req/s")
        _line("sandbox.graph_get.errors", errors, "count")
        ok, errors, elapsed = _run(photo_upload, SECONDS)
        _line("sandbox.photo_upload", ok / elapsed, "req/s")
        _line("sandbox.photo_upload.errors", errors, "count")
        _line("sandbox.photo_upload.size", len(jpeg) / 1024, "KiB")
        _line("sandbox.client_threads", THREADS, "threads")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
