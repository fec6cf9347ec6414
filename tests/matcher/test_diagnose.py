"""matcher.diagnose: blending, exactly one primary, reasons and review flags."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from matcher.diagnose import MIN_PROBABILITY, Diagnosis, diagnose
from matcher.diagnosis_rules import load_diagnosis_rules
from matcher.profile import Asset, EnterpriseProfile, Financials
from matcher.signals import SignalValue
from matcher.vocab import CATEGORIES

RULES = load_diagnosis_rules(
    Path(__file__).resolve().parents[2] / "fixtures" / "diagnosis_rules.toml"
)


class StubModel:
    """A model that always answers one fixed distribution."""

    def __init__(self, probs: Mapping[str, float]) -> None:
        self._probs = {c: probs.get(c, 0.0) for c in CATEGORIES}

    @property
    def model_version(self) -> str:
        return "diag-test-00000000"

    def predict_proba_one(
        self, profile: EnterpriseProfile, signals: Mapping[str, SignalValue]
    ) -> dict[str, float]:
        return dict(self._probs)


INSOLVENT = EnterpriseProfile(
    name="破产重整样例",
    operating_status="in_bankruptcy",
    capacity_utilization=0.1,
    financials=Financials(total_assets=10000, total_liabilities=11200, overdue_debt=6000),
    problems="法院已受理债权人的重整申请，已指定管理人；生产线保养完好，投资到位后可复产。",
    strengths="持有药品生产许可证",
)
RELIEF = EnterpriseProfile(
    name="纾困样例",
    operating_status="normal",
    capacity_utilization=0.75,
    financials=Financials(total_assets=20000, total_liabilities=11000, overdue_debt=0),
    problems="一笔3000万元贷款下月到期，银行压贷，回款周期拉长；在手订单充足。",
    demands="希望续贷，想找个大集团入股。",
)
EXIT = EnterpriseProfile(
    name="出清样例",
    operating_status="halted",
    capacity_utilization=0.0,
    employees=4,
    financials=Financials(total_assets=3000, total_liabilities=7500, wage_arrears=420),
    problems="2021年起停产至今，属淘汰类产能，设备陈旧已无改造价值，职工仅剩4人留守。",
    demands="老板仍希望重整复产。",
    assets=(Asset("land", appraised_value=2000, idle=True, encumbrance="seized"),),
)
IDLE = EnterpriseProfile(
    name="盘活样例",
    operating_status="partial",
    capacity_utilization=0.3,
    financials=Financials(total_assets=30000, total_liabilities=12000, overdue_debt=0),
    problems="主体搬迁后老厂区闲置，扩建厂房未投产。",
    demands="希望做债务重组。",
    assets=(
        Asset("land", appraised_value=5000, idle=True),
        Asset("plant", appraised_value=3000, idle=True),
    ),
)


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (INSOLVENT, "judicial_reorganization"),
        (RELIEF, "relief"),
        (EXIT, "exit_liquidation"),
        (IDLE, "asset_revitalization"),
    ],
    ids=["judicial", "relief-with-trap", "exit-with-trap", "idle-with-trap"],
)
def test_rules_only_primary(profile: EnterpriseProfile, expected: str) -> None:
    result = diagnose(profile, rules=RULES, model=None, as_of_year=2026)
    assert result.primary == expected
    assert result.model_version == "rules-only"


def _check_shape(result: Diagnosis) -> None:
    codes = [c.code for c in result.categories]
    assert codes[0] == result.primary
    assert len(set(codes)) == len(codes)
    probs = [c.probability for c in result.categories]
    assert probs == sorted(probs, reverse=True)
    assert all(p >= MIN_PROBABILITY for p in probs[1:])
    assert sum(probs) <= 1.0 + 1e-6


@pytest.mark.parametrize("profile", [INSOLVENT, RELIEF, EXIT, IDLE, EnterpriseProfile(name="空")])
def test_exactly_one_primary_sorted(profile: EnterpriseProfile) -> None:
    _check_shape(diagnose(profile, rules=RULES, model=None, as_of_year=2026))
    _check_shape(diagnose(profile, rules=RULES, model=StubModel({"relief": 1.0}), as_of_year=2026))


def test_reasons_carry_the_numbers() -> None:
    result = diagnose(INSOLVENT, rules=RULES, model=None, as_of_year=2026)
    top = result.categories[0]
    assert "支持：资产负债率 112%，超过 100%，资不抵债" in top.reasons
    assert "支持：企业已进入破产程序" in top.reasons
    relief_reasons = diagnose(RELIEF, rules=RULES, model=None).categories[0].reasons
    assert any(r.startswith("支持：") and ("到期" in r or "资金" in r) for r in relief_reasons)


def test_opposing_reasons_are_listed() -> None:
    result = diagnose(
        EXIT,
        rules=RULES,
        model=StubModel({"exit_liquidation": 0.5, "judicial_reorganization": 0.5}),
    )
    judicial = next(c for c in result.categories if c.code == "judicial_reorganization")
    assert any(r.startswith("不利：") for r in judicial.reasons)
    assert any(r.startswith("模型：") for r in judicial.reasons)


def test_model_is_blended() -> None:
    result = diagnose(RELIEF, rules=RULES, model=StubModel({"relief": 1.0}))
    assert result.model_version == "diag-test-00000000"
    assert result.primary == "relief"
    assert result.categories[0].probability > 0.5


def test_disagreement_needs_review() -> None:
    result = diagnose(RELIEF, rules=RULES, model=StubModel({"exit_liquidation": 1.0}))
    assert result.needs_review
    assert any("不一致" in r for r in result.review_reasons)


def test_close_top_two_needs_review() -> None:
    result = diagnose(
        RELIEF, rules=RULES, model=StubModel({"relief": 0.5, "tech_upgrade": 0.5}), model_weight=1.0
    )
    assert result.needs_review
    assert any("接近" in r for r in result.review_reasons)


def test_missing_key_fields_need_review() -> None:
    result = diagnose(EnterpriseProfile(name="空白", problems="经营困难"), rules=RULES, model=None)
    assert result.needs_review
    assert any("资产负债率" in r for r in result.review_reasons)
    assert any("产能利用率" in r for r in result.review_reasons)


def test_clear_case_needs_no_review() -> None:
    result = diagnose(
        INSOLVENT,
        rules=RULES,
        model=StubModel({"judicial_reorganization": 0.9, "exit_liquidation": 0.1}),
    )
    assert not result.needs_review
    assert result.review_reasons == ()


def test_signals_are_returned_for_display() -> None:
    result = diagnose(INSOLVENT, rules=RULES, model=None)
    assert result.signals["debt_ratio"] == pytest.approx(1.12)
    assert result.signals["operating_status"] == "in_bankruptcy"
    assert result.rules_version == RULES.version
