"""The pairwise logistic model the learner fits: pairs, the solver, the order of levels.

One home for the loss of matcher/matching/learning.py (see its note): the pairs
of one enterprise's decisions, better − worse, each enterprise weighing as many
decisions as the officers made on it; the penalised fit with a free temperature;
the rows that keep the weights file's order of levels.  Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import minimize

from matcher.matching.learning_data import OUTCOMES, SHOWN, Decision, _by_enterprise


def pairs(
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


def fit_logistic(
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
    kept (`level_order`; a category's deltas keep it on top of the shared weights).
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


def level_order(names: Sequence[tuple[str, str | None]], prior: np.ndarray) -> np.ndarray:
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
