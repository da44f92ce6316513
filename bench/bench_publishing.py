"""The publishing pipeline end to end, next to the sandbox's raw capacity for the same calls.

`python -m bench.bench_publishing [--publications N] [--restaurants R] [--workers W]
[--kills K] [--j1-posts P] [--j1-workers W] [--j1-kills K]` (or `python -m bench
bench_publishing` with the defaults: the sizes of issue 10 — 10,000 due publications over 1,000
restaurants with 2,000 accounts, W = 8 workers; J1 at 1,000 posts, 8 workers, 10 kills).

On the PostgreSQL server of ``DATABASE_URL`` (a database ``<name>_bench_publishing`` made and
dropped here), Redis from ``CELERY_BROKER_URL``, the Graph sandbox as a subprocess on a free
loopback port (docs/publishing.md):

1. raw capacity: W × T client threads making exactly the call one text publication costs
   (``POST /{page}/feed?fields=id,permalink_url``: the post and its permalink, read after
   write) straight at the sandbox, measured before and again after (2) — the machine is shared,
   so the ratio uses their mean;
2. pipeline: the due publications, W Celery worker processes and one beat (dispatch and sweep
   every second) drain them; posts per second next to (1) with the ratio (target ≥ 0.8×),
   claim-to-start latency p50 / p99 (attempt start − claim), duplicates and missing (both 0).
   (1) and (2) run once per ``--graph-latency`` (default ``0,0.2,0.3``): the target is judged
   at 0.3 s per post, about as fast as Facebook answers a Graph write, where the ratio compares
   how well the pipeline keeps W × T calls in flight; an instant sandbox, where it compares
   CPU per post on one shared machine, and 0.2 s are printed beside it with no target
   (docs/publishing.md, "Which reading of the 0.8× target counts");
3. J1 full size: the chaos run (`posting.chaos`): every task sent twice, two beats, random
   kill -9 of workers; exactly one sandbox post per publication.

Loopback only; every process started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from bench.bench_sandbox import _start_sandbox

PRINT = "{:<34}{:>12}  {}"
# The run the 0.8× target is judged on: the sandbox answering a post in 0.3 s, about as fast as
# Facebook answers a Graph write. Other latencies are printed beside it with no target
# (docs/publishing.md, "Which reading of the 0.8× target counts").
TARGET_LATENCY = 0.3
TARGET_RATIO = 0.8


def _ratio_note(latency: float, ratio: float) -> str:
    if latency == TARGET_LATENCY:
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        return f"× raw, target ≥ {TARGET_RATIO}: {verdict} (0.3 s per post, a Graph write)"
    if latency == 0:
        return "× raw, no target: an instant sandbox, so CPU per post on this machine"
    return f"× raw, no target: {latency:g} s per post"


def _line(name: str, value: Any, unit: str = "") -> None:
    text = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
    print(PRINT.format(name, text, unit), flush=True)


class Sandbox:
    def __init__(self, base: str) -> None:
        self.url = base
        self.session = requests.Session()
        self.session.trust_env = False
        from sandbox.config import DEFAULT_APP_ID, DEFAULT_APP_SECRET

        self.app_id, self.app_secret = DEFAULT_APP_ID, DEFAULT_APP_SECRET

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.url}/_sandbox/{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json()

    def requests_log(self, path: str, method: str) -> list[dict[str, Any]]:
        return self.control("GET", "requests", params={"path": path, "method": method})


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_backends() -> list[int]:
    """The PostgreSQL server processes serving this database (the workers' connections)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _pages(sb: Sandbox, count: int) -> list[tuple[str, str]]:
    """``count`` Pages managed by one sandbox user, each with its Page token."""
    from sandbox.state import TABLECAST_SCOPES

    user = sb.control("POST", "users", json={"name": "Bench Owner"})
    user_id = user["id"]
    pages = []
    for i in range(count):
        page = sb.control("POST", "pages", json={"name": f"Bench Page {i}", "managers": [user_id]})
        token = sb.control(
            "POST",
            "tokens",
            json={"user_id": user_id, "scopes": TABLECAST_SCOPES, "page_id": page["id"]},
        )["token"]
        pages.append((page["id"], token))
    return pages


def _raw_capacity(sb: Sandbox, pages: list[tuple[str, str]], threads: int, seconds: float):
    """Text publications per second when the sandbox is called directly (no app)."""
    from sandbox.state import appsecret_proof

    deadline = time.perf_counter() + seconds
    done = [0] * threads

    def client(slot: int) -> None:
        session = requests.Session()
        session.trust_env = False
        n = 0
        while time.perf_counter() < deadline:
            page_id, token = pages[(slot + n * threads) % len(pages)]
            auth = {"Authorization": f"Bearer {token}"}
            proof = {"appsecret_proof": appsecret_proof(sb.app_secret, token)}
            body = {"message": f"raw {slot}-{n}"}
            # The app's call for a text post: create, with the permalink read after write.
            created = session.post(
                f"{sb.url}/v24.0/{page_id}/feed",
                params={**proof, "fields": "id,permalink_url"},
                data=body,
                headers=auth,
                timeout=10,
            )
            if created.ok and created.json().get("permalink_url"):
                done[slot] += 1
            n += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / (time.perf_counter() - started)


def _seed(
    pages: list[tuple[str, str]], *, restaurants: int, publications: int, prefix: str, due_in=0
):
    """Restaurants with two accounts each (Pages of the sandbox) and text publications due in
    ``due_in`` seconds (time for the worker processes to start)."""
    from datetime import timedelta

    from django.utils import timezone

    from posting.models import Post, Publication
    from social.models import SocialAccount
    from tenants.models import Tenant
    from tenants.scoping import scopes_disabled

    now = timezone.now() + timedelta(seconds=due_in)
    with scopes_disabled():
        tenants = Tenant.objects.bulk_create(
            [Tenant(name=f"{prefix} {i}", slug=f"{prefix.lower()}-{i}") for i in range(restaurants)]
        )
        accounts = []
        for i, (page_id, token) in enumerate(pages):
            account = SocialAccount(
                tenant=tenants[i % restaurants],
                kind=SocialAccount.Kind.FACEBOOK_PAGE,
                external_id=page_id,
                name=f"Page {page_id}",
            )
            account.page_token = token  # encrypted on save (bound to the row)
            account.save()
            accounts.append(account)
        posts = Post.objects.bulk_create(
            [
                Post(
                    tenant_id=accounts[i % len(accounts)].tenant_id,
                    text=f"{prefix} post {i}",
                    scheduled_at=now,
                )
                for i in range(publications)
            ],
            batch_size=2000,
        )
        Publication.objects.bulk_create(
            [
                Publication(
                    tenant_id=post.tenant_id,
                    post=post,
                    account=accounts[i % len(accounts)],
                    network="facebook",
                    shape="fb_text",
                    state="scheduled",
                    next_attempt_at=now,
                )
                for i, post in enumerate(posts)
            ],
            batch_size=2000,
        )


def _outcome(sb: Sandbox, prefix: str, expected: int) -> tuple[int, int]:
    """(duplicates, missing) by message on the sandbox."""
    posts = [p for p in sb.control("GET", "posts") if p["from_app"]]
    counts = Counter(p["message"] for p in posts if p["message"].startswith(f"{prefix} post "))
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    return duplicates, expected - len(counts)


def _latencies() -> tuple[list[float], list[float]]:
    """Per publication: first attempt's start − its claim, and − its due time (J5)."""
    from posting.models import PublishAttempt
    from tenants.scoping import scopes_disabled

    with scopes_disabled():
        rows = list(
            PublishAttempt.objects.filter(number=1).values_list(
                "started_at", "publication__claimed_at", "publication__post__scheduled_at"
            )
        )
    claim = sorted((start - claimed).total_seconds() for start, claimed, _due in rows if claimed)
    due = sorted((start - when).total_seconds() for start, _claimed, when in rows if when)
    return claim, due


def _claim_to_last_publish() -> float:
    from django.db.models import Max, Min

    from posting.models import Publication
    from tenants.scoping import scopes_disabled

    with scopes_disabled():
        span = Publication.objects.aggregate(first=Min("claimed_at"), last=Max("published_at"))
    if not span["first"] or not span["last"]:
        return 0.0
    return (span["last"] - span["first"]).total_seconds()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


def _reset_publications() -> None:
    from posting.models import Post, PublishAttempt
    from tenants.scoping import scopes_disabled

    with scopes_disabled():
        PublishAttempt.objects.all().delete()
        Post.objects.all().delete()


def _pipeline(sb: Sandbox, args, tmp: Path, *, latency: float, prefix: str) -> float:
    """One pipeline run with ``latency`` seconds added to every post on the sandbox (raw calls
    and pipeline alike); returns the ratio to raw capacity."""
    from posting import chaos

    print(f"-- Graph latency {latency:g} s per post", flush=True)
    pages = _pages(sb, args.restaurants * 2)
    _line("setup.pages", len(pages), "sandbox Pages with tokens")
    if latency:  # Facebook's answer time, for the raw calls and the pipeline alike
        sb.control("POST", "faults", json={"kind": "delay", "delay": latency,
                                           "route": "/*/feed", "method": "POST"})  # fmt: skip
    _line("sandbox.latency", latency, "s added to every POST /feed")
    clients = args.workers * args.threads
    before = _cpu_seconds([args.sandbox_pid])
    raw_before = _raw_capacity(sb, pages, threads=clients, seconds=args.raw_seconds)
    # The sandbox's own CPU per raw post (the part of the cost both sides share).
    raw_cpu_ms = (
        1000 * (_cpu_seconds([args.sandbox_pid]) - before) / (raw_before * args.raw_seconds)
    )
    _line("sandbox.raw_before", raw_before, f"posts/s, {clients} client threads")
    _seed(
        pages,
        restaurants=args.restaurants,
        publications=args.publications,
        prefix=prefix,
        due_in=20,
    )
    chaos.schedule_fast_beat(seconds=1)
    chaos.purge_publish_queue()
    run = chaos.Chaos(
        # No kills here: "stuck" at its production order of magnitude, so a deep queue is
        # not mistaken for dead workers.
        env=chaos.chaos_env(sandbox=sb, PUBLISH_STUCK_AFTER_SECONDS=600),
        workers=args.workers,
        threads=args.threads,
        beats=1,
        kills=0,
        log_dir=tmp,
        duplicate=False,
    )
    sandbox_cpu = _cpu_seconds([args.sandbox_pid])
    try:
        run.start()
        drained = run.wait_until_drained(expected=args.publications, timeout=args.timeout)
        # Where the CPU went, per publication (measured before the processes stop).
        cpu = {
            "workers": _cpu_seconds([w.pid for w in run.workers]),
            "beat": _cpu_seconds([b.pid for b in run.beats]),
            "postgres": _cpu_seconds(_postgres_backends()),
            "sandbox": _cpu_seconds([args.sandbox_pid]) - sandbox_cpu,
        }
    finally:
        run.stop()
    # From the first claim to the last publication: the processes' start-up is not counted.
    elapsed = _claim_to_last_publish()
    rate = args.publications / elapsed if elapsed else 0.0
    duplicates, missing = _outcome(sb, prefix, args.publications)
    # The machine is shared: raw capacity measured again right after, the ratio uses the mean.
    raw_after = _raw_capacity(sb, pages, threads=clients, seconds=args.raw_seconds)
    raw = (raw_before + raw_after) / 2
    _line("sandbox.raw_after", raw_after, f"posts/s, {clients} client threads")
    _line("sandbox.raw_posts_per_second", raw, "mean of before and after")
    latencies, late = _latencies()
    _line("pipeline.publications", args.publications, f"over {args.restaurants:,} restaurants")
    _line(
        "pipeline.seconds",
        elapsed,
        "first claim → last published" + ("" if drained else " (NOT drained: timeout)"),
    )
    _line("pipeline.posts_per_second", rate, f"{args.workers} workers × {args.threads} threads")
    ratio = rate / raw if raw else 0.0
    _line("pipeline.ratio_to_raw", ratio, _ratio_note(latency, ratio))
    _line("pipeline.claim_to_start_p50", _percentile(latencies, 0.5), "s")
    _line("pipeline.claim_to_start_p99", _percentile(latencies, 0.99), "s")
    _line("pipeline.due_to_start_p50", _percentile(late, 0.5), "s late")
    _line("pipeline.due_to_start_p99", _percentile(late, 0.99), "s late (J5 target ≤ 120)")
    _line("pipeline.duplicates", duplicates, "(target 0)")
    _line("pipeline.missing", missing, "(target 0)")
    for name, seconds in cpu.items():
        _line(f"pipeline.cpu_ms_per_post.{name}", 1000 * seconds / args.publications, "ms")
    _line("sandbox.raw_cpu_ms_per_post", raw_cpu_ms, "ms (sandbox process, raw calls)")
    _reset_publications()
    sb.control("DELETE", "faults")
    return ratio


def _j1(sb: Sandbox, args, tmp: Path) -> None:
    from posting import chaos

    pages = _pages(sb, 3)
    _seed(pages, restaurants=1, publications=args.j1_posts, prefix="Chaos")
    chaos.schedule_fast_beat(seconds=2)
    chaos.purge_publish_queue()
    run = chaos.Chaos(
        env=chaos.chaos_env(sandbox=sb),
        workers=args.j1_workers,
        beats=2,
        kills=args.j1_kills,
        kill_window=max(10.0, args.j1_posts / 50),
        log_dir=tmp,
    )
    started = time.perf_counter()
    try:
        run.start()
        run.kill_some()
        drained = run.wait_until_drained(expected=args.j1_posts, timeout=args.timeout)
    finally:
        run.stop()
    duplicates, missing = _outcome(sb, "Chaos", args.j1_posts)
    _line("j1.publications", args.j1_posts, f"{args.j1_workers} workers, 2 beats")
    _line("j1.kill_9", run.kills_done, "workers killed")
    _line("j1.duplicate_tasks_sent", run.duplicates_sent, "extra publish tasks")
    _line("j1.seconds", time.perf_counter() - started, "drained" if drained else "NOT drained")
    _line("j1.duplicates", duplicates, "(target 0)")
    _line("j1.missing", missing, "(target 0)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_publishing")
    parser.add_argument("--publications", type=int, default=10_000)
    parser.add_argument("--restaurants", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4, help="tasks at once per worker")
    parser.add_argument("--j1-posts", type=int, default=1_000)
    parser.add_argument("--j1-workers", type=int, default=8)
    parser.add_argument("--j1-kills", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--raw-seconds", type=float, default=10.0, help="each raw measurement")
    parser.add_argument(
        "--graph-latency",
        type=lambda text: [float(part) for part in text.split(",")],
        default=[0.0, 0.2, TARGET_LATENCY],
        help="seconds the sandbox takes per post, one pipeline run each (comma-separated)",
    )
    parser.add_argument("--skip-j1", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    process, base = _start_sandbox()
    args.sandbox_pid = process.pid
    with tempfile.TemporaryDirectory(prefix="tablecast-bench-publishing-") as tmp_dir:
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        db = settings.DATABASES["default"]
        db["TEST"]["NAME"] = f"{db['NAME']}_bench_publishing"
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        try:
            sb = Sandbox(base)
            sb.control(
                "POST",
                "usage",
                json={"budgets": dict.fromkeys(("app", "user", "page", "buc"), 10**9)},
            )
            sb.control("POST", "limits", json={"container_processing_seconds": 0})
            ratios = {
                latency: _pipeline(sb, args, Path(tmp_dir), latency=latency, prefix=f"Bench{n}")
                for n, latency in enumerate(args.graph_latency)
            }
            for latency, ratio in ratios.items():
                _line(f"summary.ratio_at_{latency:g}_s", ratio, _ratio_note(latency, ratio))
            if not args.skip_j1:
                _j1(sb, args, Path(tmp_dir))
        finally:
            from django.db import connections

            connections.close_all()
            connection.creation.destroy_test_db(old_name, verbosity=0)
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1:])
