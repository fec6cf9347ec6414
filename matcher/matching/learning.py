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

Then, for each treatment category with enough decisions, its own part on top
(`fit_category`, the same model over that category's decisions alone): one
factor per component (the per-treatment weights: industry, region, deal size,
assets, text) and its own weights of the engagement matrix's levels
(`CATEGORY_LEVELS`), pulled toward the current part (none in the hand-set file)
by λ_k.  That is hierarchical shrinkage: a category's weights are pulled toward
the global ones, which are pulled toward the active config, so a category with
few decisions stays near the global weights and one with many follows its own.
A category whose part does not beat the active weights on inner
cross-validation keeps the active weights exactly (KEEP_ACTIVE; the choice is
matcher/matching/learning_loop.py's).

scikit-learn's LogisticRegression centres its penalty on zero and takes no
constraints, so the same loss is minimised with scipy (SLSQP with the order
constraints; L-BFGS-B, the solver scikit-learn uses, where there are none).
Choosing λ, fitting and comparing on held-out decisions is
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
from dataclasses import dataclass, replace

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
    floor: np.ndarray | None = None,
    offset: np.ndarray | None = None,
) -> np.ndarray:
    """argmin Σ w·log(1 + exp(−s·θ·d)) + Σ λ/2·(θ − θ⁰)² over θ and a free temperature s.

    `order` (rows over θ) asks order @ θ ≥ floor (0 when None): the level order
    kept (`_level_order`; a category's deltas keep it on top of the shared weights).
    `offset` is each pair's score difference from what is not fitted (0 when None).
    """
    if not len(diffs):
        return prior.copy()

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        s, theta = float(np.exp(p[0])), p[1:]
        raw = diffs @ theta if offset is None else diffs @ theta + offset
        margin = s * raw
        value = float(np.sum(weights * np.logaddexp(0.0, -margin)))
        slope = -weights / (1.0 + np.exp(np.clip(margin, -500, 500)))  # d loss / d margin
        grad = s * (slope @ diffs) + penalty * (theta - prior)
        value += float(np.sum(penalty / 2 * (theta - prior) ** 2))
        return value, np.concatenate([[float(np.sum(slope * margin))], grad])

    inside = [
        min(max(x, -np.inf if lo is None else lo), np.inf if hi is None else hi)
        for x, (lo, hi) in zip(prior, bounds, strict=True)
    ]
    start = np.concatenate([[0.0], inside])
    box = [(-5.0, 5.0), *bounds]
    if order is None or not len(order):
        found = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=box)
        return np.asarray(found.x[1:])
    rows = np.hstack([np.zeros((len(order), 1)), order])  # the temperature is not ordered
    least = np.zeros(len(order)) if floor is None else floor
    keep = {"type": "ineq", "fun": lambda p: rows @ p - least, "jac": lambda p: rows}
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


CATEGORY_LEVELS = ("treatment",)
"""Rule components whose levels a category may weigh its own way: the treatment levels are
the engagement matrix's (which engagements a partner lists serve this category, and how
well: `natural`, `partial`, a listed secondary category …), and how much a `partial`
engagement is worth differs by category (an asset buyer in a 清算, a lender in a 技改).
Every other component gets one factor per category: the per-treatment weights of
matcher.matching.policy (industry, region, deal size, assets, text)."""

KEEP_ACTIVE = "active"
SHARED = "shared"
"""A category's choice (`fit_overlay`; matcher.matching.learning_loop.tuned makes it): a
category strength λ_k (its own part fitted with that pull), SHARED (the global weights
alone, as for a category with too few decisions of its own) or KEEP_ACTIVE (the learned
weights did not beat the active ones on its enterprises: it keeps them exactly)."""

Choice = float | str


def fitted_categories(decisions: Sequence[Decision], minimum: int) -> list[str]:
    """The categories with at least `minimum` reviewed pairs: those that may get their own part."""
    counts: dict[str, int] = defaultdict(int)
    for d in decisions:
        if d.outcome != SHOWN and d.category:
            counts[d.category] += 1
    return sorted(c for c, n in counts.items() if n >= minimum)


