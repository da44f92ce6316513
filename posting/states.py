"""The publication state machine: the allowed edges and the one function that moves rows.

Every state change of a `Publication` goes through `transition`, a compare-and-set: one
conditional ``UPDATE … WHERE id IN (…) AND state = <expected>``. Whoever loses a race updates
zero rows and learns it from the count; nobody moves a row from a state it did not see. An edge
that is not in `ALLOWED` raises `IllegalTransition` before touching the database.
See docs/publishing.md ("States").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from posting.models import Publication

S = Publication.State

ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        (S.DRAFT, S.SCHEDULED),
        (S.DRAFT, S.HELD),  # scheduled for an account that needs reconnecting
        (S.DRAFT, S.CANCELLED),
        (S.SCHEDULED, S.DRAFT),  # unscheduled by the owner
        (S.SCHEDULED, S.PUBLISHING),  # claimed by the dispatcher
        (S.SCHEDULED, S.HELD),  # its account needs reconnecting / quota spent
        (S.SCHEDULED, S.FAILED),  # a photo it uses was deleted
        (S.SCHEDULED, S.CANCELLED),
        (S.PUBLISHING, S.PUBLISHED),
        (S.PUBLISHING, S.SCHEDULED),  # a retry later (backoff) or a send that never started
        (S.PUBLISHING, S.FAILED),
        (S.PUBLISHING, S.HELD),
        (S.PUBLISHING, S.NEEDS_RECONCILE),  # ambiguous outcome, or the worker died
        (S.NEEDS_RECONCILE, S.PUBLISHED),  # found on Facebook
        (S.NEEDS_RECONCILE, S.SCHEDULED),  # proven absent: a new attempt is safe
        (S.NEEDS_RECONCILE, S.FAILED),  # Instagram says the container failed
        (S.HELD, S.SCHEDULED),  # the owner picked "publish now" or a new time
        (S.HELD, S.CANCELLED),
        (S.FAILED, S.SCHEDULED),  # retry
        (S.FAILED, S.CANCELLED),
    }
)


class IllegalTransition(Exception):
    """An edge that the state machine does not have."""

    def __init__(self, source: str, target: str) -> None:
        super().__init__(f"A publication cannot go from {source} to {target}.")
        self.source = source
        self.target = target


def check(source: str, target: str) -> None:
    if (source, target) not in ALLOWED:
        raise IllegalTransition(source, target)


def transition(
    *,
    ids: Iterable[Any],
    source: str,
    target: str,
    guard: dict[str, Any] | None = None,
    **changes: Any,
) -> int:
    """Move the publications ``ids`` that are still in ``source`` to ``target``, setting
    ``changes`` in the same UPDATE. ``guard`` adds conditions (e.g. ``attempt_count=n``).
    Returns how many rows moved (0 when another process got there first)."""
    check(source, target)
    ids = list(ids)
    if not ids:
        return 0
    # _base_manager: the callers pass ids they already hold (dispatcher, tasks in scope);
    # the WHERE on id + state is the whole guard.
    return Publication._base_manager.filter(pk__in=ids, state=source, **(guard or {})).update(
        state=target, updated_at=timezone.now(), **changes
    )


def move(publication: Publication, target: str, **changes: Any) -> bool:
    """`transition` for one loaded publication, expecting the state it was loaded with. On
    success the instance is updated too."""
    moved = transition(ids=[publication.pk], source=publication.state, target=target, **changes)
    if moved:
        publication.state = target
        for name, value in changes.items():
            if not hasattr(value, "resolve_expression"):
                setattr(publication, name, value)
    return bool(moved)
