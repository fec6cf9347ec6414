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

Before it, stage zero (matcher/matching/learning_text.py) chooses one multiplier of
the similarities' factors on the listwise measure over the seen pairs; that prior,
not the active config, is what θ is pulled toward (the active config stays what a
category that keeps the active weights keeps, and the units).

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

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from matcher.matching.coverage import COVERAGE
from matcher.matching.learning_category import (
    KEEP_ACTIVE,
    CategoryPart,
    Choice,
    fit_category,
    fitted_categories,
    with_parts,
)
from matcher.matching.learning_data import (
    FACTOR_BOUNDS,
    ZERO_LEVEL,
    Decision,
    LearnSettings,
    NotEnoughDecisions,
    Overlay,
    reviewed_count,
)
from matcher.matching.learning_fit import fit_logistic, level_order, pairs
from matcher.matching.learning_text import text_prior


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


def fit_shared(
    decisions: Sequence[Decision], current: Overlay, components: Sequence[str], strength: float
) -> Overlay:
    """Stage one: the level weights, similarity factors and coverage penalty shared by every
    enterprise, pulled toward `current` by `strength`; the current category parts kept.

    In the fit's own units (not scaled back: `assemble` does that once)."""
    names, prior, bounds = _columns(decisions, current, components)
    diffs, weights, _ = pairs(decisions, lambda d: _features(d, names))
    penalty = np.full(len(prior), strength)
    theta = fit_logistic(diffs, weights, prior, penalty, bounds, level_order(names, prior))
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
    prior: Overlay | None = None,
) -> Overlay:
    """The weights the decisions support, pulled toward `current` (see the module's note).

    Stage zero (`text_prior`, unless `prior` is given: `current` with the text's chosen
    weight), stage one (`fit_shared`, pulled toward it) for every enterprise; then each
    category of `choices`
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
    if prior is None:
        prior, _ = text_prior(decisions, current, components, settings)
    shared = fit_shared(decisions, prior, components, settings.strength)
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
