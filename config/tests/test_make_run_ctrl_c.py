"""`make run` ends cleanly on Ctrl-C (scripts/run.py): a Makefile recipe runs a stand-in for
honcho (it exits 130 on SIGINT, as honcho does) through scripts/run.py on a pseudo-terminal,
and Ctrl-C is typed into that terminal, exactly as a person does."""

from __future__ import annotations

import os
import pty
import select
import shutil
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# On SIGINT it leaves a file behind (what the terminal shows can be cut short: Linux may drop
# a pseudo-terminal's last output when its last process exits) and lingers a moment, so the
# "stopping" line is read before the terminal closes.
HONCHO_LIKE = (
    "import pathlib, signal, sys, time\n"
    "def stop(*args):\n"
    "    pathlib.Path('stopped').write_text('yes')\n"
    "    print('stopping', flush=True)\n"
    "    time.sleep(0.3)\n"
    "    sys.exit(130)\n"
    "signal.signal(signal.SIGINT, stop)\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


def run_make_and_press_ctrl_c(tmp_path: Path, recipe: str) -> tuple[int, str]:
    (tmp_path / "child.py").write_text(HONCHO_LIKE)
    (tmp_path / "Makefile").write_text(f"run:\n\t{recipe}\n")
    pid, fd = pty.fork()
    if pid == 0:  # the child: make, in a new session on the pseudo-terminal
        os.chdir(tmp_path)
        os.execvp("make", ["make", "--no-print-directory", "run"])  # noqa: S606 (fixed argv)
    out, pressed, deadline = b"", False, time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not pressed and b"ready" in out:
            os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to its foreground group
            pressed = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_ctrl_c_in_make_run_ends_with_status_0_and_no_make_error(tmp_path):
    recipe = f"{sys.executable} {ROOT / 'scripts' / 'run.py'} {sys.executable} child.py"
    status, out = run_make_and_press_ctrl_c(tmp_path, recipe)
    assert (tmp_path / "stopped").exists(), out  # the child got the Ctrl-C and stopped
    assert status == 0, out
    assert "Error" not in out and "Interrupt" not in out, out


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_without_scripts_run_make_reports_the_interrupt(tmp_path):
    """The failure this guards against, so the test above can tell the difference."""
    status, out = run_make_and_press_ctrl_c(tmp_path, f"{sys.executable} child.py")
    assert status != 0
    assert "Error 130" in out or "Interrupt" in out, out
