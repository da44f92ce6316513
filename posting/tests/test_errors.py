"""Every Graph error code of docs/publishing.md's table: retry, hold or fail, with a sentence.

The expected actions are written out here from Facebook's error list (graph-api §6), not read
from `posting.errors.TABLE`; a table row without a line here fails the coverage test."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from posting import errors
from posting.errors import Action
from social.graph import GraphError, RateLimited, TransientError

R, H, F = Action.RETRY, Action.HOLD, Action.FAIL
EXPECTED: dict[tuple[int, int | None], tuple[Action, str]] = {
    (1, None): (R, ""), (2, None): (R, ""), (3, None): (F, ""), (4, None): (R, ""),
    (10, None): (F, ""), (17, None): (R, ""), (32, None): (R, ""), (100, None): (F, ""),
    (102, None): (H, "reconnect"), (190, None): (H, "reconnect"), (2500, None): (H, "reconnect"),
    (341, None): (R, ""), (368, None): (H, "policy"), (506, None): (F, ""),
    (551, None): (F, ""), (613, None): (R, ""), (80001, None): (R, ""), (80002, None): (R, ""),
    (80003, None): (R, ""), (80004, None): (R, ""), (80005, None): (R, ""),
    (80006, None): (R, ""), (80008, None): (R, ""), (1609005, None): (F, ""),
    (-1, None): (R, ""), (-2, None): (R, ""),
    (-2, 2207003): (R, ""), (-2, 2207020): (R, ""), (-1, 2207001): (R, ""),
    (-1, 2207032): (R, ""), (-1, 2207053): (R, ""), (4, 2207051): (F, ""),
    (9, 2207042): (H, "quota"), (24, 2207006): (F, ""), (24, 2207008): (R, ""),
    (25, 2207050): (F, ""), (100, 2207023): (F, ""), (100, 2207028): (F, ""),
    (100, 2207040): (F, ""), (352, 2207026): (F, ""), (9004, 2207052): (R, ""),
    (9007, 2207027): (R, ""), (36000, 2207004): (F, ""), (36001, 2207005): (F, ""),
    (36003, 2207009): (F, ""), (36004, 2207010): (F, ""),
}  # fmt: skip
# Codes outside the table that a rule still covers.
EXTRA: dict[tuple[int, int | None], Action] = {
    (190, 458): H, (190, 460): H, (190, 463): H, (190, 467): H, (190, 492): H,
    (200, None): F, (230, None): F, (299, None): F, (613, 1996): R,
    (36002, None): F, (10, 2018278): F,
}  # fmt: skip


def error(code, subcode=None, **kw):
    return GraphError("x", code=code, subcode=subcode, fbtrace_id="Atrace", **kw)


@pytest.mark.parametrize("key", list(EXPECTED), ids=[f"{c}/{s}" for c, s in EXPECTED])
def test_each_table_row(key):
    action, hold_reason = EXPECTED[key]
    rule = errors.decide(error(*key))
    assert rule.action == action
    assert rule.hold_reason == hold_reason
    assert rule.sentence.endswith(".")


@pytest.mark.parametrize("key", list(EXTRA), ids=[f"{c}/{s}" for c, s in EXTRA])
def test_codes_covered_by_a_broader_rule(key):
    assert errors.decide(error(*key)).action == EXTRA[key]


def test_every_table_row_has_its_expected_line():
    assert set(errors.TABLE) == set(EXPECTED)


def test_sentences_are_words_not_codes():
    for rule in [*errors.TABLE.values(), errors.UNKNOWN, errors.IG_MEDIA, errors.NO_ANSWER]:
        assert not re.search(r"\d{3,}|#\d|code|subcode|OAuth", rule.sentence), rule.sentence


def test_an_unknown_code_fails_without_retrying_and_says_so():
    rule = errors.decide(error(12345))
    assert rule.action == F and "did not recognise" in rule.sentence


def test_an_unknown_code_flagged_transient_by_instagram_is_retried():
    assert errors.decide(TransientError("x", code=77777)).action == R


def test_no_answer_at_all_is_a_retry_for_the_caller_to_qualify():
    assert errors.decide(TransientError("timeout")).action == R


def test_a_rate_limit_keeps_facebooks_estimate():
    exc = RateLimited("busy", code=80001, retry_after=1800)
    assert errors.decide(exc).action == R and exc.retry_after == 1800


def test_backoff_is_exponential_bounded_and_jittered(settings):
    settings.PUBLISH_BACKOFF_BASE_SECONDS = 60
    settings.PUBLISH_BACKOFF_MAX_SECONDS = 3600
    samples = {n: [errors.backoff(retry=n) for _ in range(200)] for n in range(10)}
    for n, waits in samples.items():
        ceiling = min(3600, 60 * 2**n)
        assert all(timedelta(seconds=ceiling / 2) <= w <= timedelta(seconds=ceiling) for w in waits)
        assert len(set(waits)) > 150  # jitter: not one fixed value
    assert max(samples[9]) <= timedelta(hours=1)


def test_backoff_never_undercuts_facebooks_estimate():
    assert errors.backoff(retry=0, floor_seconds=1800) >= timedelta(seconds=1800)
