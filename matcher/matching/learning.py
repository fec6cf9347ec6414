"""Learning the fusion weights from the officers' decisions: a pairwise logistic model.

Every enterprise–partner pair the officers saw carries a graded outcome
(`OUTCOMES`: landed > signed > negotiating > contacted > shortlisted > shown but
not reviewed > rejected), its levels and its components' contributions under
the shipped (base) weights.  Within one enterprise, a pair of better outcome
should score higher than a pair of worse outcome:

    P(i above j) = σ(s · θ · (x_i − x_j))

where θ holds one weight per non-null level of each rule component (x: the
pair is at that level, times the component's per-enterprise factor) and one
factor per similarity (x: its contribution), and s is a free temperature: how
sharply the officers' choices follow the score says nothing about the
weights' proportions, so it must not be bought with weight changes.

The penalty λ/2 · Σ (θ − θ⁰)² pulls θ toward the *current* weights (the
active config's).  Each enterprise's pairs together weigh as many decisions
as the officers made on it, so a few decisions move the weights a little and
many move them more.  The weights file's order of levels within a component
is kept (a same 小类 stays above a same 门类, a county above a province): the
decisions say by how much one match is better, not which; signs are kept, so
a penalty stays a penalty; `null` stays 0.

Then, for each treatment category with enough decisions, one factor per
component on top (the same model over the stage-one contributions, pulled
toward the current category factors by λ_k).

scikit-learn's LogisticRegression centres its penalty on zero and takes no
constraints, so the same loss is minimised with scipy (SLSQP with the order
constraints; L-BFGS-B, the solver scikit-learn uses, for the category
factors).  Choosing λ, fitting and comparing on held-out decisions is
matcher/matching/learning_loop.py.

Hard filters are not components: a filtered partner never scores and never
reaches the learner (api/services/decisions.py leaves such pairs out), and
only weights are learned, so no filter can be learned away.

Pure: the caller gathers the decisions (api/services/decisions.py, or the
simulation in matcher/matching/simulation.py) and stores the result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import minimize

from matcher.matching.coverage import COVERAGE
from matcher.matching.learning_data import (
    FACTOR_BOUNDS,
    OUTCOMES,
    SHOWN,
    ZERO_LEVEL,
    Decision,
    LearnSettings,
    NotEnoughDecisions,
    Overlay,
    _by_enterprise,
    reviewed_count,
)


def _columns(decisions: Sequence[Decision], current: Overlay, components: Sequence[str]):  # type: ignore[no-untyped-def]
    """The model's parameters: one per non-null level of each rule component, one per similarity.

    Returns (names, prior values, bounds).  A level weight keeps its sign (a
    penalty stays a penalty, a bonus a bonus); a level the file leaves at 0 may
    become a mild penalty, never a bonus (`ZERO_LEVEL`: "near" the ticket, a kind
    not typical of the category); `null` stays 0 (missing data is neutral); a
    similarity's factor stays within FACTOR_BOUNDS.  The coverage penalty is one
    more weight, of the pair's crowding count (`Decision.crowded`), never below
    0: the officers say how much a list should mix the roles, not whether it does.
    """
    names, prior, bounds = [], [], []
    lo, hi = FACTOR_BOUNDS
    for c in components:
        if c in current.levels:
            for label, w in current.levels[c].items():
                if label == "null":
                    continue
                names.append((c, label))
                prior.append(w)
                bounds.append((0.0, None) if w > 0 else (None, 0.0) if w < 0 else ZERO_LEVEL)
        else:
            names.append((c, None))
            prior.append(current.component_factors.get(c, 1.0))
            bounds.append((lo, hi))
    if current.coverage_penalty is not None:
        names.append((COVERAGE, None))
        prior.append(current.coverage_penalty)
        bounds.append((0.0, None))
    return names, np.array(prior, dtype=float), bounds


def _features(d: Decision, names: Sequence[tuple[str, str | None]]) -> np.ndarray:
    row = np.zeros(len(names))
    for j, (c, label) in enumerate(names):
        if c == COVERAGE:
            row[j] = -float(d.crowded)
        elif label is None:
            row[j] = d.parts.get(c, 0.0)
        elif d.levels.get(c) == label:
            row[j] = d.scales.get(c, 1.0)
    return row


def _pairs(
    decisions: Sequence[Decision], features: Callable[[Decision], np.ndarray]
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """(feature differences better − worse, pair weights, each pair's category)."""
    diffs, weights, cats = [], [], []
    for items in _by_enterprise(decisions).values():
        rows = np.array([features(d) for d in items])
        grades = np.array([OUTCOMES[d.outcome] for d in items])
        better, worse = np.nonzero(grades[:, None] > grades[None, :])
        if not len(better):
            continue
        reviewed = sum(1 for d in items if d.outcome != SHOWN)
        diffs.append(rows[better] - rows[worse])
        weights.append(np.full(len(better), reviewed / len(better)))
        cats += [items[0].category] * len(better)
    if not diffs:
        return np.zeros((0, 0)), np.zeros(0), []
    return np.vstack(diffs), np.concatenate(weights), cats


def _fit_logistic(
    diffs: np.ndarray,
    weights: np.ndarray,
    prior: np.ndarray,
    penalty: np.ndarray,
    bounds: Sequence[tuple[float | None, float | None]],
    order: np.ndarray | None = None,
) -> np.ndarray:
    """argmin Σ w·log(1 + exp(−s·θ·d)) + Σ λ/2·(θ − θ⁰)² over θ and a free temperature s.

    `order` (rows over θ) asks order @ θ ≥ 0: the level order kept (`_level_order`).
    """
    if not len(diffs):
        return prior.copy()

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        s, theta = float(np.exp(p[0])), p[1:]
        raw = diffs @ theta
        margin = s * raw
        value = float(np.sum(weights * np.logaddexp(0.0, -margin)))
        slope = -weights / (1.0 + np.exp(np.clip(margin, -500, 500)))  # d loss / d margin
        grad = s * (slope @ diffs) + penalty * (theta - prior)
        value += float(np.sum(penalty / 2 * (theta - prior) ** 2))
        return value, np.concatenate([[float(np.sum(slope * margin))], grad])

    start = np.concatenate([[0.0], prior])
    box = [(-5.0, 5.0), *bounds]
    if order is None or not len(order):
        found = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=box)
        return np.asarray(found.x[1:])
    rows = np.hstack([np.zeros((len(order), 1)), order])  # the temperature is not ordered
    keep = {"type": "ineq", "fun": lambda p: rows @ p, "jac": lambda p: rows}
    found = minimize(
        loss,
        start,
        jac=True,
        method="SLSQP",
        bounds=box,
        constraints=[keep],
        options={"maxiter": 500},
    )
    return np.asarray(found.x[1:])


