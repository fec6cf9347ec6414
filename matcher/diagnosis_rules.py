"""Policy rules as data: load fixtures/diagnosis_rules.toml and apply it.

Officers and policy staff read and change thresholds in the TOML file, not in
code; every rule cites its source there.  A rule is a conjunction of
conditions on signals; when it fires it adds weights to categories (positive
supports, negative argues against) and contributes a Chinese reason with the
numbers, so that the officer can check the arithmetic.  A condition on a
missing signal never holds: unknown is neutral, not healthy.
"""

from __future__ import annotations

import math
import operator
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from matcher.signals import NUMERIC_SIGNALS, SignalValue
from matcher.vocab import CATEGORIES

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_FORMATS = ("pct", "wan", "months", "people", "count", "ratio")


@dataclass(frozen=True)
class Condition:
    signal: str
    op: str
    threshold: float

    def holds(self, signals: Mapping[str, SignalValue]) -> bool:
        """True when the signal is known, numeric and satisfies the comparison."""
        value = signals.get(self.signal)
        if value is None or isinstance(value, str):
            return False
        return _OPS[self.op](float(value), self.threshold)


@dataclass(frozen=True)
class DiagnosisRule:
    id: str
    conditions: tuple[Condition, ...]
    weights: tuple[tuple[str, float], ...]
    reason: str
    source: str


@dataclass(frozen=True)
class FiredRule:
    """A rule that held for one profile, with its reason already rendered."""

    rule_id: str
    reason: str
    weights: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class DiagnosisRules:
    version: str
    rules: tuple[DiagnosisRule, ...]
    formats: tuple[tuple[str, str], ...] = ()
    temperature: float = 1.0


def format_value(value: float, fmt: str | None) -> str:
    """Render a signal value for a reason ("112%", "1.25亿元", "18 个月").

    Example:
        >>> format_value(1.12, "pct"), format_value(12500, "wan"), format_value(860, "wan")
        ('112%', '1.25亿元', '860万元')
    """
    if fmt == "pct":
        return f"{value * 100:.0f}%"
    if fmt == "wan":
        return f"{value / 10000:.2f}亿元" if abs(value) >= 10000 else f"{value:.0f}万元"
    if fmt == "months":
        return f"{value:.0f} 个月"
    if fmt == "people":
        return f"{value:.0f} 人"
    if fmt == "ratio":
        return f"{value:.2f}"
    return f"{value:g}"


def _parse_rule(raw: Mapping[str, object]) -> DiagnosisRule:
    rule_id = str(raw["id"])
    conditions = []
    for item in raw["conditions"]:  # type: ignore[attr-defined]
        signal, op, threshold = item
        if signal not in NUMERIC_SIGNALS:
            raise ValueError(f"规则 {rule_id}：未知信号 {signal}")
        if op not in _OPS or not math.isfinite(float(threshold)):
            raise ValueError(f"规则 {rule_id}：条件 {item} 无效")
        conditions.append(Condition(str(signal), str(op), float(threshold)))
    weights = dict(raw.get("weights", {}))  # type: ignore[call-overload]
    unknown = set(weights) - set(CATEGORIES)
    if unknown or not conditions:
        raise ValueError(f"规则 {rule_id}：未知类别 {sorted(unknown)} 或没有条件")
    return DiagnosisRule(
        id=rule_id,
        conditions=tuple(conditions),
        weights=tuple((k, float(v)) for k, v in weights.items()),
        reason=str(raw["reason"]),
        source=str(raw.get("source", "")),
    )


def load_diagnosis_rules(path: Path | str) -> DiagnosisRules:
    """Load and validate the versioned rules file.

    Args:
        path: a TOML file shaped like fixtures/diagnosis_rules.toml.

    Returns:
        The rules, in file order.

    Raises:
        ValueError: on an unknown signal, operator, format or category, a
            duplicate id, or a rule without a cited source.

    Example:
        >>> rules = load_diagnosis_rules("fixtures/diagnosis_rules.toml")  # doctest: +SKIP
        >>> rules.version  # doctest: +SKIP
        'diag-rules-2026.11.1'
    """
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    rules = tuple(_parse_rule(raw) for raw in data.get("rule", []))
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError("规则 id 重复")
    missing = [r.id for r in rules if not r.source.strip()]
    if missing:
        raise ValueError(f"规则缺少依据来源：{missing}")
    formats = {str(k): str(v) for k, v in data.get("formats", {}).items()}
    if any(v not in _FORMATS for v in formats.values()):
        raise ValueError(f"未知格式：{formats}")
    temperature = float(data.get("temperature", 1.0))
    if temperature <= 0:
        raise ValueError("temperature 必须为正数")
    return DiagnosisRules(
        version=str(data["version"]),
        rules=rules,
        formats=tuple(formats.items()),
        temperature=temperature,
    )


def _render(rule: DiagnosisRule, signals: Mapping[str, SignalValue], fmts: dict[str, str]) -> str:
    values: dict[str, str] = {}
    for index, cond in enumerate(rule.conditions):
        values[f"t{index}"] = format_value(cond.threshold, fmts.get(cond.signal))
    for name, value in signals.items():
        if value is not None and not isinstance(value, str):
            values[name] = format_value(float(value), fmts.get(name))
    try:
        return rule.reason.format_map(_Unknown(values))
    except (IndexError, ValueError):
        return rule.reason


class _Unknown(dict[str, str]):
    """Placeholders for signals the profile lacks print as 未知, never as braces."""

    def __missing__(self, key: str) -> str:
        return "未知"


def apply_rules(signals: Mapping[str, SignalValue], rules: DiagnosisRules) -> tuple[FiredRule, ...]:
    """Return the rules whose conditions all hold, with rendered reasons.

    Example:
        >>> rule = DiagnosisRule("x", (Condition("debt_ratio", ">=", 1.0),),
        ...     (("exit_liquidation", 1.0),), "资产负债率 {debt_ratio}，超过 {t0}", "法")
        >>> fmts = (("debt_ratio", "pct"),)
        >>> apply_rules({"debt_ratio": 1.12}, DiagnosisRules("v", (rule,), fmts))[0].reason
        '资产负债率 112%，超过 100%'
    """
    fmts = dict(rules.formats)
    return tuple(
        FiredRule(rule.id, _render(rule, signals, fmts), rule.weights)
        for rule in rules.rules
        if all(c.holds(signals) for c in rule.conditions)
    )


def rule_scores(fired: tuple[FiredRule, ...]) -> dict[str, float]:
    """Sum the fired weights per category (every category present, default 0)."""
    scores = dict.fromkeys(CATEGORIES, 0.0)
    for rule in fired:
        for category, weight in rule.weights:
            scores[category] += weight
    return scores


def rule_probabilities(scores: Mapping[str, float], temperature: float = 1.0) -> dict[str, float]:
    """Softmax of the rule scores: how strongly the rules favour each category.

    Example:
        >>> probs = rule_probabilities({"relief": 2.0, "tech_upgrade": 0.0})
        >>> round(probs["relief"], 3)
        0.881
    """
    top = max(scores.values())
    exps = {k: math.exp((v - top) / temperature) for k, v in scores.items()}
    total = sum(exps.values())
    return {k: v / total for k, v in exps.items()}
