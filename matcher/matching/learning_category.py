"""A category's own part of a learned config: stage two of matcher/matching/learning.py.

Each treatment category with enough decisions gets, on top of the weights shared
by every enterprise, one factor per component and its own weights of the
engagement matrix's levels (`CATEGORY_LEVELS`), fitted on its decisions alone
and pulled toward the current part; `with_parts` puts the parts on the shared
weights.  Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from matcher.matching.learning_data import FACTOR_BOUNDS, SHOWN, ZERO_LEVEL, Decision, Overlay
from matcher.matching.learning_fit import fit_logistic, level_order, pairs

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

    diffs, weights, _ = pairs(mine, features)
    order = level_order(names, np.array(_file_weights(names, current)))
    theta = fit_logistic(
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
    """The current (file's) weight of each level column: what orders them (`level_order`)."""
    return [current.levels[c][label] if label is not None else 0.0 for c, label in names]
