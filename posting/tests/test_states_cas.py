"""The compare-and-set of `posting.states` beyond the edge matrix of test_states.py: exactly the
rows named move, the changes ride in the same UPDATE, an illegal edge says which it is, and
`move` keeps the loaded instance in step (docs/mutation.md, module ``publishing_state``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from posting import states
from posting.models import Publication
from posting.states import IllegalTransition
from posting.tests.factories import make_publication

S = Publication.State


def _publication(tenant, page, state=S.SCHEDULED, **fields):
    return make_publication(tenant, account=page, state=state, **fields)


def _row(publication):
    return Publication._base_manager.get(pk=publication.pk)


def test_an_illegal_edge_raises_before_any_query_and_names_both_states(
    db, django_assert_num_queries
):
    with django_assert_num_queries(0), pytest.raises(IllegalTransition) as raised:
        states.transition(ids=[1], source=S.PUBLISHED, target=S.SCHEDULED)
    assert raised.value.source == S.PUBLISHED
    assert raised.value.target == S.SCHEDULED
    assert str(raised.value) == "A publication cannot go from published to scheduled."
    with pytest.raises(IllegalTransition):
        states.check(S.CANCELLED, S.DRAFT)
    assert states.check(S.DRAFT, S.SCHEDULED) is None


def test_no_ids_moves_nothing_and_asks_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert states.transition(ids=[], source=S.SCHEDULED, target=S.PUBLISHING) == 0
        assert states.transition(ids=iter(()), source=S.SCHEDULED, target=S.PUBLISHING) == 0


def test_only_the_rows_named_move_and_an_iterator_of_ids_is_read_once(tenant, page):
    mine, other, third = (_publication(tenant, page) for _ in range(3))
    moved = states.transition(
        ids=(p.pk for p in (mine, third)), source=S.SCHEDULED, target=S.PUBLISHING
    )
    assert moved == 2
    assert [_row(p).state for p in (mine, other, third)] == [
        S.PUBLISHING,
        S.SCHEDULED,
        S.PUBLISHING,
    ]


def test_the_changes_and_a_fresh_updated_at_are_written_in_the_same_update(
    tenant, page, django_assert_num_queries
):
    publication = _publication(tenant, page, state=S.PUBLISHING, attempt_count=3)
    Publication._base_manager.filter(pk=publication.pk).update(
        updated_at=timezone.now() - timedelta(days=1)
    )
    before = timezone.now()
    with django_assert_num_queries(1):
        moved = states.transition(
            ids=[publication.pk],
            source=S.PUBLISHING,
            target=S.FAILED,
            guard={"attempt_count": 3},
            last_error="The page is gone.",
            attempt_count=F("attempt_count") + 1,
        )
    assert moved == 1
    row = _row(publication)
    assert (row.state, row.last_error, row.attempt_count) == (S.FAILED, "The page is gone.", 4)
    assert before <= row.updated_at <= timezone.now()


def test_a_guard_that_matches_lets_the_row_move(tenant, page):
    publication = _publication(tenant, page, state=S.PUBLISHING, attempt_count=2)
    assert (
        states.transition(
            ids=[publication.pk],
            source=S.PUBLISHING,
            target=S.PUBLISHED,
            guard={"attempt_count": 2},
        )
        == 1
    )
    assert _row(publication).state == S.PUBLISHED


def test_move_updates_the_row_and_the_instance_but_not_with_expressions(tenant, page):
    publication = _publication(tenant, page, attempt_count=1)
    assert (
        states.move(publication, S.PUBLISHING, last_error="", attempt_count=F("attempt_count") + 1)
        is True
    )
    assert publication.state == S.PUBLISHING
    assert publication.last_error == ""
    assert publication.attempt_count == 1  # the F() expression is left for the database
    row = _row(publication)
    assert (row.state, row.attempt_count) == (S.PUBLISHING, 2)


def test_move_sets_plain_values_on_the_instance(tenant, page):
    publication = _publication(tenant, page, state=S.PUBLISHING)
    assert states.move(publication, S.FAILED, last_error="Gone.", next_attempt_at=None) is True
    assert (publication.state, publication.last_error) == (S.FAILED, "Gone.")
    assert _row(publication).last_error == "Gone."


def test_move_of_a_stale_instance_changes_neither_row_nor_instance(tenant, page):
    publication = _publication(tenant, page)
    Publication._base_manager.filter(pk=publication.pk).update(state=S.PUBLISHING)
    assert states.move(publication, S.CANCELLED, last_error="Cancelled.") is False
    assert publication.state == S.SCHEDULED
    assert publication.last_error == ""
    assert _row(publication).state == S.PUBLISHING
