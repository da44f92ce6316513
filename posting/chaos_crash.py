"""The Celery app of the J2 run (RELIABILITY J2, docs/publishing.md): the project's app, except
that a worker kills itself (SIGKILL, nothing cleaned up) right after Facebook accepted a post
and before the publication's success is committed — the crash between Graph's answer and our
commit. Loaded only by `posting.chaos.Chaos(app="posting.chaos_crash")`; never by a real worker.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import django

from config.celery import app

django.setup()

from posting import publish  # noqa: E402 (needs the apps loaded above)


def _die_before_commit(*_args: Any, **_kwargs: Any) -> str:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: the process was killed")


publish._succeed = _die_before_commit  # the crash this app exists for

__all__ = ["app"]
