"""What the learner learns from: the officers' decisions, the overlay it fits, its settings.

The data half of matcher/matching/learning.py (the model and the comparison
live there): a decision is one enterprise–partner pair the officers saw with
its graded outcome, its levels and its contributions under the base weights;
an overlay is what a learned config adds to the shipped weights file.  Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from matcher.matching.config import MatcherConfig

OUTCOMES: dict[str, int] = {
    "landed": 6,
    "signed": 5,
    "negotiating": 4,
    "contacted": 3,
    "shortlisted": 2,
    "shown": 1,
    "rejected": 0,
}
"""Outcome → grade: the order of the officers' decisions, best first (one home)."""
SHOWN = "shown"
REVIEWED = tuple(o for o in OUTCOMES if o != SHOWN)
FACTOR_BOUNDS = (0.1, 10.0)
"""A learned factor stays within these: a component is never switched off or turned around."""
ZERO_LEVEL = (-1.0, 0.0)
"""Where a level weighted 0 in the file may go: a neutral level never turns into a bonus."""
K = 10
OVERALL = "overall"


def gain(outcome: str) -> int:
    """NDCG gain of an outcome: shortlisted 1 … landed 5; shown and rejected 0."""
    return max(OUTCOMES[outcome] - OUTCOMES[SHOWN], 0)


@dataclass(frozen=True)
class Decision:
    """One enterprise–partner pair the officers saw, with its outcome.

    Attributes:
        enterprise, partner: ids (any strings).
        outcome: a key of OUTCOMES.
        parts: component → its contribution to the pair's score under the base
            weights (the ranking's `components`).
        category: the enterprise's primary treatment category, or None.
        at: when the outcome was decided (None for a pair shown, not reviewed).
        note: the officer's note (a rejection's reason).
    """

    enterprise: str
    partner: str
    outcome: str
    parts: Mapping[str, float]
    category: str | None = None
    at: datetime | None = None
    note: str = ""
    levels: Mapping[str, str] = field(default_factory=dict)
    """Rule component → the pair's level label."""
    scales: Mapping[str, float] = field(default_factory=dict)
    """Rule component → what multiplies its level weight for this enterprise (the asset
    component's category factor; 1 for most): part = scale × level weight."""
    crowded: int = 0
    """Partners of its role placed above it beyond the role's free places (the coverage
    step's count, matcher.matching.observed): its score loses coverage_penalty × this."""

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; expected one of {list(OUTCOMES)}")


class NotEnoughDecisions(ValueError):
    """Fewer reviewed pairs than the threshold: no config is learned."""

    def __init__(self, count: int, needed: int) -> None:
        super().__init__(f"{count} decisions, {needed} needed")
        self.count, self.needed = count, needed


