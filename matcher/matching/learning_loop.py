"""The learning loop: choose the pull by cross-validation, fit, compare on held-out decisions.

`learn` is what `POST /matcher/configs/learn` and `ld learn` run: the most
recently decided share of enterprises is held out (`split_by_time`); the
strengths λ and λ_k are chosen by cross-validation over the enterprises of the
earlier share alone (`tuned`), the candidate is fitted on that share
(matcher.matching.learning) and compared with the active weights on the held
out share, per treatment category.  The held-out decisions never choose
anything, so their figures are an honest estimate.

The comparisons re-rank each enterprise's seen pairs by each config
(matcher.matching.learning_text.seen_ndcg).  Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from matcher.matching.learning import fit_overlay, fit_shared
from matcher.matching.learning_category import (
    KEEP_ACTIVE,
    Choice,
    fit_category,
    fitted_categories,
    with_parts,
)
from matcher.matching.learning_data import (
    OVERALL,
    Decision,
    LearnSettings,
    NotEnoughDecisions,
    Overlay,
    _by_enterprise,
    data_summary,
    reviewed_count,
    split_by_time,
)
from matcher.matching.learning_text import seen_ndcg, text_prior
from matcher.threads import single_threaded


def _ndcg(items: Sequence[Decision], overlay: Overlay) -> float | None:
    return seen_ndcg(items, np.array([overlay.score(d) for d in items]))


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


Scores = dict[str, float]
"""Enterprise → its NDCG@10 under one candidate, fitted without it (inner cross-validation)."""


@dataclass(frozen=True)
class Tuning:
    """What inner cross-validation over the fitted decisions chose, and on what evidence.

    Attributes:
        settings: with the chosen λ (`strength`); `category_strength` as given.
        choices: category → its λ_k or KEEP_ACTIVE (learning.Choice); the categories
            with too few decisions of their own are not listed (the global weights).
        table: for the report: "λ" → the mean NDCG@10 of its choices; and per
            category its choice, its enterprises and the mean NDCG@10 of the
            active weights and of the chosen candidate on them.
    """

    settings: LearnSettings
    choices: dict[str, Choice]
    table: dict[str, object]


def _mean(scores: Scores, ids: Sequence[str]) -> float | None:
    values = [scores[e] for e in ids if e in scores]
    return float(np.mean(values)) if values else None


def _gate(candidate: Scores, active: Scores, ids: list[str]) -> bool:
    """Whether the candidate beats the active weights on the category's enterprises `ids`:
    a higher mean NDCG@10 over those of them both could score (a tie keeps the active)."""
    both = [e for e in ids if e in candidate and e in active]
    if not both:
        return False
    gain = np.mean([candidate[e] - active[e] for e in both])
    return round(float(gain), 6) > 0


def tuned(
    decisions: Sequence[Decision],
    current: Overlay,
    components: Sequence[str],
    settings: LearnSettings,
) -> Tuning:
    """λ, and each category's choice, by cross-validation over `decisions` alone.

    The enterprises are dealt into `inner_folds` folds; for each λ (`strengths`,
    or `strength`) and fold, stage one is fitted on the other folds, then each
    category with `min_category_decisions` its own part for each λ_k
    (`category_strengths`, or `category_strength`), and every held enterprise is
    scored under its category's candidate (the shared weights alone for a category
    with too few decisions).  For each (λ, λ_k), a category whose candidate does
    not beat the active weights on its own enterprises keeps the active weights
    (`_gate`); the pair whose choices give the best mean over all enterprises wins
    (of equal means the stronger pulls).  The held-out share of `learn` never
    takes part.  A category's own λ_k was tried as well (the best of the grid per
    category): over 5 enterprises a category, picking the best of several noisy
    means chose noise (`ld simulate-decisions … --seed 0 --splits 5`: +0.022 mean
    against +0.021, worst split +0.004 against +0.001, debt restructuring −0.010).
    """
    lams = settings.strengths or (settings.strength,)
    cat_lams = settings.category_strengths or (settings.category_strength,)
    groups = _by_enterprise(decisions)
    categories = fitted_categories(decisions, settings.min_category_decisions)
    members = {
        k: sorted(e for e, items in groups.items() if items[0].category == k) for k in categories
    }
    active = {e: v for e, items in groups.items() if (v := _ndcg(items, current)) is not None}
    folds = _folds(decisions, settings.inner_folds)
    fits = [[d for d in decisions if d.enterprise not in held] for held in folds]
    # Stage zero on each fold's fitted decisions alone: it does not depend on λ.
    priors = [text_prior(f, current, components, settings)[0] for f in fits]
    best: tuple[float, float, float] | None = None
    table: dict[str, object] = {}
    picked: dict[str, Choice] = {}
    evidence: dict[str, dict[Choice, Scores]] = {}
    for lam in lams:
        options: dict[str, dict[Choice, Scores]] = {k: defaultdict(dict) for k in categories}
        shared_scores: Scores = {}
        for held, fit_on, prior in zip(folds, fits, priors, strict=True):
            if reviewed_count(fit_on) < settings.min_decisions or not held:
                continue
            shared = fit_shared(fit_on, prior, components, lam)
            for e in held:
                if (v := _ndcg(groups[e], shared)) is not None:
                    shared_scores[e] = v
            for k in categories:
                mine = [e for e in members[k] if e in held]
                if not mine:
                    continue
                for cat_lam in cat_lams:
                    part = fit_category(fit_on, current, shared, components, k, cat_lam)
                    candidate = with_parts(shared, current, {k: part})
                    for e in mine:
                        if (v := _ndcg(groups[e], candidate)) is not None:
                            options[k][cat_lam][e] = v
        if not shared_scores:
            continue
        for cat_lam in cat_lams:
            choices: dict[str, Choice] = {
                k: cat_lam if _gate(options[k][cat_lam], active, members[k]) else KEEP_ACTIVE
                for k in categories
            }
            final = dict(shared_scores)
            for k, choice in choices.items():
                source = active if choice == KEEP_ACTIVE else options[k][choice]
                final.update({e: source[e] for e in members[k] if e in source})
            value = float(np.mean(list(final.values())))
            table[f"{lam:g}/{cat_lam:g}"] = round(value, 4)
            key = (round(value, 6), lam, cat_lam)
            if best is None or key > best:
                best, picked, evidence = key, choices, options
    if best is None:  # no fold could be fitted: the first values, every category its own part
        fallback = replace(settings, strength=lams[0], category_strength=cat_lams[0])
        return Tuning(fallback, dict.fromkeys(categories, cat_lams[0]), table)
    for k, choice in picked.items():
        chosen_scores = active if choice == KEEP_ACTIVE else evidence[k][choice]
        a, c = _mean(active, members[k]), _mean(chosen_scores, members[k])
        table[k] = {
            "choice": choice,
            "enterprises": len(members[k]),
            "ndcg_active": None if a is None else round(a, 4),
            "ndcg_chosen": None if c is None else round(c, 4),
        }
    chosen = replace(settings, strength=best[1], category_strength=best[2])
    return Tuning(chosen, picked, table)


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
        tuning = tuned(decisions, current, components, settings)
        prior, text = text_prior(decisions, current, components, settings)
        overlay = fit_overlay(
            decisions, current, components, tuning.settings, tuning.choices, prior=prior
        )
    data = data_summary(decisions)
    data["text_factor"] = text
    data["strength"] = tuning.settings.strength
    data["category_strength"] = tuning.settings.category_strength
    data["categories"] = dict(tuning.choices)
    if tuning.table:
        data["cross_validated"] = tuning.table
    return Learned(
        overlay=overlay,
        data=data,
        held_out=data_summary(held_out) if held_out else {},
        metrics=compare(held_out, current, overlay) if held_out else {},
    )