def _level_order(names: Sequence[tuple[str, str | None]], prior: np.ndarray) -> np.ndarray:
    """Rows r with r @ θ ≥ 0: within a component, a level weighted above another stays above.

    The file's order of levels is the team's judgement of which match is
    better (a same 小类 over a same 门类, a county over a province); the
    decisions say by how much.  Levels of equal weight may part either way.
    """
    rows = []
    by_component: dict[str, list[int]] = defaultdict(list)
    for j, (c, label) in enumerate(names):
        if label is not None:
            by_component[c].append(j)
    for members in by_component.values():
        weights = sorted({float(prior[j]) for j in members}, reverse=True)
        groups = [[j for j in members if float(prior[j]) == w] for w in weights]
        for upper, lower in zip(groups, groups[1:], strict=False):
            for hi in upper:
                for lo in lower:
                    row = np.zeros(len(names))
                    row[hi], row[lo] = 1.0, -1.0
                    rows.append(row)
    return np.array(rows).reshape(len(rows), len(names))


def _fitted_categories(decisions: Sequence[Decision], minimum: int) -> list[str]:
    counts: dict[str, int] = defaultdict(int)
    for d in decisions:
        if d.outcome != SHOWN and d.category:
            counts[d.category] += 1
    return sorted(c for c, n in counts.items() if n >= minimum)