@dataclass(frozen=True)
class Overlay:
    """Learned weights over the base weights file (what a candidate config adds to it).

    Attributes:
        levels: rule component → level → weight (the whole table: the current
            config's, as learned).
        component_factors: similarity component → multiplier of its weight.
        category_factors: primary category → component → a further multiplier.
        coverage_penalty: the coverage step's penalty (None: the base file's).
        category_levels: primary category → rule component → level → the weight in
            place of `levels` for that category (MatcherConfig.category_levels).
        category_coverage_penalty: primary category → its coverage penalty.
    """

    levels: dict[str, dict[str, float]] = field(default_factory=dict)
    component_factors: dict[str, float] = field(default_factory=dict)
    category_factors: dict[str, dict[str, float]] = field(default_factory=dict)
    coverage_penalty: float | None = None
    category_levels: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    category_coverage_penalty: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, config: MatcherConfig) -> Overlay:
        """The current weights of `config`, as the learner's starting point and prior."""
        return cls(
            {c: dict(table) for c, table in config.levels.items()},
            dict(config.component_factors),
            {k: dict(v) for k, v in config.category_factors.items()},
            config.coverage_penalty,
            _copy_levels(config.category_levels),
            dict(config.category_coverage_penalty),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Overlay:
        def table(key: str) -> dict[str, dict[str, float]]:
            raw = data.get(key) or {}
            assert isinstance(raw, Mapping)
            return {str(k): {str(a): float(b) for a, b in v.items()} for k, v in raw.items()}

        factors = data.get("component_factors") or {}
        assert isinstance(factors, Mapping)
        penalty = data.get("coverage_penalty")
        assert penalty is None or isinstance(penalty, int | float)
        own = data.get("category_levels") or {}
        assert isinstance(own, Mapping)
        own_penalty = data.get("category_coverage_penalty") or {}
        assert isinstance(own_penalty, Mapping)
        return cls(
            table("levels"),
            {str(k): float(v) for k, v in factors.items()},
            table("category_factors"),
            None if penalty is None else float(penalty),
            {
                str(k): {str(c): {str(a): float(b) for a, b in t.items()} for c, t in v.items()}
                for k, v in own.items()
            },
            {str(k): float(v) for k, v in own_penalty.items()},
        )

    def apply(self, base: MatcherConfig, version: str) -> MatcherConfig:
        """The base config with these weights; every other setting (the hard filters too) as is.

        Only components and levels the base knows are taken: a richer base file
        (more components, more settings) keeps its own weights for the rest.
        """
        levels = {
            c: {lab: self.levels.get(c, {}).get(lab, w) for lab, w in table.items()}
            for c, table in base.levels.items()
        }
        return replace(
            base,
            version=version,
            levels=levels,
            component_factors=dict(self.component_factors),
            category_factors={k: dict(v) for k, v in self.category_factors.items()},
            coverage_penalty=(
                base.coverage_penalty if self.coverage_penalty is None else self.coverage_penalty
            ),
            category_levels={
                k: {
                    c: {lab: w for lab, w in t.items() if lab in base.levels[c]}
                    for c, t in v.items()
                    if c in base.levels
                }
                for k, v in self.category_levels.items()
            },
            category_coverage_penalty=dict(self.category_coverage_penalty),
        )

    def factor(self, component: str, category: str | None) -> float:
        f = self.component_factors.get(component, 1.0)
        if category is not None:
            f *= self.category_factors.get(category, {}).get(component, 1.0)
        return f

    def level_weight(self, component: str, level: str, category: str | None) -> float:
        """As MatcherConfig.level_weight: the category's own weight where it has one."""
        if category is not None:
            own = self.category_levels.get(category, {}).get(component, {}).get(level)
            if own is not None:
                return own
        return self.levels[component][level]

    def penalty(self, category: str | None) -> float:
        """The coverage penalty for an enterprise of `category` (0 when none is set)."""
        if category is not None and category in self.category_coverage_penalty:
            return self.category_coverage_penalty[category]
        return self.coverage_penalty or 0.0

    def part(self, decision: Decision, component: str) -> float:
        """The component's contribution to the pair's score under these weights."""
        f = self.factor(component, decision.category)
        level = decision.levels.get(component)
        if level is not None and component in self.levels:
            weight = self.level_weight(component, level, decision.category)
            return f * decision.scales.get(component, 1.0) * weight
        return f * decision.parts.get(component, 0.0)

    def score(self, decision: Decision) -> float:
        """The pair's score under these weights, less its coverage penalty where it was crowded."""
        names = {*decision.parts, *decision.levels}
        return sum(self.part(decision, c) for c in names) + self.coverage_part(decision)

    def coverage_part(self, decision: Decision) -> float:
        """What the coverage step takes off the pair's score (0 or negative)."""
        return -self.penalty(decision.category) * decision.crowded

    def scaled(self, by: float) -> Overlay:
        """Every weight (levels, similarity factors, coverage penalty) times `by`: the same
        order of every list, in other units.  Category factors, and the factors of rule
        components (their levels are scaled), are ratios and stay."""
        return Overlay(
            {c: {lab: w * by for lab, w in table.items()} for c, table in self.levels.items()},
            {c: f if c in self.levels else f * by for c, f in self.component_factors.items()},
            {k: dict(v) for k, v in self.category_factors.items()},
            None if self.coverage_penalty is None else self.coverage_penalty * by,
            {
                k: {c: {lab: w * by for lab, w in t.items()} for c, t in v.items()}
                for k, v in self.category_levels.items()
            },
            {k: p * by for k, p in self.category_coverage_penalty.items()},
        )

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "levels": self.levels,
            "component_factors": self.component_factors,
            "category_factors": self.category_factors,
        }
        if self.coverage_penalty is not None:
            out["coverage_penalty"] = self.coverage_penalty
        if self.category_levels:
            out["category_levels"] = self.category_levels
        if self.category_coverage_penalty:
            out["category_coverage_penalty"] = self.category_coverage_penalty
        return out


