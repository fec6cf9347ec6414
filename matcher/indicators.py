"""Derived financial indicators, computed in one place.

Every consumer (diagnosis signals, deal-size estimates, the API's read models,
the officers' page) reads these rather than redoing the arithmetic, so that a
ratio means the same thing everywhere.  A ratio whose inputs are missing, or
whose denominator is zero, is None: "unknown" must never look like "healthy".
"""

from __future__ import annotations

from dataclasses import dataclass

from matcher.profile import EnterpriseProfile


@dataclass(frozen=True)
class Indicators:
    debt_ratio: float | None
    """total_liabilities / total_assets (资产负债率)."""
    overdue_share: float | None
    """overdue_debt / total_liabilities (逾期债务占比)."""
    guarantee_share: float | None
    """guarantee_exposure / total_assets (对外担保占总资产)."""
    revenue_change: float | None
    """annual_revenue / prior_revenue - 1 (营业收入同比)."""
    profit_margin: float | None
    """net_profit / annual_revenue."""
    idle_asset_value: float
    """Sum of the value of idle assets, in 万元 (unvalued assets count 0)."""
    encumbered_asset_value: float
    """Sum of the value of mortgaged or seized assets, in 万元."""
    idle_asset_count: int
    seized_asset_count: int


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def compute_indicators(profile: EnterpriseProfile) -> Indicators:
    """Compute the derived indicators of one enterprise.

    Args:
        profile: the enterprise.

    Returns:
        The indicators; ratios are None when an input is missing.

    Example:
        >>> from matcher.profile import Financials
        >>> money = Financials(total_assets=100, total_liabilities=112)
        >>> compute_indicators(EnterpriseProfile(name="甲", financials=money)).debt_ratio
        1.12
    """
    fin = profile.financials
    revenue_change = _ratio(fin.annual_revenue, fin.prior_revenue)
    idle = [a for a in profile.assets if a.idle]
    encumbered = [a for a in profile.assets if a.encumbrance in ("mortgaged", "seized")]
    return Indicators(
        debt_ratio=_ratio(fin.total_liabilities, fin.total_assets),
        overdue_share=_ratio(fin.overdue_debt, fin.total_liabilities),
        guarantee_share=_ratio(fin.guarantee_exposure, fin.total_assets),
        revenue_change=None if revenue_change is None else revenue_change - 1.0,
        profit_margin=_ratio(fin.net_profit, fin.annual_revenue),
        idle_asset_value=sum(a.value or 0.0 for a in idle),
        encumbered_asset_value=sum(a.value or 0.0 for a in encumbered),
        idle_asset_count=len(idle),
        seized_asset_count=sum(1 for a in profile.assets if a.encumbrance == "seized"),
    )
