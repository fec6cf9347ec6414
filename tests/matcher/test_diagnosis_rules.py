"""The shipped rules file: every rule on both sides of each threshold, reasons, loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.diagnosis_rules import (
    Condition,
    DiagnosisRule,
    DiagnosisRules,
    apply_rules,
    format_value,
    load_diagnosis_rules,
    rule_probabilities,
    rule_scores,
)
from matcher.profile import Asset, EnterpriseProfile, Financials
from matcher.signals import NUMERIC_SIGNALS, extract_signals
from matcher.vocab import CATEGORIES

RULES_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "diagnosis_rules.toml"
RULES = load_diagnosis_rules(RULES_PATH)
EPS = 1e-3


def _true_value(cond: Condition) -> float:
    return {
        ">=": cond.threshold,
        ">": cond.threshold + EPS,
        "<": cond.threshold - EPS,
        "<=": cond.threshold,
        "==": cond.threshold,
        "!=": cond.threshold + 1,
    }[cond.op]


def _false_value(cond: Condition) -> float:
    return {
        ">=": cond.threshold - EPS,
        ">": cond.threshold,
        "<": cond.threshold,
        "<=": cond.threshold + EPS,
        "==": cond.threshold + 1,
        "!=": cond.threshold,
    }[cond.op]


def _satisfying(rule: DiagnosisRule) -> dict[str, float]:
    """Signals meeting every condition of the rule (a value per signal that fits all)."""
    values: dict[str, float] = {}
    for cond in rule.conditions:
        same = [c for c in rule.conditions if c.signal == cond.signal]
        candidates = [_true_value(c) for c in same]
        values[cond.signal] = next(
            v
            for v in candidates
            if all(Condition(c.signal, c.op, c.threshold).holds({c.signal: v}) for c in same)
        )
    return values


def _fired_ids(signals: dict[str, object]) -> set[str]:
    return {f.rule_id for f in apply_rules(signals, RULES)}  # type: ignore[arg-type]


CASES = [
    pytest.param(rule, index, id=f"{rule.id}-cond{index}")
    for rule in RULES.rules
    for index in range(len(rule.conditions))
]


@pytest.mark.parametrize(("rule", "index"), CASES)
def test_each_threshold_on_both_sides(rule: DiagnosisRule, index: int) -> None:
    signals = _satisfying(rule)
    assert rule.id in _fired_ids(signals), "rule must fire at its threshold"
    cond = rule.conditions[index]
    signals[cond.signal] = _false_value(cond)
    assert rule.id not in _fired_ids(signals), f"rule must not fire past {cond}"


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_missing_signal_never_fires(rule: DiagnosisRule) -> None:
    signals: dict[str, object] = dict(_satisfying(rule))
    signals[rule.conditions[0].signal] = None
    assert rule.id not in _fired_ids(signals)


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_every_rule_is_cited_and_renders_without_placeholders(rule: DiagnosisRule) -> None:
    assert len(rule.source) > 4
    fired = apply_rules(_satisfying(rule), RULES)
    reason = next(f.reason for f in fired if f.rule_id == rule.id)
    assert "{" not in reason and "}" not in reason
    assert all(code in CATEGORIES for code, _ in rule.weights)


def test_rules_file_is_versioned() -> None:
    assert RULES.version.startswith("diag-rules-")
    assert len(RULES.rules) >= 30


def _profile(**kwargs: object) -> EnterpriseProfile:
    return EnterpriseProfile(name="测试企业", **kwargs)  # type: ignore[arg-type]


PROFILE_CASES = [
    (
        "insolvent 112%",
        _profile(financials=Financials(total_assets=100, total_liabilities=112)),
        "insolvent",
        "资产负债率 112%，超过 100%，资不抵债",
    ),
    (
        "debt heavy 90%",
        _profile(financials=Financials(total_assets=100, total_liabilities=90)),
        "debt_heavy_solvent",
        "资产负债率 90%，处于 85%–100% 的高负债区间，尚未资不抵债",
    ),
    (
        "overdue 20%",
        _profile(financials=Financials(total_assets=100, total_liabilities=90, overdue_debt=18)),
        "overdue_high",
        "逾期债务占负债 20%，超过 10%",
    ),
    (
        "guarantee chain",
        _profile(financials=Financials(total_assets=20000, guarantee_exposure=6000)),
        "guarantee_chain",
        "对外担保（互保/联保）占总资产 30%，超过 15%，存在担保链风险",
    ),
    (
        "halted 4 years",
        _profile(operating_status="halted", problems="2022年起停产至今"),
        "halted_long",
        "停产约 48 个月，超过 12 个月",
    ),
    (
        "halted 8 months",
        _profile(problems="已停产8个月"),
        "halted_half_year",
        "停产约 8 个月，已满 6 个月（“僵尸企业”参考标准：停产半年以上）",
    ),
    (
        "wage arrears in 万元",
        _profile(financials=Financials(wage_arrears=580)),
        "wage_arrears",
        "拖欠工资 580万元",
    ),
    (
        "wage arrears in 亿元",
        _profile(problems="拖欠工资1.2亿元"),
        "wage_arrears",
        "拖欠工资 1.20亿元",
    ),
    (
        "full capacity",
        _profile(capacity_utilization=0.95),
        "full_capacity",
        "产能利用率 95%，达到 90%，产能已满",
    ),
    (
        "revenue growth",
        _profile(financials=Financials(annual_revenue=130, prior_revenue=100)),
        "revenue_growth",
        "营业收入同比增长 30%，超过 15%",
    ),
    (
        "idle assets",
        _profile(
            assets=(
                Asset("land", appraised_value=3000, idle=True),
                Asset("plant", appraised_value=1000, idle=True),
            )
        ),
        "idle_assets_many",
        "2 项资产闲置，闲置资产价值 4000万元",
    ),
    (
        "skeleton staff",
        _profile(operating_status="halted", employees=6),
        "skeleton_staff",
        "职工仅 6 人，不超过 12 人，且未正常生产",
    ),
]


@pytest.mark.parametrize(
    ("why", "profile", "rule_id", "reason"), PROFILE_CASES, ids=[c[0] for c in PROFILE_CASES]
)
def test_rules_on_hand_built_profiles(
    why: str, profile: EnterpriseProfile, rule_id: str, reason: str
) -> None:
    fired = apply_rules(extract_signals(profile, as_of_year=2026), RULES)
    reasons = {f.rule_id: f.reason for f in fired}
    assert reasons.get(rule_id) == reason, why


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (1.12, "pct", "112%"),
        (12500, "wan", "1.25亿元"),
        (860, "wan", "860万元"),
        (18, "months", "18 个月"),
        (6, "people", "6 人"),
        (0.456, "ratio", "0.46"),
        (3, "count", "3"),
        (2.5, None, "2.5"),
    ],
)
def test_format_value(value: float, fmt: str | None, expected: str) -> None:
    assert format_value(value, fmt) == expected


def test_scores_and_probabilities() -> None:
    rule = DiagnosisRule(
        "r",
        (Condition("debt_ratio", ">=", 1.0),),
        (("judicial_reorganization", 2.0), ("relief", -1.0)),
        "x",
        "src",
    )
    fired = apply_rules({"debt_ratio": 1.5}, DiagnosisRules("v", (rule,)))
    scores = rule_scores(fired)
    assert scores["judicial_reorganization"] == 2.0 and scores["relief"] == -1.0
    probs = rule_probabilities(scores)
    assert sum(probs.values()) == pytest.approx(1.0)
    assert max(probs, key=lambda c: probs[c]) == "judicial_reorganization"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text('version = "t"\n' + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("why", "body"),
    [
        (
            "unknown signal",
            '[[rule]]\nid="a"\nconditions=[["nope", ">", 1]]\nreason="r"\n'
            'source="s"\nweights={relief=1}\n',
        ),
        (
            "unknown operator",
            '[[rule]]\nid="a"\nconditions=[["debt_ratio", "~", 1]]\n'
            'reason="r"\nsource="s"\nweights={relief=1}\n',
        ),
        (
            "unknown category",
            '[[rule]]\nid="a"\nconditions=[["debt_ratio", ">", 1]]\n'
            'reason="r"\nsource="s"\nweights={rescue=1}\n',
        ),
        (
            "no source",
            '[[rule]]\nid="a"\nconditions=[["debt_ratio", ">", 1]]\nreason="r"\n'
            "weights={relief=1}\n",
        ),
        (
            "duplicate id",
            (
                '[[rule]]\nid="a"\nconditions=[["debt_ratio", ">", 1]]\nreason="r"\n'
                'source="s"\nweights={relief=1}\n'
            )
            * 2,
        ),
        ("bad format", '[formats]\ndebt_ratio="percent"\n'),
    ],
)
def test_loader_rejects_bad_files(tmp_path: Path, why: str, body: str) -> None:
    with pytest.raises(ValueError):
        load_diagnosis_rules(_write(tmp_path, body))


def test_all_rule_signals_are_known() -> None:
    used = {c.signal for r in RULES.rules for c in r.conditions}
    assert used <= set(NUMERIC_SIGNALS)
