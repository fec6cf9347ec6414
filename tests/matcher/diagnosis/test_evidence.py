"""Each officer question, on each side: figure present, text only, negated, absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from matcher.diagnosis import Lexicon, gather_evidence, load_lexicon
from matcher.profile import EnterpriseProfile

LEXICON_PATH = Path(__file__).resolve().parents[3] / "fixtures" / "diagnosis_lexicon.toml"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(LEXICON_PATH)


def _answer(lexicon: Lexicon, question: str, **fields: Any) -> tuple[str, str, tuple[str, ...]]:
    profile = EnterpriseProfile.from_dict({"name": "测试企业", **fields})
    finding = gather_evidence(profile, lexicon, as_of_year=2026).findings[question]
    return finding.answer, finding.source, finding.evidence


FIN_INSOLVENT = {"total_assets": 10000, "total_liabilities": 13000}


@pytest.mark.parametrize(
    ("why", "fields", "answer", "source", "cites"),
    [
        ("figure", {"financials": FIN_INSOLVENT}, "insolvent", "figures", "资产负债率 130%"),
        (
            "figure, heavy",
            {"financials": {"total_assets": 100, "total_liabilities": 90}},
            "heavy",
            "figures",
            "90%",
        ),
        (
            "figures in prose",
            {"problems": "总资产约1亿元，总负债1.3亿元"},
            "insolvent",
            "text",
            "130%",
        ),
        ("percent in prose", {"problems": "负债率约92%，逾期1.6亿元"}, "heavy", "text", "92%"),
        ("words only", {"problems": "企业已资不抵债，无力清偿"}, "insolvent", "text", "资不抵债"),
        (
            "negated words",
            {"problems": "测算后企业并未资不抵债"},
            "not_insolvent",
            "text",
            "并未资不抵债",
        ),
        (
            "appraisal below the debt",
            {"problems": "负债约3.8亿元，资产评估约2.4亿元"},
            "insolvent",
            "text",
            "158%",
        ),
        ("absent", {"financials": None}, "unknown", "unknown", ""),
    ],
)
def test_solvency(
    lexicon: Lexicon, why: str, fields: dict, answer: str, source: str, cites: str
) -> None:
    got, got_source, evidence = _answer(lexicon, "solvency", **fields)
    assert (got, got_source) == (answer, source), why
    assert cites in "；".join(evidence), (why, evidence)


@pytest.mark.parametrize(
    ("why", "fields", "answer", "source"),
    [
        ("form status", {"operating_status": "in_bankruptcy"}, "proceedings", "figures"),
        ("text", {"problems": "2025年3月法院裁定受理重整，管理人已接管"}, "proceedings", "text"),
        ("petition", {"problems": "一家银行已向法院提交破产申请"}, "petition", "text"),
        (
            "seized assets",
            {"assets": [{"type": "land", "encumbrance": "seized"}]},
            "enforcement",
            "figures",
        ),
        ("enforcement words", {"problems": "厂房被查封，账户冻结"}, "enforcement", "text"),
        ("negated", {"problems": "尚未进入破产程序，未被起诉"}, "none", "unknown"),
        ("absent", {}, "none", "unknown"),
    ],
)
def test_court_and_creditor_action(
    lexicon: Lexicon, why: str, fields: dict, answer: str, source: str
) -> None:
    assert _answer(lexicon, "court", **fields)[:2] == (answer, source), why


@pytest.mark.parametrize(
    ("why", "fields", "answer", "source"),
    [
        (
            "capacity figure and orders",
            {"capacity_utilization": 0.8, "strengths": "订单排到下季度"},
            "viable",
            "figures",
        ),
        ("text only", {"strengths": "药品批文46个；生产线完好，老客户仍在"}, "viable", "text"),
        ("gone", {"problems": "设备属淘汰类，职工已遣散", "strengths": "无"}, "gone", "text"),
        ("years halted", {"problems": "2020年起停产至今", "strengths": "无。"}, "gone", "text"),
        ("negated strengths", {"strengths": "无批文，无客户，无品牌"}, "unknown", "unknown"),
        ("absent", {}, "unknown", "unknown"),
    ],
)
def test_core_business(lexicon: Lexicon, why: str, fields: dict, answer: str, source: str) -> None:
    assert _answer(lexicon, "core_business", **fields)[:2] == (answer, source), why


@pytest.mark.parametrize(
    ("why", "fields", "answer"),
    [
        ("liquidity", {"problems": "3000万元流贷本月到期，银行压降授信"}, "liquidity"),
        ("liquidity negated", {"problems": "银行未抽贷，没有到期贷款"}, "unknown"),
        (
            "structural",
            {"problems": "规模小，唯一客户占收入九成，老板年纪大无人接班"},
            "structural",
        ),
        ("capped", {"problems": "环保绩效评级低，冬季限产，能耗指标不足"}, "capped"),
        ("policy exit", {"problems": "猪场位于禁养区，须于年底前关闭搬迁"}, "policy_exit"),
        (
            "a conditional closure is a cap",
            {"problems": "若年底前未完成改造将被列入关停名单"},
            "capped",
        ),
        ("growth by figure", {"capacity_utilization": 0.99}, "growth"),
        ("growth by words", {"problems": "订单超过产能，需新建二期，股权融资1亿元"}, "growth"),
        ("absent", {}, "unknown"),
    ],
)
def test_nature_of_the_difficulty(lexicon: Lexicon, why: str, fields: dict, answer: str) -> None:
    assert _answer(lexicon, "difficulty", **fields)[0] == answer, why


def test_growth_by_figure_cites_the_figure(lexicon: Lexicon) -> None:
    _, _, evidence = _answer(lexicon, "difficulty", capacity_utilization=0.99)
    assert evidence[0] == "产能利用率 99%"


IDLE_PLANT = [{"type": "plant", "idle": True, "appraised_value": 2600}]


@pytest.mark.parametrize(
    ("why", "fields", "answer", "source"),
    [
        (
            "idle asset, sound owner",
            {"assets": IDLE_PLANT, "financials": {"total_assets": 100, "total_liabilities": 40}},
            "idle_owner_sound",
            "figures",
        ),
        (
            "idle asset, distressed owner",
            {"assets": IDLE_PLANT, "financials": FIN_INSOLVENT},
            "idle_owner_distressed",
            "figures",
        ),
        ("text only", {"problems": "老厂区厂房已闲置两年；主业盈利"}, "idle_owner_sound", "text"),
        ("negated", {"problems": "无闲置资产"}, "none", "text"),
        ("absent", {}, "none", "unknown"),
    ],
)
def test_idle_assets_and_their_owner(
    lexicon: Lexicon, why: str, fields: dict, answer: str, source: str
) -> None:
    assert _answer(lexicon, "idle_assets", **fields)[:2] == (answer, source), why


@pytest.mark.parametrize(
    ("why", "fields", "answer", "source"),
    [
        (
            "figure, medium",
            {"financials": {"total_assets": 1000, "guarantee_exposure": 270}},
            "medium",
            "figures",
        ),
        (
            "figure, heavy",
            {"financials": {"total_assets": 1000, "guarantee_exposure": 580}},
            "heavy",
            "figures",
        ),
        (
            "figure, light",
            {"financials": {"total_assets": 1000, "guarantee_exposure": 30}},
            "light",
            "figures",
        ),
        (
            "text, triggered",
            {"problems": "与两家企业互保，被担保方逾期后银行要求代偿"},
            "mentioned_triggered",
            "text",
        ),
        ("text", {"problems": "与县内企业存在互保关系"}, "mentioned", "text"),
        ("negated", {"problems": "无对外担保，不存在互保"}, "none", "text"),
        ("zero on the form", {"financials": {"guarantee_exposure": 0}}, "none", "figures"),
        ("absent", {}, "none", "unknown"),
    ],
)
def test_guarantee_chain(
    lexicon: Lexicon, why: str, fields: dict, answer: str, source: str
) -> None:
    assert _answer(lexicon, "guarantee_chain", **fields)[:2] == (answer, source), why


@pytest.mark.parametrize(
    ("why", "fields", "answer", "source"),
    [
        (
            "figure",
            {"financials": {"total_liabilities": 1000, "overdue_debt": 300}},
            "heavy",
            "figures",
        ),
        ("zero on the form", {"financials": {"overdue_debt": 0}}, "none", "figures"),
        ("text", {"problems": "两笔银行贷款已逾期"}, "some", "text"),
        ("negated", {"problems": "负债率50%，无逾期，不存在欠薪"}, "none", "text"),
        ("absent", {}, "unknown", "unknown"),
    ],
)
def test_overdue(lexicon: Lexicon, why: str, fields: dict, answer: str, source: str) -> None:
    assert _answer(lexicon, "overdue", **fields)[:2] == (answer, source), why


def test_null_and_empty_financials_mean_no_figures(lexicon: Lexicon) -> None:
    for financials in (None, {}):
        ev = gather_evidence(
            EnterpriseProfile.from_dict({"name": "甲", "financials": financials}), lexicon
        )
        assert ev.numbers["has_figures"] == 0.0
        assert ev.findings["solvency"].answer == "unknown"