def fit_shared(
    decisions: Sequence[Decision], current: Overlay, components: Sequence[str], strength: float
) -> Overlay:
    """Stage one: the level weights, similarity factors and coverage penalty shared by every
    enterprise, pulled toward `current` by `strength`; the current category parts kept.

    In the fit's own units (not scaled back: `assemble` does that once)."""
    names, prior, bounds = _columns(decisions, current, components)
    diffs, weights, _ = _pairs(decisions, lambda d: _features(d, names))
    penalty = np.full(len(prior), strength)
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
    # A category's current part rides on the new shared weights unchanged: its factors, and
    # its own level weights as the same differences from the shared ones.
    return with_parts(shared, current, {})


@dataclass(frozen=True)
class CategoryPart:
    """One category's own part: a factor per component, and its own level weights."""

    factors: dict[str, float]
    levels: dict[str, dict[str, float]]


def _current_part(shared: Overlay, current: Overlay, category: str) -> CategoryPart:
    """The current config's part for `category`, on top of (new) shared weights."""
    levels: dict[str, dict[str, float]] = {}
    for c, table in current.category_levels.get(category, {}).items():
        if c in shared.levels:
            levels[c] = {
                lab: shared.levels[c][lab] + w - current.levels[c][lab] for lab, w in table.items()
            }
    return CategoryPart(dict(current.category_factors.get(category, {})), levels)


def with_parts(shared: Overlay, current: Overlay, parts: dict[str, CategoryPart]) -> Overlay:
    """The shared weights with each category's part: its fitted one, else the current one."""
    categories = {*current.category_factors, *current.category_levels, *parts}
    factors, levels = {}, {}
    for k in sorted(categories):
        part = parts.get(k) or _current_part(shared, current, k)
        if part.factors:
            factors[k] = dict(part.factors)
        if part.levels:
            levels[k] = {c: dict(t) for c, t in part.levels.items()}
    return replace(
        shared,
        category_factors=factors,
        category_levels=levels,
        category_coverage_penalty=dict(current.category_coverage_penalty),
    )


def fit_category(
    decisions: Sequence[Decision],
    current: Overlay,
    shared: Overlay,
    components: Sequence[str],
    category: str,
    strength: float,
) -> CategoryPart:
    """Stage two for one category: its own part on top of `shared`, from its decisions alone.

    Hierarchical shrinkage: the part is pulled by `strength` (λ_k) toward the
    current part (none for the hand-set file: the shared weights), which stage one
    pulled toward the current config.  A factor per component (within
    FACTOR_BOUNDS) and, for CATEGORY_LEVELS, a weight per level added to the
    shared one, keeping its sign and the file's order of levels.
    """
    mine = [d for d in decisions if d.category == category]
    now = _current_part(shared, current, category)
    plain = replace(shared, category_factors={}, category_levels={})  # the part is fitted whole
    own_levels = [c for c in CATEGORY_LEVELS if c in components and c in shared.levels]
    names: list[tuple[str, str | None]] = []
    prior, bounds, base = [], [], []
    lo, hi = FACTOR_BOUNDS
    for c in components:
        if c in own_levels:
            for label, w0 in current.levels[c].items():
                if label == "null":
                    continue
                w = shared.levels[c][label]
                names.append((c, label))
                prior.append(now.levels.get(c, {}).get(label, w) - w)
                base.append(w)
                bounds.append(
                    (-w, None) if w0 > 0 else (None, -w) if w0 < 0 else (ZERO_LEVEL[0] - w, -w)
                )
        else:
            names.append((c, None))
            prior.append(now.factors.get(c, 1.0))
            base.append(0.0)
            bounds.append((lo, hi))
    factor_of = {c: shared.factor(c, None) * now.factors.get(c, 1.0) for c in own_levels}

    def features(d: Decision) -> np.ndarray:
        """The columns, then what does not move: the shared weights of the own levels and the
        coverage part (an offset of the pair's score difference)."""
        row = np.zeros(len(names) + 1)
        for j, (c, label) in enumerate(names):
            if label is None:
                row[j] = plain.part(d, c)
            elif d.levels.get(c) == label:
                row[j] = factor_of[c] * d.scales.get(c, 1.0)
                row[-1] += row[j] * base[j]
        row[-1] += shared.coverage_part(d)
        return row

    diffs, weights, _ = _pairs(mine, features)
    order = _level_order(names, np.array(_file_weights(names, current)))
    theta = _fit_logistic(
        diffs[:, :-1] if len(diffs) else diffs,
        weights,
        np.array(prior, dtype=float),
        np.full(len(names), strength),
        bounds,
        order,
        floor=-(order @ np.array(base)) if len(order) else None,
        offset=diffs[:, -1] if len(diffs) else None,
    )
    factors = dict(now.factors)
    levels = {c: dict(t) for c, t in now.levels.items()}
    for (c, label), value in zip(names, theta, strict=True):
        if label is None:
            factors[c] = float(value)
        else:
            levels.setdefault(c, {})[label] = float(shared.levels[c][label] + value)
    return CategoryPart(factors, levels)


