"""Prints where to go once the other processes had a moment to start, then waits (honcho stops
everything when any process exits, so this one stays)."""

import threading
import time
import urllib.request

URL = "http://127.0.0.1:8000/"
for _ in range(60):
    try:
        urllib.request.urlopen(URL + "healthz", timeout=1)  # noqa: S310 (fixed local URL)
        break
    except OSError:
        time.sleep(0.5)
print(
    "\n  Tablecast is running:  "
    + URL
    + "\n  Log in as             demo@tablecast.local / tablecast-demo"
    + "\n  Facebook (sandbox):   http://127.0.0.1:8001/_sandbox/"
    + "\n  OpenAI (sandbox):     http://127.0.0.1:8002/v1 (used when OPENAI_BASE_URL points at it)"
    + "\n  Admin:                "
    + URL
    + "admin/  (same login)"
    + "\n  Stop with Ctrl-C.\n",
    flush=True,
)
threading.Event().wait()
