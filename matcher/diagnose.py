"""Combine rules and the learned model into one diagnosis (分类施策).

The rules say what policy says about the signals; the model says what
officers decided on similar profiles.  Blending their probabilities gives a
multi-label answer with exactly one primary.  Disagreement is not hidden:
when the two disagree, when the top two are close, or when the balance sheet
is missing, the diagnosis asks for an officer's review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from matcher.diagnosis_rules import (
    DiagnosisRules,
    FiredRule,
    apply_rules,
    load_diagnosis_rules,
    rule_probabilities,
    rule_scores,
)
from matcher.profile import EnterpriseProfile
from matcher.signals import SignalValue, extract_signals
from matcher.vocab import CATEGORIES

MODEL_WEIGHT = 0.5
"""Share of the model in the blended probability (the rest is the rules')."""
MIN_PROBABILITY = 0.05
"""Categories below this are left out of the answer (the primary never is)."""
REVIEW_MARGIN = 0.15
"""Top-two probabilities closer than this need an officer's review."""
KEY_SIGNALS: dict[str, str] = {
    "debt_ratio": "缺少资产负债率（总资产或总负债未填写，文字中也未找到）",
    "capacity_utilization": "缺少产能利用率",
}


class ProbabilityModel(Protocol):
    """What diagnose needs from a learned model (TreatmentModel satisfies it)."""

    @property
    def model_version(self) -> str: ...

    def predict_proba_one(
        self, profile: EnterpriseProfile, signals: Mapping[str, SignalValue]
    ) -> dict[str, float]: ...


@dataclass(frozen=True)
class CategoryResult:
    code: str
    probability: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Diagnosis:
    primary: str
    categories: tuple[CategoryResult, ...]
    needs_review: bool
    review_reasons: tuple[str, ...]
    model_version: str
    signals: dict[str, SignalValue] = field(default_factory=dict)
    rules_version: str = ""


def _category_reasons(
    code: str, fired: tuple[FiredRule, ...], model_p: float | None
) -> tuple[str, ...]:
    pros: list[tuple[float, str]] = []
    cons: list[tuple[float, str]] = []
    for rule in fired:
        weight = dict(rule.weights).get(code, 0.0)
        if weight > 0:
            pros.append((weight, f"支持：{rule.reason}"))
        elif weight < 0:
            cons.append((weight, f"不利：{rule.reason}"))
    lines = [text for _, text in sorted(pros, key=lambda x: -x[0])]
    lines += [text for _, text in sorted(cons, key=lambda x: x[0])]
    if model_p is not None:
        lines.append(f"模型：相似案例中判为{CATEGORIES[code]}的概率 {model_p:.0%}")
    return tuple(lines)


def _review_reasons(
    blended: Mapping[str, float],
    rules_p: Mapping[str, float],
    model_p: Mapping[str, float] | None,
    signals: Mapping[str, SignalValue],
) -> tuple[str, ...]:
    ranked = sorted(blended, key=lambda c: -blended[c])
    first, second = ranked[0], ranked[1]
    reasons = []
    if blended[first] - blended[second] < REVIEW_MARGIN:
        reasons.append(
            f"前两类概率接近：{CATEGORIES[first]} {blended[first]:.0%}，"
            f"{CATEGORIES[second]} {blended[second]:.0%}"
        )
    if model_p is not None:
        by_model = max(model_p, key=lambda c: model_p[c])
        by_rules = max(rules_p, key=lambda c: rules_p[c])
        if by_model != by_rules:
            reasons.append(
                f"模型判断（{CATEGORIES[by_model]}）与规则判断（{CATEGORIES[by_rules]}）不一致"
            )
    reasons += [text for name, text in KEY_SIGNALS.items() if signals.get(name) is None]
    return tuple(reasons)


def diagnose(
    profile: EnterpriseProfile,
    *,
    rules: DiagnosisRules,
    model: ProbabilityModel | None,
    model_weight: float = MODEL_WEIGHT,
    as_of_year: int | None = None,
) -> Diagnosis:
    """Say which treatment fits an enterprise, with reasons an officer can check.

    Args:
        profile: the enterprise.
        rules: the loaded rules file.
        model: the fitted model, or None for a rules-only diagnosis.
        model_weight: the model's share of the blended probability (0–1).
        as_of_year: the year "停产至今" counts to (default: this year).

    Returns:
        A Diagnosis with exactly one primary; categories best first, each with
        its supporting ("支持：…") and opposing ("不利：…") reasons.

    Example:
        >>> d = diagnose(profile, rules=rules, model=None)  # doctest: +SKIP
        >>> d.primary  # doctest: +SKIP
        'judicial_reorganization'
    """
    signals = extract_signals(profile, as_of_year=as_of_year)
    fired = apply_rules(signals, rules)
    rules_p = rule_probabilities(rule_scores(fired), rules.temperature)
    model_p = None if model is None else model.predict_proba_one(profile, signals)
    weight = 0.0 if model_p is None else model_weight
    blended = {
        c: (1 - weight) * rules_p[c] + weight * (model_p or {}).get(c, 0.0) for c in CATEGORIES
    }
    ranked = sorted(CATEGORIES, key=lambda c: -blended[c])
    kept = [c for c in ranked if c == ranked[0] or blended[c] >= MIN_PROBABILITY]
    categories = tuple(
        CategoryResult(
            c,
            round(blended[c], 4),
            _category_reasons(c, fired, None if model_p is None else model_p[c]),
        )
        for c in kept
    )
    review = _review_reasons(blended, rules_p, model_p, signals)
    return Diagnosis(
        primary=ranked[0],
        categories=categories,
        needs_review=bool(review),
        review_reasons=review,
        model_version="rules-only" if model is None else model.model_version,
        signals=dict(signals),
        rules_version=rules.version,
    )


REPO_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT_RULES_PATH = REPO_FIXTURES / "diagnosis_rules.toml"
DEFAULT_MODEL_PATH = REPO_FIXTURES / "models" / "diagnosis.joblib"


@lru_cache(maxsize=1)
def load_default_engine() -> tuple[DiagnosisRules, ProbabilityModel | None]:
    """The shipped rules and model, loaded once on first use (never at import).

    The model is None when its artifact is missing, so a checkout without
    fixtures/models still diagnoses (rules only) instead of failing.
    """
    from matcher.classify import load_treatment_model  # sklearn only when needed

    rules = load_diagnosis_rules(DEFAULT_RULES_PATH)
    model = load_treatment_model(DEFAULT_MODEL_PATH) if DEFAULT_MODEL_PATH.exists() else None
    return rules, model


def diagnose_probabilities(profile: EnterpriseProfile) -> dict[str, float]:
    """Category → blended probability with the shipped rules and model.

    A one-argument convenience for callers that only need the distribution
    (e.g. the matching evaluation); services should call `diagnose` with the
    rules and model they loaded at start.

    Example:
        >>> diagnose_probabilities(profile)["relief"]  # doctest: +SKIP
        0.91
    """
    rules, model = load_default_engine()
    result = diagnose(profile, rules=rules, model=model)
    probs = dict.fromkeys(CATEGORIES, 0.0)
    probs.update({c.code: c.probability for c in result.categories})
    return probs
