"""`python -m bench` (or `make bench`): run every benchmark module in this folder.

Each `bench/bench_*.py` exposes `main()`, which prints aligned lines of figures and, where a
target exists, the ratio next to its reference measured in the same run. Each runs in a process
of its own (they configure Django differently: SQLite for the upload benchmark, production
settings on PostgreSQL for the pages), one after the other. Benchmarks only talk to loopback
addresses and stop by themselves."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    only = set(argv)
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_") and (not only or m.name in only)
    )
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        # One broken benchmark must not hide the others' figures.
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=ROOT).returncode:
            failed.append(name)
            print(f"   {name} failed (its error is above)", flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
