"""Derived indicators: each ratio, and None (not zero) when inputs are missing."""

from __future__ import annotations

import pytest

from matcher.indicators import compute_indicators
from matcher.profile import Asset, EnterpriseProfile, Financials


def test_ratios_from_financials() -> None:
    profile = EnterpriseProfile(
        name="甲",
        financials=Financials(
            total_assets=1000,
            total_liabilities=900,
            overdue_debt=180,
            guarantee_exposure=250,
            annual_revenue=800,
            prior_revenue=1000,
            net_profit=-40,
        ),
        assets=(
            Asset(type="plant", idle=True, appraised_value=300, book_value=100),
            Asset(type="land", idle=True, book_value=50, encumbrance="seized"),
            Asset(type="equipment", idle=False, appraised_value=70, encumbrance="mortgaged"),
        ),
    )
    got = compute_indicators(profile)
    assert got.debt_ratio == pytest.approx(0.9)
    assert got.overdue_share == pytest.approx(0.2)
    assert got.guarantee_share == pytest.approx(0.25)
    assert got.revenue_change == pytest.approx(-0.2)
    assert got.profit_margin == pytest.approx(-0.05)
    assert got.idle_asset_value == 350  # appraisal preferred over book value
    assert got.encumbered_asset_value == 120
    assert (got.idle_asset_count, got.seized_asset_count) == (2, 1)


@pytest.mark.parametrize(
    "financials",
    [
        Financials(),
        Financials(total_liabilities=5),
        Financials(total_assets=0, total_liabilities=5),
    ],
)
def test_missing_or_zero_denominator_gives_none(financials: Financials) -> None:
    got = compute_indicators(EnterpriseProfile(name="乙", financials=financials))
    assert got.debt_ratio is None
    assert got.overdue_share is None
    assert got.revenue_change is None
    assert got.idle_asset_value == 0
