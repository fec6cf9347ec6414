"""Stage zero of the learner: how much the text counts, read off the lists the officers saw.

The weights file has one knob for the text against the rules
(`text_factor_with_industry`, fixtures/matcher_config.toml: cross-validation
over the judged enterprises preferred 1.0 to the shipped 0.5).  The pairwise
model of matcher/matching/learning.py can move each similarity's factor too,
but it pulls every weight toward the active config, so a text that counts
twice as much is bought a little at a time, against the pull, and with forty
other weights moving at once.  Stage zero asks the one question first, on the
listwise measure itself: each similarity's factor times one value of
`LearnSettings.text_factors`, the one under which the enterprises' seen pairs
(the visible top, re-ranked; unseen pairs are no negatives) have the best mean
NDCG@10.  One number chosen over every enterprise varies little between
samples of them; stage one is then pulled toward this prior instead of the
active weights, and a category that keeps the active weights
(learning_category.KEEP_ACTIVE) keeps its text as well.

Measured (`ld simulate-decisions /work/shared/devset-judged --seed 0 --splits 5`, config
2026.12-r11): stage zero chooses ×2 in 9 of 10 folds (×3 in one), the weight cross-validation
over the judged enterprises preferred for the file; the learner gains +0.013 on the held-out
halves (sd 0.003, worst +0.006) against +0.010 (sd 0.005, worst +0.003) pulled toward the
active weights; `--seed 5 --splits 5`: +0.009 (worst −0.005) against +0.005 (worst −0.011).
Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from matcher.matching.coverage import COVERAGE
from matcher.matching.learning_data import (
    FACTOR_BOUNDS,
    Decision,
    K,
    LearnSettings,
    Overlay,
    _by_enterprise,
    gain,
    reviewed_count,
)


def seen_ndcg(items: Sequence[Decision], scores: np.ndarray) -> float | None:
    """NDCG@10 of one enterprise's seen pairs ranked by `scores` (ties by partner id, as the
    ranking breaks them); None when no pair has a gain or there is only one."""
    gains = np.array([gain(d.outcome) for d in items], dtype=float)
    if not gains.any() or len(items) < 2:
        return None
    order = sorted(range(len(items)), key=lambda i: (-scores[i], items[i].partner))[:K]
    discount = 1.0 / np.log2(np.arange(2, K + 2))
    dcg = float(np.sum(gains[order] * discount[: len(order)]))
    ideal = np.sort(gains)[::-1][:K]
    return dcg / float(np.sum(ideal * discount[: len(ideal)]))


def text_components(current: Overlay, components: Sequence[str]) -> list[str]:
    """The similarities among `components`: those without level tables (as stage one reads them)."""
    return [c for c in components if c not in current.levels and c != COVERAGE]


def text_prior(
    decisions: Sequence[Decision],
    current: Overlay,
    components: Sequence[str],
    settings: LearnSettings,
) -> tuple[Overlay, float]:
    """(`current` with every similarity's factor times the chosen value, the value).

    The value of `settings.text_factors` (within FACTOR_BOUNDS once applied) whose re-ranking
    of the seen pairs has the best mean NDCG@10 over the enterprises; of equal means the one
    nearest 1 (the active weights), so decisions that do not tell the text's weight leave it
    as it is.  A choice is not pulled toward anything, so it needs the evidence a category's
    own part needs (`settings.min_category_decisions` reviewed pairs); below it the text keeps
    its weight and only stage one's pull moves it, a little for few decisions.
    """
    texts = text_components(current, components)
    grid = settings.text_factors
    if not texts or not grid or reviewed_count(decisions) < settings.min_category_decisions:
        return current, 1.0
    lo, hi = FACTOR_BOUNDS
    groups = [items for items in _by_enterprise(decisions).values() if len(items) > 1]
    split = []
    for items in groups:  # each pair's score is (what is not text) + f * (its text)
        text = np.array([sum(current.part(d, c) for c in texts) for d in items])
        total = np.array([current.score(d) for d in items])
        split.append((items, total - text, text))
    best: tuple[float, float, float] | None = None
    for f in sorted(set(grid)):
        values = [seen_ndcg(items, rest + f * text) for items, rest, text in split]
        scored = [v for v in values if v is not None]
        if not scored:
            continue
        key = (round(float(np.mean(scored)), 9), -abs(math.log(f)), f)
        if best is None or key > best:
            best = key
    if best is None or best[2] == 1.0:
        return current, 1.0
    f = best[2]
    factors = dict(current.component_factors)
    for c in texts:
        factors[c] = min(max(current.component_factors.get(c, 1.0) * f, lo), hi)
    return replace(current, component_factors=factors), f