def _file_weights(names: Sequence[tuple[str, str | None]], current: Overlay) -> list[float]:
    """The current (file's) weight of each level column: what orders them (`_level_order`)."""
    return [current.levels[c][label] if label is not None else 0.0 for c, label in names]


def assemble(
    decisions: Sequence[Decision],
    current: Overlay,
    shared: Overlay,
    parts: dict[str, CategoryPart],
    keep: set[str],
    components: Sequence[str],
) -> Overlay:
    """The candidate: the shared weights with the categories' parts, in the current units,
    and every category of `keep` with exactly the weights it has now."""
    fitted = with_parts(shared, current, parts)
    learned = [d for d in decisions if d.category not in keep]
    out = fitted.scaled(_unit(learned, current, fitted))
    for category in sorted(keep):
        out = _keeping(out, current, category, components)
    return _rounded(out)


def _keeping(
    overlay: Overlay, current: Overlay, category: str, components: Sequence[str]
) -> Overlay:
    """`overlay` with `category` scored exactly as `current` scores it: its whole level tables,
    factors that undo the shared ones and its coverage penalty, as its own."""
    names = {*components, *overlay.component_factors, *current.component_factors}
    names.discard(COVERAGE)
    factors = {
        c: current.factor(c, category) / max(overlay.factor(c, None), 1e-12) for c in sorted(names)
    }
    levels = {
        c: {lab: current.level_weight(c, lab, category) for lab in table}
        for c, table in current.levels.items()
    }
    return replace(
        overlay,
        category_factors={**overlay.category_factors, category: factors},
        category_levels={**overlay.category_levels, category: levels},
        category_coverage_penalty={
            **overlay.category_coverage_penalty,
            category: current.penalty(category),
        },
    )


def fit_overlay(
    decisions: Sequence[Decision],
    current: Overlay,
    components: Sequence[str],
    settings: LearnSettings,
    choices: dict[str, Choice] | None = None,
) -> Overlay:
    """The weights the decisions support, pulled toward `current` (see the module's note).

    Stage one (`fit_shared`) for every enterprise; then each category of `choices`
    (category → its λ_k, SHARED or KEEP_ACTIVE; None: settings.category_strength for
    every category with settings.min_category_decisions) gets its own part
    (`fit_category`), the global weights alone, or the current weights kept.

    Raises:
        NotEnoughDecisions: when fewer than `settings.min_decisions` pairs were reviewed.
    """
    count = reviewed_count(decisions)
    if count < settings.min_decisions:
        raise NotEnoughDecisions(count, settings.min_decisions)
    if choices is None:
        found = fitted_categories(decisions, settings.min_category_decisions)
        choices = dict.fromkeys(found, settings.category_strength)
    shared = fit_shared(decisions, current, components, settings.strength)
    parts = {
        k: fit_category(decisions, current, shared, components, k, float(c))
        for k, c in choices.items()
        if not isinstance(c, str)
    }
    keep = {k for k, c in choices.items() if c == KEEP_ACTIVE}
    return assemble(decisions, current, shared, parts, keep, components)


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
        {
            k: {c: {lab: _round(w) for lab, w in t.items()} for c, t in v.items()}
            for k, v in overlay.category_levels.items()
        },
        {k: _round(p) for k, p in overlay.category_coverage_penalty.items()},
    )


def _round(x: float) -> float:
    return round(float(x), 6)
