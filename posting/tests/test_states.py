"""J4: every state × state edge; only the allowed ones move a row, all others raise."""

from __future__ import annotations

import itertools

import pytest

from posting import states
from posting.models import Post, Publication
from posting.states import IllegalTransition
from tenants.scoping import scopes_disabled

S = Publication.State
# Written out by hand from docs/publishing.md, not derived from states.ALLOWED.
EXPECTED = {
    ("draft", "scheduled"), ("draft", "held"), ("draft", "cancelled"),
    ("scheduled", "draft"), ("scheduled", "publishing"), ("scheduled", "held"),
    ("scheduled", "failed"), ("scheduled", "cancelled"),
    ("publishing", "published"), ("publishing", "scheduled"), ("publishing", "failed"),
    ("publishing", "held"), ("publishing", "needs_reconcile"),
    ("needs_reconcile", "published"), ("needs_reconcile", "scheduled"),
    ("needs_reconcile", "failed"),
    ("held", "scheduled"), ("held", "cancelled"),
    ("failed", "scheduled"), ("failed", "cancelled"),
}  # fmt: skip


@pytest.fixture
def publication(tenant, page):
    with scopes_disabled():
        post = Post.objects.create(tenant=tenant, text="Hello")
        return Publication.objects.create(
            tenant=tenant, post=post, account=page, network="facebook", shape="fb_text"
        )


def _set(publication, state):
    Publication._base_manager.filter(pk=publication.pk).update(state=state)


def _state(publication):
    return Publication._base_manager.get(pk=publication.pk).state


@pytest.mark.parametrize("source,target", list(itertools.product(S.values, S.values)))
def test_every_edge_of_the_state_matrix(publication, source, target):
    _set(publication, source)
    if (source, target) in EXPECTED:
        assert states.transition(ids=[publication.pk], source=source, target=target) == 1
        assert _state(publication) == target
    else:
        with pytest.raises(IllegalTransition):
            states.transition(ids=[publication.pk], source=source, target=target)
        assert _state(publication) == source


def test_the_table_has_exactly_the_documented_edges():
    assert set(states.ALLOWED) == EXPECTED


def test_published_and_cancelled_are_final():
    for final in (S.PUBLISHED, S.CANCELLED):
        assert not [t for (s, t) in states.ALLOWED if s == final]


def test_a_transition_from_a_state_the_row_is_no_longer_in_moves_nothing(publication):
    """Compare-and-set: the loser of a race updates zero rows."""
    _set(publication, S.SCHEDULED)
    assert states.transition(ids=[publication.pk], source=S.SCHEDULED, target=S.PUBLISHING) == 1
    assert states.transition(ids=[publication.pk], source=S.SCHEDULED, target=S.PUBLISHING) == 0
    assert states.transition(ids=[publication.pk], source=S.SCHEDULED, target=S.CANCELLED) == 0
    assert _state(publication) == S.PUBLISHING


def test_a_guard_on_the_claim_number_stops_a_stale_worker(publication):
    _set(publication, S.PUBLISHING)
    Publication._base_manager.filter(pk=publication.pk).update(attempt_count=2)
    stale = states.transition(
        ids=[publication.pk], source=S.PUBLISHING, target=S.PUBLISHED, guard={"attempt_count": 1}
    )
    assert stale == 0
    assert _state(publication) == S.PUBLISHING
