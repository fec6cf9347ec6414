"""交易规模: the estimated deal against the partner's ticket range, decaying outside it.

The estimate itself (which figure a category's deal is, read from prose or
the financials) is matcher.matching.deal_estimate; it is made once per query.
A deal beyond `ticket_far_factor` removes the partner when `ticket_filter` is on.

Unknown is not a fact: a figure that is only a share of the balance sheet
(`MatchQuery.deal_known` false) gives `unknown` within the far factor (no
bonus) and `unknown_far` beyond it (a caution, never a filter), and the reason
says the estimate's basis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.industry import IndustryTable
from matcher.matching.arrays import levels_where
from matcher.matching.component import Contribution, Key, Level, RuleComponent, level_filter
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.policy import weight_factor
from matcher.profile import PartnerProfile

LEVELS = (
    Level("null", "规模无法估算", 0.0, "交易规模无法估算"),
    Level("inside", "在区间内", 1.0, "估算规模约{value:.0f}万元，在{span}区间内"),
    Level("near", "接近区间", 0.0, "估算规模约{value:.0f}万元，接近{span}"),
    Level("far", "相差较大", -0.8, "估算规模约{value:.0f}万元，与{span}相差较大"),
    Level(
        "unknown",
        "规模未能确定",
        0.0,
        "交易规模未能确定（{basis}，仅为粗估），不作筛选、不加分",
    ),
    Level(
        "unknown_far",
        "粗估规模相差较大",
        -1.0,
        "粗估规模约{value:.0f}万元（{basis}），与{span}相差3倍以上，仅作提示、不作筛选",
    ),
    Level("else", "相差3倍以上", -4.0, "估算规模约{value:.0f}万元，与{span}相差3倍以上"),
)


def ticket_ratio(value: float, lo: float | None, hi: float | None) -> float:
    """How many times the deal lies outside [lo, hi]; 1.0 inside.

    Example:
        >>> ticket_ratio(600.0, 100.0, 200.0)
        3.0
    """
    if lo is not None and value < lo:
        return lo / max(value, 1e-9)
    if hi is not None and value > hi:
        return value / max(hi, 1e-9)
    return 1.0


def pair(q: MatchQuery, p: PartnerProfile, ctx: MatchContext) -> Contribution:
    value = q.deal[0]
    if value is None or value <= 0:
        return DEAL_SIZE.verdict(q, ctx, "null")
    lo, hi = p.ticket_min, p.ticket_max
    if lo is None and hi is None:
        # No bounds means "any size" (spec: a null bound is unbounded), not missing data.
        if not q.deal_known:
            return DEAL_SIZE.verdict(q, ctx, "unknown", basis=q.deal[1])
        return DEAL_SIZE.verdict(q, ctx, "inside", detail="合作方不限交易规模")
    span = f"{lo or 0:.0f}-{hi:.0f}万元" if hi is not None else f"{lo:.0f}万元以上"
    ratio = ticket_ratio(value, lo, hi)
    cfg = ctx.config
    if not q.deal_known:
        label = "unknown" if ratio <= cfg.ticket_far_factor else "unknown_far"
        return DEAL_SIZE.verdict(q, ctx, label, value=value, span=span, basis=q.deal[1])
    if ratio <= 1.0:
        label = "inside"
    elif ratio <= cfg.ticket_near_factor:
        label = "near"
    elif ratio <= cfg.ticket_far_factor:
        label = "far"
    else:
        label = "else"
    return DEAL_SIZE.verdict(q, ctx, label, value=value, span=span)


@dataclass(frozen=True)
class TicketState:
    lo_or_0: np.ndarray
    hi_or_inf: np.ndarray


def prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> TicketState:
    return TicketState(
        lo_or_0=np.array([p.ticket_min or 0.0 for p in partners], dtype=np.float64),
        hi_or_inf=np.array(
            [np.inf if p.ticket_max is None else max(p.ticket_max, 1e-9) for p in partners],
            dtype=np.float64,
        ),
    )


def ticket_ratios(state: TicketState, value: float) -> np.ndarray:
    """Vectorised `ticket_ratio` (≥ 1; 1 inside the range)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        below = state.lo_or_0 / max(value, 1e-9)
        above = np.maximum(value / state.hi_or_inf, 1.0)
    return np.where(below > 1.0, below, above)


def pool(state: TicketState, q: MatchQuery, ctx: MatchContext) -> np.ndarray:
    n, value = len(state.lo_or_0), q.deal[0]
    if value is None or value <= 0:
        return DEAL_SIZE.full(n, "null")
    ratio = ticket_ratios(state, value)
    cfg = ctx.config
    if not q.deal_known:
        return levels_where(
            n,
            DEAL_SIZE.index("unknown_far"),
            [(ratio <= cfg.ticket_far_factor, DEAL_SIZE.index("unknown"))],
        )
    return levels_where(
        n,
        DEAL_SIZE.index("else"),
        [
            (ratio <= cfg.ticket_far_factor, DEAL_SIZE.index("far")),
            (ratio <= cfg.ticket_near_factor, DEAL_SIZE.index("near")),
            (ratio <= 1.0, DEAL_SIZE.index("inside")),
        ],
    )


def key(q: MatchQuery, ctx: MatchContext) -> Key:
    return (q.deal[0], q.deal_known)


def note(q: MatchQuery) -> str:
    """How the deal was estimated, said once under every result."""
    value, basis = q.deal
    return basis if value is not None else ""


DEAL_SIZE = RuleComponent(
    name="deal_size",
    title="交易规模",
    levels=LEVELS,
    pair=pair,
    pool=pool,
    key=key,
    prepare=prepare,
    factor=weight_factor("deal_size"),
    note=note,
)

BEYOND_TICKET = level_filter(
    DEAL_SIZE,
    "else",
    "交易规模与合作方区间相差3倍以上",
    name="beyond_ticket",
    when=lambda config: bool(config.ticket_filter),
)
