"""Coverage: the top of a list gives the officer what the treatment needs, not ten of one role.

After fusion the qualified partners are taken greedily: each next place goes
to the best score less `coverage_penalty` for every partner of the same role
(matcher.matching.roles) already placed above it beyond that role's free
places: `coverage_lead_places` for the role that leads the treatment and its
co-leads (`co_leads`: a 引进战投's equity fund; more where
`coverage_lead_places_by_treatment` says so: a 债务重组's 债委会 has six),
`coverage_support_places` for each other role it needs, one for a role it does
not need (a 债务重组 is the creditors' business: four financiers before the
next is moved down; a 破产重整 led by an industrial investor keeps two
financiers, the 共益债 lender and the buyer of claims, before the third is
moved down, and one law firm).  A list whose candidates
all have one role keeps its score order (every candidate bears the same
penalty at each step); a 破产重整 whose top scores are eight financiers
brings the industrial investor up to the second or third place.

The adjustment is a part of the score (`coverage` in every result's
components, 0 or negative), so the list stays sorted by score and the reason
says why a partner was moved down.  The picked adjusted scores never rise: a
partner's penalty only grows as places are filled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from matcher.matching.components.role import ROLE_CODES

if TYPE_CHECKING:
    from matcher.matching.context import MatchContext, MatchQuery

COVERAGE = "coverage"
"""The name of the adjustment in scores and stored components."""
COVERAGE_TITLE = "角色覆盖"
SHORTLIST_FACTOR = 3
"""Candidates considered: this many times the places to fill (and at least 30)."""


class Covered(NamedTuple):
    rows: np.ndarray
    """The picked rows, best adjusted score first."""
    adjust: np.ndarray
    """Each picked row's adjustment (0 or negative), aligned with `rows`."""
    above: np.ndarray
    """How many partners of the same role were placed above each."""


def cover(
    order: np.ndarray,
    total: np.ndarray,
    roles: np.ndarray,
    limit: int,
    penalty: float,
    free: np.ndarray | None = None,
) -> Covered:
    """Pick `limit` of the rows in `order` (best raw score first), diversifying roles.

    Args:
        order: candidate rows, best raw score first (ties already broken by id).
        total: every partner's fused score.
        roles: every partner's role number.
        limit: places to fill.
        penalty: subtracted per partner of the same role already placed
            beyond the role's free places.
        free: free places per role number (None: one each).

    Example:
        >>> cover(np.array([0, 1, 2]), np.array([3.0, 2.9, 2.5]), np.array([0, 0, 1]), 3, 0.5).rows
        array([0, 2, 1])
    """
    k = min(limit, len(order))
    if penalty <= 0 or k <= 1:
        picked = order[:k]
        zeros = np.zeros(k, dtype=np.float64)
        return Covered(picked, zeros, np.zeros(k, dtype=np.int64))
    base = total.take(order).astype(np.float64)
    role = roles.take(order).astype(np.int64)
    width = int(role.max()) + 1 if free is None else max(int(role.max()) + 1, len(free))
    allowed = np.ones(width, dtype=np.int64)
    if free is not None:
        allowed[: len(free)] = np.maximum(np.asarray(free, dtype=np.int64), 1)
    if len(base) > 1 and not (np.isfinite(base).all() and (base[:-1] >= base[1:]).all()):
        return _cover_scan(order, base, role, allowed, k, penalty)
    return _cover_heads(order, base, role, allowed, k, penalty)


def _cover_heads(
    order: np.ndarray,
    base: np.ndarray,
    role: np.ndarray,
    allowed: np.ndarray,
    k: int,
    penalty: float,
) -> Covered:
    """The greedy step over the best free candidate of each role (`base` non-increasing).

    Every free candidate of one role bears the same penalty, so with the raw
    scores non-increasing the best of a role is its first free candidate in
    `order`: each step compares one candidate per role (a handful) instead of
    every candidate, and ties go to the earlier in `order`, as in `_cover_scan`.
    The arithmetic is the scan's (a float64 score less `penalty` times a whole
    number), so both return the same rows, adjustments and counts.
    """
    scores = base.tolist()
    queues: dict[int, list[int]] = {}
    for position, r in enumerate(role.tolist()):
        queues.setdefault(r, []).append(position)
    heads = dict.fromkeys(queues, 0)
    counts = dict.fromkeys(queues, 0)
    beyond = {r: int(allowed[r]) - 1 for r in queues}
    rows, adjust, above = [], [], []
    for _ in range(k):
        best = best_role = -1
        best_value = 0.0
        best_seen = 0
        for r, positions in queues.items():
            h = heads[r]
            if h == len(positions):
                continue
            p = positions[h]
            seen = max(counts[r] - beyond[r], 0)
            value = scores[p] - penalty * seen
            if best < 0 or value > best_value or (value == best_value and p < best):
                best, best_role, best_value, best_seen = p, r, value, seen
        heads[best_role] += 1
        counts[best_role] += 1
        rows.append(best)
        adjust.append(-penalty * best_seen)
        above.append(best_seen)
    picked = order.take(np.array(rows, dtype=np.int64)).astype(np.int64)
    return Covered(picked, np.array(adjust, dtype=np.float64), np.array(above, dtype=np.int64))


def _cover_scan(
    order: np.ndarray,
    base: np.ndarray,
    role: np.ndarray,
    allowed: np.ndarray,
    k: int,
    penalty: float,
) -> Covered:
    """The greedy step over every free candidate (the reference; any order of `base`)."""
    counts = np.zeros(len(allowed), dtype=np.int64)
    beyond = (allowed - 1).take(role)
    free = np.ones(len(order), dtype=bool)
    rows, adjust, above = [], [], []
    for _ in range(k):
        seen = np.maximum(counts.take(role) - beyond, 0)
        adjusted = np.where(free, base - penalty * seen, -np.inf)
        best = int(np.argmax(adjusted))  # the first of equals: the better raw rank
        free[best] = False
        rows.append(order[best])
        adjust.append(-penalty * seen[best])
        above.append(seen[best])
        counts[role[best]] += 1
    return Covered(np.array(rows, dtype=np.int64), np.array(adjust), np.array(above))


def free_places(query: MatchQuery, ctx: MatchContext) -> np.ndarray:
    """Places per role (ROLE_CODES) before the coverage step moves the next one down."""
    free = np.ones(len(ROLE_CODES), dtype=np.int64)
    needs = ctx.config.role_needs.get(query.primary or "", [])
    for role in needs[1:]:
        free[ROLE_CODES.index(role)] = ctx.config.coverage_support_places
    for role in ctx.config.leads(query.primary):
        free[ROLE_CODES.index(role)] = ctx.config.lead_places(query.primary)
    return free
