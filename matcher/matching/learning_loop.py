"""The learning loop: choose the pull by cross-validation, fit, compare on held-out decisions.

`learn` is what `POST /matcher/configs/learn` and `ld learn` run: the most
recently decided share of enterprises is held out (`split_by_time`); the
strengths λ and λ_k are chosen by cross-validation over the enterprises of the
earlier share alone (`tuned`), the candidate is fitted on that share
(matcher.matching.learning) and compared with the active weights on the held
out share, per treatment category.  The held-out decisions never choose
anything, so their figures are an honest estimate.

The comparisons re-rank each enterprise's seen pairs by each config
(scikit-learn's `ndcg_score`).  Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import product

import numpy as np
from sklearn.metrics import ndcg_score

from matcher.matching.learning import fit_overlay
from matcher.matching.learning_data import (
    OVERALL,
    Decision,
    K,
    LearnSettings,
    NotEnoughDecisions,
    Overlay,
    _by_enterprise,
    data_summary,
    gain,
    reviewed_count,
    split_by_time,
)
from matcher.threads import single_threaded


def _ndcg(items: Sequence[Decision], overlay: Overlay) -> float | None:
    gains = np.array([[gain(d.outcome) for d in items]], dtype=float)
    if not gains.any() or len(items) < 2:
        return None
    scores = np.array([[overlay.score(d) for d in items]])
    # Ties broken by partner id as the ranking does: a tiny, order-only nudge.
    ids = sorted(range(len(items)), key=lambda i: items[i].partner)
    nudge = np.empty(len(items))
    nudge[ids] = -np.arange(len(items)) * 1e-9
    return float(ndcg_score(gains, scores + nudge, k=K))


def _rejected_on_top(items: Sequence[Decision], overlay: Overlay, top: int = 3) -> bool:
    ranked = sorted(items, key=lambda d: (-overlay.score(d), d.partner))[:top]
    return any(d.outcome == "rejected" for d in ranked)


def compare(
    held_out: Sequence[Decision], active: Overlay, candidate: Overlay
) -> dict[str, dict[str, float | int | None]]:
    """Per treatment category and overall: NDCG@10 of the held-out pairs under each config.

    Each held-out enterprise's seen pairs are re-ranked by each config; gains
    are the outcomes' (`gain`).  `rejected_top3` counts enterprises with a
    rejected partner among the first three: the officers' hard negatives.
    """
    rows: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for items in _by_enterprise(held_out).values():
        groups = (OVERALL, items[0].category or "unknown")
        before, after = _ndcg(items, active), _ndcg(items, candidate)
        for g in groups:
            rows[g]["enterprises"].append(1.0)
            if before is not None and after is not None:
                rows[g]["active"].append(before)
                rows[g]["candidate"].append(after)
            rows[g]["rejected_top3_active"].append(float(_rejected_on_top(items, active)))
            rows[g]["rejected_top3_candidate"].append(float(_rejected_on_top(items, candidate)))
    out: dict[str, dict[str, float | int | None]] = {}
    for g in sorted(rows, key=lambda g: (g != OVERALL, g)):
        r = rows[g]
        ndcg_a = round(float(np.mean(r["active"])), 4) if r["active"] else None
        ndcg_c = round(float(np.mean(r["candidate"])), 4) if r["candidate"] else None
        out[g] = {
            "enterprises": len(r["enterprises"]),
            "ndcg_active": ndcg_a,
            "ndcg_candidate": ndcg_c,
            "delta": None if ndcg_a is None or ndcg_c is None else round(ndcg_c - ndcg_a, 4),
            "rejected_top3_active": int(sum(r["rejected_top3_active"])),
            "rejected_top3_candidate": int(sum(r["rejected_top3_candidate"])),
        }
    return out


def _folds(decisions: Sequence[Decision], folds: int) -> list[set[str]]:
    """The enterprises in `folds` groups, dealt in order of their ids (whole enterprises)."""
    ids = sorted(_by_enterprise(decisions))
    return [set(ids[i::folds]) for i in range(folds)]


def cross_validated(
    decisions: Sequence[Decision],
    current: Overlay,
    components: Sequence[str],
    settings: LearnSettings,
) -> float | None:
    """Mean NDCG@10 over the enterprises of each fold, fitted on the other folds' decisions.

    None when no fold could be fitted (too few decisions outside it).
    """
    scores: list[float] = []
    for held in _folds(decisions, settings.inner_folds):
        fit_on = [d for d in decisions if d.enterprise not in held]
        if reviewed_count(fit_on) < settings.min_decisions or not held:
            continue
        overlay = fit_overlay(fit_on, current, components, settings)
        for items in _by_enterprise([d for d in decisions if d.enterprise in held]).values():
            value = _ndcg(items, overlay)
            if value is not None:
                scores.append(value)
    return float(np.mean(scores)) if scores else None


def tuned(
    decisions: Sequence[Decision],
    current: Overlay,
    components: Sequence[str],
    settings: LearnSettings,
) -> tuple[LearnSettings, dict[str, float | None]]:
    """The settings with λ and λ_k chosen by cross-validation over `decisions` alone.

    Each pair of the grids (`strengths` × `category_strengths`; an empty grid
    is the fixed value) is scored by `cross_validated`; the best mean wins,
    and of equal means the stronger pull (the smaller change).  Returns the
    chosen settings and every pair's score ("λ/λ_k" → mean NDCG@10).
    """
    lams = settings.strengths or (settings.strength,)
    cats = settings.category_strengths or (settings.category_strength,)
    if len(lams) * len(cats) == 1:
        chosen = replace(settings, strength=lams[0], category_strength=cats[0])
        return chosen, {}
    table: dict[str, float | None] = {}
    best: tuple[float, float, float] | None = None
    for lam, cat in product(lams, cats):
        trial = replace(settings, strength=lam, category_strength=cat)
        value = cross_validated(decisions, current, components, trial)
        table[f"{lam:g}/{cat:g}"] = None if value is None else round(value, 4)
        key = (-np.inf if value is None else round(value, 6), lam, cat)
        if best is None or key > best:
            best = key
    assert best is not None
    return replace(settings, strength=best[1], category_strength=best[2]), table


@dataclass(frozen=True)
class Learned:
    """A candidate: its factors, what it was fitted on and how it compares on held-out decisions."""

    overlay: Overlay
    data: dict[str, object]
    held_out: dict[str, object]
    metrics: dict[str, dict[str, float | int | None]]


def learn(
    decisions: Sequence[Decision],
    current: Overlay,
    components: Sequence[str],
    settings: LearnSettings,
) -> Learned:
    """Fit on the earlier decisions, compare with `current` on the most recent ones.

    What is compared is what would be activated: the candidate is fitted on
    the earlier share alone, so its held-out figures are an honest estimate.

    Raises:
        NotEnoughDecisions: when too few pairs were reviewed (counted over all
            decisions, and again over the earlier share that is fitted).
    """
    count = reviewed_count(decisions)
    if count < settings.min_decisions:
        raise NotEnoughDecisions(count, settings.min_decisions)
    early, late = split_by_time(decisions, settings.holdout_share)
    return fitted(early, current, components, settings, held_out=late)


def fitted(
    decisions: Sequence[Decision],
    current: Overlay,
    components: Sequence[str],
    settings: LearnSettings,
    *,
    held_out: Sequence[Decision] = (),
) -> Learned:
    """λ, λ_k chosen on `decisions` (`tuned`), the candidate fitted on them, compared on
    `held_out` (nothing when empty).  The data summary names the chosen strengths.

    Raises:
        NotEnoughDecisions: when too few pairs were reviewed in `decisions`.
    """
    with single_threaded():  # tiny fits: BLAS threads only spin (matcher/threads.py)
        chosen, scores = tuned(decisions, current, components, settings)
        overlay = fit_overlay(decisions, current, components, chosen)
    data = data_summary(decisions)
    data["strength"], data["category_strength"] = chosen.strength, chosen.category_strength
    if scores:
        data["cross_validated"] = scores
    return Learned(
        overlay=overlay,
        data=data,
        held_out=data_summary(held_out) if held_out else {},
        metrics=compare(held_out, current, overlay) if held_out else {},
    )
