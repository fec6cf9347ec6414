"""matcher.prose: figures written in prose, in 万元 and 亿元."""

from __future__ import annotations

import pytest

from matcher.diagnosis.amounts import (
    parse_cn_number,
    parse_money_figures,
    parse_percent_figures,
    parse_stoppage_months,
)

MONEY_CASES = [
    (
        "亿元 and 亿",
        "总资产约3.2亿元、负债4.1亿",
        {"total_assets": 32000.0, "total_liabilities": 41000.0},
    ),
    (
        "万元 and 万",
        "资产总额8960万元，负债合计13300万",
        {"total_assets": 8960.0, "total_liabilities": 13300.0},
    ),
    ("bare 元", "欠发工资3500000元", {"wage_arrears": 350.0}),
    (
        "overdue and guarantee",
        "逾期贷款2.24亿元，对外担保余额6.12亿元",
        {"overdue_debt": 22400.0, "guarantee_exposure": 61200.0},
    ),
    ("overdue after loan", "少量贷款逾期（747万元）", {"overdue_debt": 747.0}),
    (
        "revenue pair",
        "上年营业收入2.77亿元、前年6.92亿元",
        {"annual_revenue": 27700.0, "prior_revenue": 69200.0},
    ),
    (
        "revenue from-to",
        "营收由3亿元下降至1.5亿元",
        {"prior_revenue": 30000.0, "annual_revenue": 15000.0},
    ),
    ("loss is negative", "净利润亏损1.26亿元", {"net_profit": -12600.0}),
    ("plain loss", "去年亏损800万元", {"net_profit": -800.0}),
    ("profit positive", "净利润2715万元", {"net_profit": 2715.0}),
    (
        "appraisal as assets",
        "资产评估值约8.28亿元，负债约12.93亿元",
        {"total_assets": 82800.0, "total_liabilities": 129300.0, "appraised_assets": 82800.0},
    ),
    (
        "bare 资产",
        "资产3亿元，负债4.2亿元",
        {"total_assets": 30000.0, "total_liabilities": 42000.0},
    ),
    ("idle assets are not total assets", "闲置资产每年折旧约440万元", {}),
    ("多 between number and unit", "欠工人工资200多万", {"wage_arrears": 200.0}),
    ("no unit, no figure", "负债可控，银行未抽贷，职工120人", {}),
    ("ratio is not an amount", "资产负债率112%", {}),
    ("亿 then 多", "负债3亿多元", {"total_liabilities": 30000.0}),
    ("千万", "总资产5千万元", {"total_assets": 5000.0}),
    ("百万", "欠薪3百万元", {"wage_arrears": 300.0}),
    ("a range counts as its midpoint", "总负债约2500万—3500万元", {"total_liabilities": 3000.0}),
    ("a range with one unit", "总资产1.2至1.5亿元", {"total_assets": 13500.0}),
    (
        "亿元 is not 亿 + 元",
        "总资产约1.36亿元，总负债约5799万元",
        {"total_assets": 13600.0, "total_liabilities": 5799.0},
    ),
    (
        "bare 资产 after 不到",
        "资产不到60万元，负债约400万元",
        {"total_assets": 60.0, "total_liabilities": 400.0},
    ),
    (
        "an appraisal below the book value",
        "总资产账面1.6亿元、评估不足6000万元，负债约1.45亿元",
        {"total_assets": 16000.0, "appraised_assets": 6000.0, "total_liabilities": 14500.0},
    ),
]


@pytest.mark.parametrize(("why", "text", "expected"), MONEY_CASES)
def test_parse_money_figures(why: str, text: str, expected: dict[str, float]) -> None:
    assert parse_money_figures(text) == expected, why


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("资产负债率112%", {"debt_ratio": 1.12}),
        ("负债率约56%", {"debt_ratio": 0.56}),
        ("产能利用率约60%", {"capacity_utilization": 0.6}),
        ("开工率不足30%", {"capacity_utilization": 0.3}),
        ("营业收入同比增长20%", {"revenue_change": 0.2}),
        ("营收同比下降35%", {"revenue_change": -0.35}),
        ("净利率约13%", {}),
        ("资不抵债约114%", {"debt_ratio": 1.14}),
        ("负债率约92%", {"debt_ratio": 0.92}),
    ],
)
def test_parse_percent_figures(text: str, expected: dict[str, float]) -> None:
    assert parse_percent_figures(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021年起停产至今", {"halted_months": 60.0}),
        ("2025年3月起停产", {"halted_months": 15.0}),
        ("企业已停产2年", {"halted_months": 24.0}),
        ("停产已两年多", {"halted_months": 24.0}),
        ("停产半年", {"halted_months": 6.0}),
        ("停产18个月", {"halted_months": 18.0}),
        ("半停产已1年", {"partial_months": 12.0}),
        ("2024年起半停产", {"partial_months": 24.0}),
        ("生产正常", {}),
        ("1900年起停产", {}),
    ],
)
def test_parse_stoppage_months(text: str, expected: dict[str, float]) -> None:
    assert parse_stoppage_months(text, as_of_year=2026) == expected


@pytest.mark.parametrize(
    ("text", "status", "months"),
    [
        # An event with a later dated fact: known to last until that fact, not until today.
        ("2020年初全面停产；2021年2月法院裁定进入破产重整", "in_bankruptcy", 12.0),
        # Words or the form saying it still lasts count until today.
        ("2020年全面停产，至今未复产", "in_bankruptcy", 72.0),
        ("2020年全面停产；2021年法院受理", "halted", 72.0),
        ("2022年停产，目前仍未复产", "normal", 48.0),
    ],
)
def test_a_dated_stoppage_lasts_as_long_as_the_file_says(
    text: str, status: str, months: float
) -> None:
    found = parse_stoppage_months(text, as_of_year=2026, status=status)
    assert found == {"halted_months": months}


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("3", 3.0),
        ("2.5", 2.5),
        ("两", 2.0),
        ("十", 10.0),
        ("十二", 12.0),
        ("二十", 20.0),
        ("半", 0.5),
        ("多", None),
        ("", None),
    ],
)
def test_parse_cn_number(token: str, expected: float | None) -> None:
    assert parse_cn_number(token) == expected


@pytest.mark.parametrize("seed", range(20))
def test_parsers_never_raise_on_noise(seed: int) -> None:
    import random

    rng = random.Random(seed)
    alphabet = list(
        "总资产负债逾期担保欠薪工资营业收入前年净利润亏损停产半年个月约为亿万元%0123456789.，。（"
    )
    text = "".join(rng.choice(alphabet) for _ in range(200))
    assert isinstance(parse_money_figures(text), dict)
    assert isinstance(parse_percent_figures(text), dict)
    assert isinstance(parse_stoppage_months(text, as_of_year=2026), dict)
