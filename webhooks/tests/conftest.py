from __future__ import annotations

import pytest

from webhooks.tests.helpers import Enqueued


@pytest.fixture
def enqueued(monkeypatch) -> Enqueued:
    """The receiver's enqueue, recorded instead of sent to the broker."""
    from webhooks import tasks

    recorder = Enqueued()
    monkeypatch.setattr(tasks, "delivery_enqueue", recorder)
    return recorder
