"""One diagnosis (分类施策): evidence → policy and model → a blended answer with reasons.

The policy says what an officer's reasoning makes of the evidence; the model says
what was decided on similar files in the training corpus.  Their probabilities are
blended with a weight chosen by cross-validation on that corpus (stored with the
model).  The answer names its findings (each question with its evidence), the
facts still missing when the top categories are close, and whether an officer
should review it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from matcher.diagnosis.evidence import Evidence, gather_evidence
from matcher.diagnosis.features import FEATURE_NAMES, feature_vector
from matcher.diagnosis.lexicon import Lexicon
from matcher.diagnosis.policy import category_reasons, contributions, policy_scores, softmax
from matcher.diagnosis.questions import missing_facts
from matcher.diagnosis.review import DEFAULT_MARGIN, review_reasons
from matcher.profile import EnterpriseProfile
from matcher.vocab import CATEGORIES

DEFAULT_MODEL_WEIGHT = 0.5
MIN_PROBABILITY = 0.05
"""Categories below this are left out of the answer (the primary never is)."""


class ProbabilityModel(Protocol):
    """What diagnose needs from a learned model (TreatmentModel satisfies it)."""

    @property
    def model_version(self) -> str: ...

    @property
    def metadata(self) -> Mapping[str, object]: ...

    def predict_proba_one(
        self, profile: EnterpriseProfile, evidence: Evidence
    ) -> dict[str, float]: ...


RULES_ONLY = "rules-only"
"""The model a diagnosis names when no learned model took part."""


def model_version_of(model: ProbabilityModel | None) -> str:
    """The `model_version` a diagnosis made with `model` records."""
    return RULES_ONLY if model is None else model.model_version


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
    findings: tuple[Mapping[str, object], ...] = ()
    missing: tuple[str, ...] = ()
    signals: dict[str, float] = field(default_factory=dict)
    rules_version: str = ""
    policy_probabilities: dict[str, float] = field(default_factory=dict)
    model_probabilities: dict[str, float] | None = None


def _setting(model: ProbabilityModel | None, key: str, default: float) -> float:
    if model is None:
        return default
    value = model.metadata.get(key, default)
    return float(value) if isinstance(value, int | float) else default


def diagnose(
    profile: EnterpriseProfile,
    *,
    lexicon: Lexicon,
    model: ProbabilityModel | None,
    model_weight: float | None = None,
    margin: float | None = None,
    as_of_year: int | None = None,
) -> Diagnosis:
    """Say which treatment fits an enterprise, with the evidence an officer can check.

    Args:
        profile: the enterprise.
        lexicon: the loaded phrase lists (fixtures/diagnosis_lexicon.toml).
        model: the fitted model, or None for a policy-only diagnosis.
        model_weight: the model's share of the blend (default: the model's CV choice).
        margin: the review flag's top-two margin (default: the model's CV choice).
        as_of_year: the year "停产至今" counts to (default: this year).

    Returns:
        A Diagnosis with exactly one primary, categories best first with supporting
        ("支持：…") and opposing ("不利：…") reasons, findings and missing facts.
    """
    ev = gather_evidence(profile, lexicon, as_of_year=as_of_year)
    parts = contributions(ev)
    policy_p = softmax(policy_scores(parts))
    model_p = None if model is None else model.predict_proba_one(profile, ev)
    weight = (
        0.0
        if model_p is None
        else (
            model_weight
            if model_weight is not None
            else _setting(model, "blend_weight", DEFAULT_MODEL_WEIGHT)
        )
    )
    blended = {
        c: (1 - weight) * policy_p[c] + weight * (model_p or {}).get(c, 0.0) for c in CATEGORIES
    }
    ranked = sorted(CATEGORIES, key=lambda c: (-blended[c], c))
    kept = [c for c in ranked if c == ranked[0] or blended[c] >= MIN_PROBABILITY]
    categories = []
    for code in kept:
        reasons = category_reasons(code, parts)
        if model_p is not None:
            reasons += (f"模型：相似案例中判为{CATEGORIES[code]}的概率 {model_p[code]:.0%}",)
        categories.append(CategoryResult(code, round(blended[code], 4), reasons))
    flag_margin = margin if margin is not None else _setting(model, "review_margin", DEFAULT_MARGIN)
    review = review_reasons(blended, policy_p, model_p, margin=flag_margin)
    missing = missing_facts([(c, blended[c]) for c in ranked], ev, close=max(flag_margin, 0.15))
    return Diagnosis(
        primary=ranked[0],
        categories=tuple(categories),
        needs_review=bool(review),
        review_reasons=review,
        model_version=model_version_of(model),
        findings=tuple(ev.findings[q].as_dict() for q in ev.findings),
        missing=tuple(missing),
        signals=dict(zip(FEATURE_NAMES, feature_vector(ev), strict=True)),
        rules_version=lexicon.version,
        policy_probabilities=policy_p,
        model_probabilities=model_p,
    )
