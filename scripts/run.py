"""`make run`'s last step: run honcho so that Ctrl-C stops everything and `make` ends cleanly.

Ctrl-C makes the terminal send SIGINT to its whole foreground process group, and under `make`
that group includes make itself: make reports the interrupted recipe ("make: *** Error 130")
and exits by the signal. So, as a shell does for a job, honcho runs in a process group of its
own which is the terminal's foreground group while it runs: Ctrl-C reaches honcho alone, honcho
stops every process and exits 130, and this script turns that (and 143, a SIGTERM it forwarded)
into status 0. Without a terminal (CI, a pipe) honcho simply runs as a child.

Usage: python scripts/run.py COMMAND [ARGS...]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

STOPPED_ON_REQUEST = {130, 143}  # honcho's status after SIGINT / SIGTERM


def _controlling_tty() -> int | None:
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return None
    try:
        if os.tcgetpgrp(fd) == os.getpgrp():  # we are in the foreground: we may hand it over
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def run(command: list[str]) -> int:
    tty = _controlling_tty()
    if tty is not None:
        # Taking the terminal back from the background later would stop us with SIGTTOU.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    child = subprocess.Popen(command, process_group=0 if tty is not None else None)  # noqa: S603

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)  # only without a terminal: otherwise it is honcho's
    try:
        if tty is not None:
            os.tcsetpgrp(tty, child.pid)
        returncode = child.wait()
    finally:
        if tty is not None:
            os.tcsetpgrp(tty, os.getpgrp())
            os.close(tty)
    return 0 if returncode in STOPPED_ON_REQUEST else returncode


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(run(sys.argv[1:]))
