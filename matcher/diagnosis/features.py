"""The evidence as a flat numeric vector: what the learned model reads beside the words.

One home for the feature names: the model stores them with its artifact and refuses
a vector of another shape.  Unknown numbers are NaN (imputed and flagged in the
pipeline), never 0: a missing balance sheet is not a healthy one.
"""

from __future__ import annotations

import math

from matcher.diagnosis.evidence import DIFFICULTY_KINDS, Evidence
from matcher.diagnosis.lexicon import DEMAND_FAMILIES, FAMILIES

_ANSWERS: dict[str, tuple[str, ...]] = {
    "solvency": ("insolvent", "heavy", "elevated", "sound", "not_insolvent", "unknown"),
    "court": ("proceedings", "petition", "enforcement", "none"),
    "core_business": ("viable", "weak", "gone", "unknown"),
    "idle_assets": ("idle_owner_sound", "idle_owner_distressed", "none"),
    "guarantee_chain": ("heavy", "medium", "light", "mentioned_triggered", "mentioned", "none"),
    "overdue": ("heavy", "some", "none", "unknown"),
}
_NUMBERS = (
    "debt_ratio",
    "overdue_share",
    "guarantee_share",
    "revenue_change",
    "capacity_utilization",
    "halted_months",
    "idle_count",
    "seized_count",
    "has_figures",
    "core_positive",
    "core_gone",
    "guarantee_triggered",
)
_STATUSES = ("normal", "partial", "halted", "in_bankruptcy")

FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"num_{n}" for n in _NUMBERS)
    + ("num_log_idle_value", "num_loss")
    + tuple(f"status_{s}" for s in _STATUSES)
    + tuple(f"{q}={a}" for q, answers in _ANSWERS.items() for a in answers)
    + tuple(f"kind_{k}" for k in DIFFICULTY_KINDS)
    + tuple(f"cue_{f}" for f in FAMILIES)
    + tuple(f"ask_{f}" for f in DEMAND_FAMILIES)
)


def feature_vector(ev: Evidence) -> list[float]:
    """The evidence in FEATURE_NAMES order (NaN for an unknown number)."""
    n = ev.numbers
    values: list[float] = [math.nan if n.get(k) is None else float(n[k] or 0.0) for k in _NUMBERS]
    idle_value = n.get("idle_value") or 0.0
    profit = n.get("net_profit")
    values += [math.log1p(max(idle_value, 0.0)), math.nan if profit is None else float(profit < 0)]
    values += [float(ev.status == s) for s in _STATUSES]
    for question, answers in _ANSWERS.items():
        answer = ev.findings[question].answer
        values += [float(answer == a) for a in answers]
    values += [min(ev.kinds.get(k, 0.0), 4.0) for k in DIFFICULTY_KINDS]
    values += [float(min(len(ev.hits[f]), 4)) for f in FAMILIES]
    values += [float(min(len(ev.asks[f]), 2)) for f in DEMAND_FAMILIES]
    return values
