"""Deal-size estimation per category, from prose and from the financials."""

from __future__ import annotations

import pytest

from matcher.matching.deal_estimate import deal_estimate, estimate_deal_size, find_amount
from matcher.profile import Asset, EnterpriseProfile, Financials

FIN = Financials(total_assets=20000.0, total_liabilities=15000.0)
ASSETS = (
    Asset(type="land", appraised_value=2000.0, idle=True),
    Asset(type="plant", book_value=500.0, idle=True),
    Asset(type="equipment", appraised_value=800.0, idle=False),
)


def _ent(**kw: object) -> EnterpriseProfile:
    return EnterpriseProfile(name="甲", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("description", "profile", "category", "expected"),
    [
        (
            "relief: renewal asked",
            _ent(demands="协调银行续贷或无还本续贷3490万元，不抽贷。"),
            "relief",
            3490.0,
        ),
        (
            "relief: figure before 贷款",
            _ent(problems="7120万元贷款到期续贷审批收紧。"),
            "relief",
            7120.0,
        ),
        ("relief: no figure, 20% of liabilities", _ent(financials=FIN), "relief", 3000.0),
        (
            "strategic: equity ask in 亿元",
            _ent(demands="希望引入国资入股，融资1.69亿元。"),
            "strategic_investment",
            16900.0,
        ),
        ("strategic: half the net assets", _ent(financials=FIN), "strategic_investment", 2500.0),
        (
            "strategic, liabilities unknown: half the assets",
            _ent(financials=Financials(total_assets=20000.0)),
            "strategic_investment",
            10000.0,
        ),
        ("merger: the net assets", _ent(financials=FIN), "merger_restructuring", 5000.0),
        (
            "merger, insolvent: a rough half of the assets",
            _ent(financials=Financials(total_assets=20000.0, total_liabilities=25000.0)),
            "merger_restructuring",
            10000.0,
        ),
        (
            "merger: the net assets from prose",
            _ent(problems="据企业报表，总资产约2亿元，总负债约1.3亿元"),
            "merger_restructuring",
            7000.0,
        ),
        ("asset revitalization: idle assets", _ent(assets=ASSETS), "asset_revitalization", 2500.0),
        ("debt: liabilities", _ent(financials=FIN), "debt_restructuring", 15000.0),
        (
            "debt: liabilities in prose",
            _ent(problems="资产评估值约8.28亿元，负债约12.93亿元"),
            "debt_restructuring",
            129300.0,
        ),
        (
            "judicial: investment needed",
            _ent(demands="公开招募重整投资人，预计需投入约3.51亿元"),
            "judicial_reorganization",
            35100.0,
        ),
        ("exit: every residual asset", _ent(assets=ASSETS), "exit_liquidation", 3300.0),
        (
            "tech: project budget",
            _ent(demands="引入科研院所合作，改造投资约3100万元。"),
            "tech_upgrade",
            3100.0,
        ),
        ("tech: 30% of assets", _ent(financials=FIN), "tech_upgrade", 6000.0),
    ],
)
def test_estimate_deal_size(
    description: str, profile: EnterpriseProfile, category: str, expected: float
) -> None:
    value, why = estimate_deal_size(profile, category)
    assert value == pytest.approx(expected), description
    assert "万元" in why


@pytest.mark.parametrize("category", ["relief", "merger_restructuring", "exit_liquidation"])
def test_no_figures_gives_none(category: str) -> None:
    value, why = estimate_deal_size(_ent(), category)
    assert value is None
    assert why


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("股权融资约6200万元", ("股权融资",), 6200.0),
        ("负债约12.93亿元", ("负债",), 129300.0),
        ("负债率56%，无逾期。", ("负债",), None),
        ("融资。下一句1亿元", ("融资",), None),
    ],
)
def test_find_amount(text: str, words: tuple[str, ...], expected: float | None) -> None:
    assert find_amount(text, words) == expected


def test_an_unstated_equity_ask_is_a_share_of_the_equity_and_says_so() -> None:
    """Issue 14: a strategic investor buys shares, not the debt-financed assets; a 72 %-debt
    firm's unstated ask is half its net assets (8100万元), not half its assets (2.9亿元)."""
    leveraged = _ent(financials=Financials(total_assets=58000.0, total_liabilities=41800.0))
    value, basis, known = deal_estimate(leveraged, "strategic_investment")
    assert value == pytest.approx(8100.0)
    assert known
    assert "按净资产的50%" in basis and "股权" in basis