def _copy_levels(tables: Mapping[str, Mapping[str, Mapping[str, float]]]) -> dict:  # type: ignore[type-arg]
    return {k: {c: dict(t) for c, t in v.items()} for k, v in tables.items()}


@dataclass(frozen=True)
class LearnSettings:
    """The learner's knobs (LD_LEARN_* settings in the service).

    Attributes:
        min_decisions: reviewed pairs needed before anything is learned.
        strength: λ, in decisions: how much the current weights count.
        category_strength: λ_k for a category's own deviation (larger: a
            category departs from the global factors only on more evidence).
        min_category_decisions: reviewed pairs a category needs for its own factors.
        holdout_share: the most recent share of enterprises held out for the comparison.
        strengths, category_strengths: candidate values of λ and λ_k; when given, `learn`
            chooses among them by cross-validation over the fitted decisions' enterprises
            (`inner_folds` folds), never looking at the held-out share, and `strength`,
            `category_strength` are only the fallback for a single value.
        text_factors: what stage zero may multiply the similarities' factors by (one value
            for all, matcher.matching.learning_text); empty: no stage zero.  From half to
            three times, in steps an officer would tell apart.
    """

    min_decisions: int = 30
    strength: float = 2.0
    category_strength: float = 20.0
    min_category_decisions: int = 60
    holdout_share: float = 0.25
    strengths: tuple[float, ...] = ()
    category_strengths: tuple[float, ...] = ()
    inner_folds: int = 4
    text_factors: tuple[float, ...] = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)

    def __post_init__(self) -> None:
        if self.min_decisions < 1:
            raise ValueError("min_decisions must be at least 1")
        grid = (self.strength, self.category_strength, *self.strengths, *self.category_strengths)
        if min(grid) <= 0:
            raise ValueError("strength and category_strength (and their grids) must be > 0")
        if any(f <= 0 for f in self.text_factors):
            raise ValueError("text_factors must be > 0")
        if self.inner_folds < 2:
            raise ValueError("inner_folds must be at least 2")
        if not 0.0 < self.holdout_share < 1.0:
            raise ValueError("holdout_share must be in (0, 1)")


def reviewed_count(decisions: Sequence[Decision]) -> int:
    return sum(1 for d in decisions if d.outcome != SHOWN)


def data_summary(decisions: Sequence[Decision]) -> dict[str, object]:
    """Counts per outcome, the date range and a hash of exactly what was fitted on."""
    counts: dict[str, int] = defaultdict(int)
    for d in decisions:
        counts[d.outcome] += 1
    times = sorted(d.at for d in decisions if d.at is not None)
    canonical = json.dumps(
        sorted(
            [d.enterprise, d.partner, d.outcome, d.at.isoformat() if d.at else ""]
            for d in decisions
        ),
        ensure_ascii=False,
    )
    return {
        "decisions": reviewed_count(decisions),
        "pairs": len(decisions),
        "enterprises": len({d.enterprise for d in decisions}),
        "outcomes": {o: counts[o] for o in OUTCOMES if counts[o]},
        "from": times[0].isoformat() if times else None,
        "to": times[-1].isoformat() if times else None,
        "hash": hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16],
    }


def _by_enterprise(decisions: Sequence[Decision]) -> dict[str, list[Decision]]:
    groups: dict[str, list[Decision]] = defaultdict(list)
    for d in decisions:
        groups[d.enterprise].append(d)
    return dict(groups)


def split_by_time(
    decisions: Sequence[Decision], share: float
) -> tuple[list[Decision], list[Decision]]:
    """(earlier, held out): whole enterprises, the most recently decided `share` held out.

    An enterprise's pairs stay together (the model compares pairs within one
    enterprise); ties in time are broken by the enterprise id.
    """
    groups = _by_enterprise(decisions)
    floor = datetime.min

    def last(items: list[Decision]) -> datetime:
        stamps = [d.at.replace(tzinfo=None) for d in items if d.at is not None]
        return max(stamps, default=floor)

    order = sorted(groups, key=lambda e: (last(groups[e]), e))
    held = max(1, round(len(order) * share)) if len(order) > 1 else 0
    cut = len(order) - held
    early = [d for e in order[:cut] for d in groups[e]]
    late = [d for e in order[cut:] for d in groups[e]]
    return early, late
