"""One diagnosis end to end: the policy's verdicts, the blend, reasons, missing facts, flag."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from matcher.diagnosis import Lexicon, diagnose, gather_evidence, load_lexicon
from matcher.diagnosis.model import TreatmentModel, load_treatment_model
from matcher.diagnosis.policy import category_reasons, contributions
from matcher.profile import EnterpriseProfile
from matcher.vocab import CATEGORIES

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(FIXTURES / "diagnosis_lexicon.toml")


@pytest.fixture(scope="module")
def model() -> TreatmentModel:
    return load_treatment_model(FIXTURES / "models" / "diagnosis.joblib")


def _profile(**fields: Any) -> EnterpriseProfile:
    return EnterpriseProfile.from_dict({"name": "测试企业", **fields})


ARCHETYPES = [
    (
        "insolvent, licences and lines intact → 重整",
        {
            "operating_status": "in_bankruptcy",
            "financials": {"total_assets": 29000, "total_liabilities": 46000},
            "strengths": "药品批文40余个；生产线完好；医院渠道仍在",
        },
        "judicial_reorganization",
    ),
    (
        "insolvent, nothing left → 清算",
        {
            "operating_status": "halted",
            "problems": "停产四年，设备属淘汰类，职工已遣散，负债约1.1亿元，资产评估约2500万元",
            "strengths": "无",
        },
        "exit_liquidation",
    ),
    (
        "92% but solvent, overdue, orders → 债务重组",
        {
            "financials": {
                "total_assets": 52000,
                "total_liabilities": 48000,
                "overdue_debt": 16000,
            },
            "capacity_utilization": 0.72,
            "problems": "负责人想申请破产重整；订单充足，经营现金流为正",
        },
        "debt_restructuring",
    ),
    (
        "healthy, loan due → 纾困",
        {
            "financials": {"total_assets": 40000, "total_liabilities": 22000, "overdue_debt": 0},
            "capacity_utilization": 0.8,
            "problems": "2000万元流贷下月到期，银行要求先还后贷",
            "demands": "想引进战投",
        },
        "relief",
    ),
    (
        "solvent, inside an ecological red line → 清算出清",
        {
            "financials": {"total_assets": 9800, "total_liabilities": 3400, "overdue_debt": 0},
            "problems": "厂址划入生态保护红线，县政府要求年底前关停退出，不得改扩建",
        },
        "exit_liquidation",
    ),
    (
        "energy-capped plant that asks for an investor → 技改",
        {
            "financials": {"total_assets": 20000, "total_liabilities": 10000, "overdue_debt": 0},
            "problems": "用能指标已到上限，熔炉能耗比标杆高两成，冬季限产",
            "demands": "引进战略投资者做大",
        },
        "tech_upgrade",
    ),
    (
        "deep in debt but the court opened 重整 → 重整 (without the procedure: 清算)",
        {
            "operating_status": "in_bankruptcy",
            "problems": "债务缠身，资产负债率约190%，法院裁定受理重整申请。",
        },
        "judicial_reorganization",
    ),
    (
        "licences intact but the court declared it bankrupt → 清算 (without it: 重整)",
        {
            "operating_status": "in_bankruptcy",
            "problems": "资不抵债，法院已宣告破产。",
            "strengths": "有生产许可证，设备完好",
        },
        "exit_liquidation",
    ),
    (
        "insolvent on paper but producing, no court or creditor petition → 庭外债务重组 (was 重整)",
        {
            "operating_status": "normal",
            "financials": {"total_assets": 50000, "total_liabilities": 61000},
            "problems": "行业下行，连续亏损，资不抵债；多家银行贷款集中到期。",
            "strengths": "订单稳定，生产线完好，拥有生产许可证",
        },
        "debt_restructuring",
    ),
    (
        "the same firm once a bank has petitioned the court → 重整",
        {
            "operating_status": "normal",
            "financials": {"total_assets": 50000, "total_liabilities": 61000},
            "problems": "行业下行，连续亏损，资不抵债；一家银行已向法院提出破产申请。",
            "strengths": "订单稳定，生产线完好，拥有生产许可证",
        },
        "judicial_reorganization",
    ),
    (
        "producing but liabilities six times the assets → 重整 (no out-of-court deal at that "
        "depth)",
        {
            "operating_status": "partial",
            "financials": {"total_assets": 10000, "total_liabilities": 60000},
            "problems": "全面亏损，银行、供应商纷纷起诉，商标被查封。",
            "strengths": "品牌知名度高，生产线仍在",
        },
        "judicial_reorganization",
    ),
    (
        "halted, idle plant, the company petitioned for 清算 → 清算 (without the petition's "
        "procedure: 重整)",
        {
            "operating_status": "halted",
            "problems": "经营不善，资不抵债，土地厂房闲置；公司已向法院申请破产清算。",
            "strengths": "成片工业用地和厂房",
        },
        "exit_liquidation",
    ),
    (
        "a bank's 重整申请 is a petition for 重整 → 重整 (it was read as no court step)",
        {
            "operating_status": "partial",
            "problems": "资不抵债，一家银行已向法院提出重整申请。",
            "strengths": "有生产许可证",
        },
        "judicial_reorganization",
    ),
    (
        "a relocation made years ago is history, not an exit order → 重整",
        {
            "operating_status": "in_bankruptcy",
            "problems": "2013年完成环保搬迁，搬迁后债务沉重，资不抵债。",
            "strengths": "钢铁产能合规，生产线完好",
        },
        "judicial_reorganization",
    ),
]


@pytest.mark.parametrize(("why", "fields", "expected"), ARCHETYPES)
def test_the_policy_reads_as_an_officer_would(
    lexicon: Lexicon, why: str, fields: dict, expected: str
) -> None:
    result = diagnose(_profile(**fields), lexicon=lexicon, model=None, as_of_year=2026)
    assert result.primary == expected, (why, result.categories[:2])


def test_reasons_cite_the_figure_and_the_words(lexicon: Lexicon) -> None:
    fields = ARCHETYPES[0][1]
    result = diagnose(_profile(**fields), lexicon=lexicon, model=None)
    reasons = "；".join(result.categories[0].reasons)
    assert "159%" in reasons and "「" in reasons
    gone = gather_evidence(_profile(**ARCHETYPES[1][1]), lexicon, as_of_year=2026)
    against = category_reasons("judicial_reorganization", contributions(gone))
    assert any(r.startswith("不利：主业已无挽救价值") for r in against), against


def test_an_empty_profile_leans_nowhere(lexicon: Lexicon) -> None:
    result = diagnose(_profile(financials=None), lexicon=lexicon, model=None)
    probabilities = result.policy_probabilities
    assert max(probabilities.values()) - min(probabilities.values()) < 1e-9
    assert result.needs_review
    assert "补充总资产与总负债，可判断是否资不抵债" in result.missing


def test_close_debt_and_reorganisation_ask_for_the_balance_sheet(lexicon: Lexicon) -> None:
    profile = _profile(problems="企业资不抵债，逾期贷款较多，订单仍在，设备完好")
    result = diagnose(profile, lexicon=lexicon, model=None, margin=1.0)
    top = {c.code for c in result.categories[:2]}
    assert top == {"judicial_reorganization", "debt_restructuring"}
    assert any("可区分债务重组与破产重整" in m for m in result.missing)


def test_the_blend_and_the_flag(lexicon: Lexicon, model: TreatmentModel) -> None:
    profile = _profile(**ARCHETYPES[3][1])
    full = diagnose(profile, lexicon=lexicon, model=model)
    assert full.model_version == model.model_version
    assert full.model_probabilities is not None
    assert math.isclose(sum(full.model_probabilities.values()), 1.0, rel_tol=1e-6)
    weight = model.metadata["blend_weight"]
    for c in full.categories:
        expected = (1 - weight) * full.policy_probabilities[c.code]
        expected += weight * full.model_probabilities[c.code]
        assert c.probability == pytest.approx(expected, abs=1e-4)
    assert any(r.startswith("模型：") for r in full.categories[0].reasons)
    wide = diagnose(profile, lexicon=lexicon, model=model, margin=1.0)
    assert wide.needs_review and "前两类概率接近" in wide.review_reasons[0]


def test_findings_are_plain_data_in_question_order(lexicon: Lexicon) -> None:
    result = diagnose(_profile(**ARCHETYPES[1][1]), lexicon=lexicon, model=None)
    assert [f["question"] for f in result.findings][:3] == ["solvency", "court", "core_business"]
    assert all(set(f) >= {"answer", "text", "source", "evidence", "title"} for f in result.findings)
    assert set(result.policy_probabilities) == set(CATEGORIES)


def test_the_shipped_model_records_how_it_was_chosen(model: TreatmentModel) -> None:
    meta = model.metadata
    assert meta["data_source"] == "diagnosis_corpus.jsonl"
    assert 0.0 <= meta["blend_weight"] <= 1.0
    assert meta["cv"]["flag_recall_of_errors"] >= 0.8
    assert meta["cv"]["full_macro_f1"] >= meta["cv"]["policy_macro_f1"]


def test_a_model_of_another_shape_is_refused(tmp_path: Path, model: TreatmentModel) -> None:
    odd = TreatmentModel(model.pipeline, {**model.metadata, "features": ["x"]})
    path = tmp_path / "odd.joblib"
    odd.save(path)
    with pytest.raises(ValueError, match="ld train"):
        load_treatment_model(path)


def test_the_procedure_a_court_opened_is_a_reason(lexicon: Lexicon) -> None:
    profile = _profile(operating_status="in_bankruptcy", problems="2021年2月法院裁定进入破产重整。")
    result = diagnose(profile, lexicon=lexicon, model=None, as_of_year=2026)
    reorg = next(c for c in result.categories if c.code == "judicial_reorganization")
    assert any("法院已开启重整程序" in r and "进入破产重整" in r for r in reorg.reasons)
    exit_ = next(c for c in result.categories if c.code == "exit_liquidation")
    assert any(r.startswith("不利：法院已开启重整程序") for r in exit_.reasons), exit_.reasons


@pytest.mark.parametrize(
    ("fields", "procedure"),
    [
        (
            {"operating_status": "in_bankruptcy", "problems": "法院裁定受理重整申请"},
            "reorganisation",
        ),
        ({"operating_status": "in_bankruptcy", "problems": "法院宣告破产"}, "liquidation"),
        # Both named: "招募重整投资人，否则转入破产清算" decides neither.
        (
            {"operating_status": "in_bankruptcy", "problems": "招募重整投资人，否则转入破产清算"},
            None,
        ),
        # No court has acted: a petition's words say nothing of what a court opened.
        ({"operating_status": "halted", "problems": "债权人拟申请破产重整"}, None),
    ],
)
def test_which_procedure_is_read_only_once_a_court_acted(
    lexicon: Lexicon, fields: dict, procedure: str | None
) -> None:
    ev = gather_evidence(_profile(**fields), lexicon, as_of_year=2026)
    assert (ev.procedure[0] if ev.procedure else None) == procedure
    court = ev.findings["court"]
    named = {"reorganisation": "（重整）", "liquidation": "（清算）"}.get(procedure or "")
    assert court.text.endswith(named) if named else "（" not in court.text
    if named:
        assert any(fields["problems"].split("，")[0] in e for e in court.evidence)


def test_a_completed_relocation_is_not_a_policy_exit(lexicon: Lexicon) -> None:
    moved = gather_evidence(_profile(problems="2013年完成环保搬迁"), lexicon, as_of_year=2026)
    ordered = gather_evidence(_profile(problems="县政府要求年内搬迁"), lexicon, as_of_year=2026)
    assert moved.count("policy_exit") == 0
    assert ordered.count("policy_exit") == 1


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("实控人股权质押面临平仓风险", "liquidity"),
        ("生产方式落后，多靠手工", "capped"),
        ("事件后品牌信誉崩塌，销量归零", "gone"),
    ],
)
def test_the_lexicon_reads_these_as_officers_do(lexicon: Lexicon, text: str, family: str) -> None:
    ev = gather_evidence(_profile(problems=text), lexicon, as_of_year=2026)
    assert ev.count(family) >= 1, family


def test_a_creditor_that_petitions_is_no_owner_wish(lexicon: Lexicon) -> None:
    bank = gather_evidence(_profile(problems="一家银行已向法院提出破产申请"), lexicon)
    owner = gather_evidence(_profile(problems="企业提出申请破产"), lexicon)
    assert bank.findings["court"].answer == "petition"
    assert owner.findings["court"].answer != "petition"


def test_what_a_petition_asks_for_is_read_and_cited(lexicon: Lexicon) -> None:
    profile = _profile(operating_status="halted", problems="资不抵债，公司已向法院申请破产清算。")
    ev = gather_evidence(profile, lexicon, as_of_year=2026)
    assert ev.findings["court"].answer == "petition"
    assert ev.petitioned is not None and ev.petitioned[0] == "liquidation"
    assert ev.procedure is None  # a petition is not a ruling
    result = diagnose(profile, lexicon=lexicon, model=None, as_of_year=2026)
    exit_ = next(c for c in result.categories if c.code == "exit_liquidation")
    assert any(r.startswith("支持：已申请的是破产清算") for r in exit_.reasons), exit_.reasons
