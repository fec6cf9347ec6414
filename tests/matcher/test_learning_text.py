"""Stage zero of the learner: the text's weight chosen on the seen lists (learning_text)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from matcher.matching.learning import fit_overlay
from matcher.matching.learning_data import LearnSettings, gain
from matcher.matching.learning_loop import learn
from matcher.matching.learning_text import seen_ndcg, text_prior
from tests.matcher.test_learning import COMPONENTS, current, officers_who_follow_the_text, pair

SETTINGS = LearnSettings(
    min_decisions=2, strength=200.0, category_strength=1e6, min_category_decisions=10**6
)
"""A strong pull toward the prior, and a category part that cannot move: what stage zero does
shows plainly."""
STAGE_ZERO = replace(SETTINGS, min_category_decisions=20)
"""The same with stage zero (and a category part, held by its pull) from 20 reviewed pairs."""


def officers_who_follow_the_region(enterprises: int):  # type: ignore[no-untyped-def]
    """The same pairs, the local partner signed: the active weights already rank them right."""
    swap = {"signed": "rejected", "rejected": "signed"}
    return [
        replace(d, outcome=swap.get(d.outcome, d.outcome))
        for d in officers_who_follow_the_text(enterprises)
    ]


def test_the_seen_lists_ndcg_is_scikit_learns_with_ties_to_the_lower_partner_id() -> None:
    rng = np.random.default_rng(0)
    outcomes = ["signed", "contacted", "rejected", "rejected", "shortlisted", "rejected"] * 3
    items = [pair(0, p, o, "county", 0.0) for p, o in enumerate(outcomes)]
    scores = rng.normal(size=len(items))
    gains = np.array([[gain(d.outcome) for d in items]], dtype=float)
    assert seen_ndcg(items, scores) == pytest.approx(ndcg_score(gains, scores[None, :], k=10))
    # A tie goes to the lower partner id (p0 before p1), as the ranking breaks it.
    two = [pair(0, 0, "rejected", "county", 0.0), pair(0, 1, "signed", "county", 0.0)]
    assert seen_ndcg(two, np.zeros(2)) == pytest.approx(1 / np.log2(3))
    assert seen_ndcg(two[:1], np.zeros(1)) is None


def test_stage_zero_weighs_the_text_as_the_officers_do() -> None:
    """Officers sign the partner of closer text over the local one: only at three times its
    weight does the text (1.5 against −0.5) outweigh the region (−5 against 0.5)."""
    prior, factor = text_prior(officers_who_follow_the_text(20), current(), COMPONENTS, STAGE_ZERO)
    assert factor == 3.0 and prior.component_factors["dense"] == 3.0
    assert prior.levels == current().levels  # the rules' weights are stage one's


def test_stage_zero_leaves_the_text_where_the_decisions_do_not_tell_its_weight() -> None:
    # The active weights rank every list right; so do half and twice the text: of equal
    # means, the active weight.
    agree = officers_who_follow_the_region(20)
    assert text_prior(agree, current(), COMPONENTS, STAGE_ZERO) == (current(), 1.0)
    # Too few decisions for a choice that nothing pulls back.
    few = officers_who_follow_the_text(5)
    assert text_prior(few, current(), COMPONENTS, STAGE_ZERO) == (current(), 1.0)
    assert text_prior(officers_who_follow_the_text(20), current(), COMPONENTS, SETTINGS)[1] == 1.0


def test_stage_one_is_pulled_toward_stage_zeros_prior() -> None:
    """Under a strong pull, stage one alone keeps the local partner first; pulled toward the
    text's chosen weight, the learned config ranks as the officers decided."""
    decisions = officers_who_follow_the_text(20)
    without = fit_overlay(decisions, current(), COMPONENTS, replace(STAGE_ZERO, text_factors=()))
    with_it = fit_overlay(decisions, current(), COMPONENTS, STAGE_ZERO)
    signed = [d for d in decisions if d.outcome == "signed"]
    local = {d.enterprise: d for d in decisions if d.outcome == "rejected"}
    assert all(without.score(d) < without.score(local[d.enterprise]) for d in signed)
    assert all(with_it.score(d) > with_it.score(local[d.enterprise]) for d in signed)
    learned = learn(decisions, current(), COMPONENTS, replace(STAGE_ZERO, min_decisions=2))
    assert learned.data["text_factor"] == 3.0
    assert learned.metrics["overall"]["delta"] > 0