def fit_overlay(
    decisions: Sequence[Decision],
    current: Overlay,
    components: Sequence[str],
    settings: LearnSettings,
) -> Overlay:
    """The weights the decisions support, pulled toward `current` (see the module's note).

    Two stages: the level weights and similarity factors shared by every
    enterprise; then, for each category with enough decisions, one factor per
    component on top of those (the same model over the stage-one parts).

    Raises:
        NotEnoughDecisions: when fewer than `settings.min_decisions` pairs were reviewed.
    """
    count = reviewed_count(decisions)
    if count < settings.min_decisions:
        raise NotEnoughDecisions(count, settings.min_decisions)
    names, prior, bounds = _columns(decisions, current, components)
    diffs, weights, _ = _pairs(decisions, lambda d: _features(d, names))
    penalty = np.full(len(prior), settings.strength)
    theta = _fit_logistic(diffs, weights, prior, penalty, bounds, _level_order(names, prior))
    levels = {c: dict(table) for c, table in current.levels.items()}
    factors = dict(current.component_factors)
    penalty_value = current.coverage_penalty
    for (c, label), value in zip(names, theta, strict=True):
        if c == COVERAGE:
            penalty_value = float(value)
        elif label is None:
            factors[c] = float(value)
        else:
            levels[c][label] = float(value)
    shared = Overlay(levels, factors, {}, penalty_value)
    comps = list(components)
    lo, hi = FACTOR_BOUNDS
    by_category = {k: dict(v) for k, v in current.category_factors.items()}
    for cat in _fitted_categories(decisions, settings.min_category_decisions):
        mine = [d for d in decisions if d.category == cat]
        cdiffs, cweights, _ = _pairs(mine, lambda d: np.array([shared.part(d, c) for c in comps]))
        cprior = np.array([current.category_factors.get(cat, {}).get(c, 1.0) for c in comps])
        penalty = np.full(len(comps), settings.category_strength)
        fitted = _fit_logistic(cdiffs, cweights, cprior, penalty, [(lo, hi)] * len(comps))
        by_category[cat] = {c: float(f) for c, f in zip(comps, fitted, strict=True)}
    fitted_overlay = Overlay(levels, factors, by_category, penalty_value)
    return _rounded(fitted_overlay.scaled(_unit(decisions, current, fitted_overlay)))


def _unit(decisions: Sequence[Decision], current: Overlay, fitted: Overlay) -> float:
    """What puts the fitted weights back in the current config's units.

    The decisions say which pair is better, not in which units: the free
    temperature takes how sharply the officers follow the score, and the pull
    toward the current weights, which shrinks the levels the decisions do not
    support, leaves the fitted scores with a narrower spread than the current
    ones.  The fit floor and the coverage penalty's place in the list are in
    score units, so a candidate in narrower units shows fewer partners and
    mixes the roles harder than either config means to.  Scaling every
    weight by the ratio of the seen pairs' score spreads changes no order
    within a list and keeps the units.
    """
    before = np.array([current.score(d) for d in decisions])
    after = np.array([fitted.score(d) for d in decisions])
    if len(before) < 2 or float(after.std()) < 1e-9 or float(before.std()) < 1e-9:
        return 1.0
    return float(before.std() / after.std())


def _rounded(overlay: Overlay) -> Overlay:
    """Six decimals: the stored weights (and so the config hash) shed the solver's last bits."""
    penalty = overlay.coverage_penalty
    return Overlay(
        {c: {lab: _round(w) for lab, w in t.items()} for c, t in overlay.levels.items()},
        {c: _round(f) for c, f in overlay.component_factors.items()},
        {k: {c: _round(f) for c, f in t.items()} for k, t in overlay.category_factors.items()},
        None if penalty is None else _round(penalty),
    )


def _round(x: float) -> float:
    return round(float(x), 6)
