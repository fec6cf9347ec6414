"""matcher.signals: signals from fields and from prose, on hand-built profiles."""

from __future__ import annotations

import pytest

from matcher.profile import Asset, EnterpriseProfile, Financials
from matcher.signals import (
    DEMAND_CUES,
    NUMERIC_SIGNALS,
    SITUATION_CUES,
    count_cues,
    extract_signals,
    figures_source,
    fill_financials,
)


def _profile(**kwargs: object) -> EnterpriseProfile:
    return EnterpriseProfile(name="测试企业", **kwargs)  # type: ignore[arg-type]


def _signals(**kwargs: object) -> dict[str, object]:
    return extract_signals(_profile(**kwargs), as_of_year=2026)


def test_ratios_come_from_the_form() -> None:
    fin = Financials(
        total_assets=1000,
        total_liabilities=1120,
        overdue_debt=224,
        guarantee_exposure=300,
        annual_revenue=500,
        prior_revenue=1000,
        net_profit=-50,
        wage_arrears=80,
    )
    s = _signals(financials=fin)
    assert s["debt_ratio"] == pytest.approx(1.12)
    assert s["overdue_share"] == pytest.approx(0.2)
    assert s["guarantee_share"] == pytest.approx(0.3)
    assert s["revenue_change"] == pytest.approx(-0.5)
    assert s["profit_margin"] == pytest.approx(-0.1)
    assert s["loss"] == 1.0
    assert s["wage_arrears"] == 80
    assert s["asset_turnover"] == pytest.approx(0.5)
    assert s["figures_source"] == "form"


def test_missing_inputs_are_none_not_zero() -> None:
    s = _signals()
    for name in (
        "debt_ratio",
        "overdue_share",
        "guarantee_share",
        "revenue_change",
        "profit_margin",
        "loss",
        "capacity_utilization",
        "halted_months",
    ):
        assert s[name] is None, name
    assert s["figures_source"] == "none"


def test_prose_fills_an_empty_form() -> None:
    s = _signals(problems="总资产约3.2亿元、负债4.1亿元，逾期8200万元，欠薪300万元")
    assert s["debt_ratio"] == pytest.approx(41000 / 32000)
    assert s["overdue_share"] == pytest.approx(8200 / 41000)
    assert s["wage_arrears"] == 300
    assert s["figures_source"] == "prose"


def test_form_wins_over_prose() -> None:
    p = _profile(
        financials=Financials(total_assets=100, total_liabilities=50),
        problems="总资产1亿元，总负债2亿元，逾期贷款10万元",
    )
    filled = fill_financials(p)
    assert filled.financials.total_liabilities == 50
    assert filled.financials.overdue_debt == 10
    assert figures_source(p) == "mixed"


def test_debt_ratio_written_as_percent() -> None:
    assert _signals(problems="负债率56%，无逾期")["debt_ratio"] == pytest.approx(0.56)


def test_capacity_field_wins_over_text() -> None:
    assert (
        _signals(capacity_utilization=0.8, problems="产能利用率约60%")["capacity_utilization"]
        == 0.8
    )
    assert _signals(problems="产能利用率约60%")["capacity_utilization"] == pytest.approx(0.6)


@pytest.mark.parametrize("status", ["normal", "partial", "halted", "in_bankruptcy"])
def test_status_one_hot(status: str) -> None:
    s = _signals(operating_status=status)
    assert s["operating_status"] == status
    assert [s[f"status_{c}"] for c in ("normal", "partial", "halted", "in_bankruptcy")].count(
        1.0
    ) == 1
    assert s[f"status_{status}"] == 1.0


def test_stoppage_and_staff() -> None:
    s = _signals(
        operating_status="halted", employees=5, problems="2022年起停产至今，职工仅剩5人留守"
    )
    assert s["halted_months"] == 48.0
    assert s["employees"] == 5.0


def test_assets() -> None:
    assets = (
        Asset(type="land", appraised_value=3000, idle=True, encumbrance="seized"),
        Asset(type="plant", book_value=1000, idle=True),
        Asset(type="equipment", book_value=500, encumbrance="mortgaged"),
    )
    s = _signals(assets=assets, financials=Financials(total_assets=10000))
    assert s["idle_asset_count"] == 2.0
    assert s["idle_asset_value"] == 4000
    assert s["idle_asset_share"] == pytest.approx(0.4)
    assert s["encumbered_asset_value"] == 3500
    assert s["seized_asset_count"] == 1.0


@pytest.mark.parametrize(
    ("text", "phrases", "expected"),
    [
        ("银行未抽贷", ("抽贷",), 0),
        ("银行抽贷3000万元", ("抽贷",), 1),
        ("无逾期", ("逾期",), 0),
        ("不存在逾期", ("逾期",), 0),
        ("少量贷款逾期", ("逾期",), 1),
        ("无订单，订单流失", ("无订单", "订单流失"), 2),
        ("逾期、逾期", ("逾期",), 1),
    ],
)
def test_count_cues_respects_negation(text: str, phrases: tuple[str, ...], expected: int) -> None:
    assert count_cues(text, phrases) == expected


def test_demands_are_counted_apart_from_the_situation() -> None:
    s = _signals(problems="贷款到期，银行压贷，订单充足", demands="想找个大集团入股")
    assert s["cue_liquidity_gap"] >= 2
    assert s["ask_equity"] == 1.0
    assert s["cue_orders"] == 1.0


def test_every_numeric_signal_is_present() -> None:
    s = _signals()
    assert set(NUMERIC_SIGNALS) <= set(s)
    assert {f"cue_{k}" for k in SITUATION_CUES} <= set(s)
    assert {f"ask_{k}" for k in DEMAND_CUES} <= set(s)
