"""lib.tasks.enqueue_on_commit: after commit, at once without a transaction, never on rollback."""

from __future__ import annotations

import pytest
from django.db import transaction

from lib.tasks import enqueue_on_commit


class RecordingTask:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def apply_async(self, *, kwargs: dict) -> None:
        self.sent.append(kwargs)


def test_a_task_enqueued_in_a_transaction_is_sent_only_after_commit(
    db, django_capture_on_commit_callbacks
):
    task = RecordingTask()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit(task, tenant_id=1, asset_id=2)
        assert task.sent == []
    for callback in callbacks:
        callback()
    assert task.sent == [{"tenant_id": 1, "asset_id": 2}]


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_outside_a_transaction_is_sent_at_once():
    task = RecordingTask()
    enqueue_on_commit(task, tenant_id=1, asset_id=2)
    assert task.sent == [{"tenant_id": 1, "asset_id": 2}]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing():
    task = RecordingTask()
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(task, tenant_id=1, asset_id=2)
        raise RuntimeError("roll back")
    assert task.sent == []


def test_task_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        enqueue_on_commit(RecordingTask(), 1, 2)  # type: ignore[call-arg]
