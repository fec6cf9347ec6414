"""Explanations: every result with its parts, levels and Chinese reasons, and why a
partner is filtered out.

The reasons come from the components' per-pair forms (the reference
semantics); the vectorised levels agree with them partner by partner (a
table-driven test checks every registered component and filter), so the
filters are not run again per result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from matcher.matching.component import Contribution, SimilarityComponent
from matcher.matching.components.role import ROLE_CODES
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.coverage import COVERAGE
from matcher.matching.fusion import Scored
from matcher.matching.pool import PartnerIndex
from matcher.matching.registry import STANDARD_REGISTRY, Registry
from matcher.matching.roles import ROLES
from matcher.profile import PartnerProfile
from matcher.vocab import CATEGORIES

TEXT_REASON_Z = 1.0
"""A text similarity is named as a reason only this many standard deviations above the pool."""


@dataclass(frozen=True)
class MatchResult:
    """One ranked partner with everything that went into its score.

    `components` holds the weighted contribution of every component (they sum
    to `score - base`); `levels` the matched level labels; `similarities` the
    raw cosines behind the dense and lexical contributions.
    """

    partner_id: str
    partner_name: str
    score: float
    components: dict[str, float]
    reasons: tuple[str, ...]
    config_hash: str
    levels: dict[str, str] = field(default_factory=dict)
    similarities: dict[str, float] = field(default_factory=dict)
    rank: int = 0
    role: str = ""
    """The partner's role (matcher.matching.roles.ROLES), empty when the registry reads none."""
    weak: bool = False
    """Below the fit floor: returned only on request, marked 不建议."""


class RankedList(list[MatchResult]):
    """The results of one ranking, and how many partners qualified (reached the fit floor).

    A list, so every caller that iterates results keeps working; `qualified`
    counts the whole pool, not just the returned places.
    """

    qualified: int = 0

    def __init__(self, results: list[MatchResult] | tuple[()] = (), qualified: int = 0) -> None:
        super().__init__(results)
        self.qualified = qualified


WEAK_REASON = "不建议：匹配度低于推荐线，仅供参考"


def role_numbers(index: PartnerIndex) -> np.ndarray | None:
    """Each partner's role number (ROLE_CODES), from the role component's state, or None."""
    state = index.states.get("role")
    return None if state is None else state.role  # type: ignore[attr-defined]


def _strongest(c: Contribution) -> float:
    return -c.weight


def hard_filter_reasons(
    query: MatchQuery,
    partner: PartnerProfile,
    ctx: MatchContext,
    registry: Registry = STANDARD_REGISTRY,
) -> tuple[str, ...]:
    """Why the partner must not be recommended at all (empty when it may be).

    Example:
        >>> gone = PartnerProfile(name="乙", active=False)
        >>> hard_filter_reasons(query, gone, ctx)  # doctest: +SKIP
        ('合作方已停止合作',)
    """
    return tuple(f.reason for f in registry.filters if f.pair(query, partner, ctx))


def reasons(
    query: MatchQuery,
    partner: PartnerProfile,
    ctx: MatchContext,
    text: Mapping[str, tuple[float, float, float]],
    registry: Registry = STANDARD_REGISTRY,
) -> tuple[str, ...]:
    """The Chinese reasons for one result, strongest first, cautions last.

    Args:
        query, partner, ctx: the two sides and the tables.
        text: similarity name → (its part of the score, its z-score, its raw value).
        registry: the components to explain.
    """
    return _ordered(
        [c.pair(query, partner, ctx) for c in registry.explained],
        [_text_reason(s, *text[s.name]) for s in registry.similarities],
        _notes(query, registry),
    )


def _text_reason(s: SimilarityComponent, part: float, z: float, value: float) -> str | None:
    """A similarity's reason when it stands well above the pool, else None."""
    return s.reason.format(cosine=value) if part > 0 and z > TEXT_REASON_Z else None


def _notes(query: MatchQuery, registry: Registry) -> list[str]:
    """The lines about the query itself (the same under every result of one ranking)."""
    lines = (c.note(query) for c in registry.noted)  # type: ignore[misc]
    return [line for line in lines if line]


def _ordered(
    contributions: list[Contribution], text: list[str | None], notes: list[str]
) -> tuple[str, ...]:
    """Positive reasons by weight, neutral ones that say something, text, cautions, notes."""
    ranked = sorted(contributions, key=_strongest)
    out = [c.detail for c in ranked if c.weight > 0 and c.detail]
    # Neutral levels that still say something (e.g. a deal just outside the range).
    out += [c.detail for c in ranked if c.weight == 0 and c.level != "null" and c.detail]
    out += [line for line in text if line is not None]
    out += [f"注意：{c.detail}" for c in ranked if c.weight < 0 and c.detail]
    out += notes
    return tuple(out)


def coverage_reason(above: int, role: str, query: MatchQuery) -> str:
    """Why the coverage step moved a partner down (empty when it did not)."""
    if above <= 0 or query.primary is None:
        return ""
    return (
        f"注意：前面已有{above}家{ROLES.get(role, role)}，为兼顾"
        f"{CATEGORIES[query.primary]}所需的其他角色，名次下调"
    )


def explain(
    picked: np.ndarray,
    query: MatchQuery,
    index: PartnerIndex,
    ctx: MatchContext,
    scored: Scored,
    *,
    adjust: np.ndarray | None = None,
    above: np.ndarray | None = None,
    weak: bool = False,
    start: int = 0,
) -> list[MatchResult]:
    """MatchResults for the picked rows, best first.

    The picked rows' values are read out of the pool arrays column by column
    (one `take` each) rather than element by element per result.

    Args:
        picked, query, index, ctx, scored: the rows and what they were scored with.
        adjust: the coverage step's adjustment per picked row (None: none).
        above: how many of the same role the coverage step placed above each.
        weak: the rows are below the fit floor (marked 不建议).
        start: the rank before the first picked row.
    """
    registry = index.registry
    digest = ctx.config.config_hash()
    moved = np.zeros(len(picked)) if adjust is None else np.asarray(adjust, dtype=np.float64)
    counts = [0] * len(picked) if above is None else np.asarray(above).tolist()
    scores = (scored.total.take(picked) + moved).tolist()
    parts = {
        k: np.round(v.astype(np.float64), 6).tolist() for k, v in scored.parts_at(picked).items()
    }
    parts[COVERAGE] = np.round(moved, 6).tolist()
    roles = role_numbers(index)
    labels = registry.levels
    levels = {k: [labels[k][x] for x in v.take(picked).tolist()] for k, v in scored.levels.items()}
    sims = {k: v.take(picked).astype(np.float64).tolist() for k, v in scored.sims.items()}
    zs = {k: v.take(picked).tolist() for k, v in scored.z.items()}
    explained, similar = registry.explained, registry.similarities
    # The components that read the partner's role are given the one the index derived
    # (the role component's state) instead of deriving it again per result.
    by_role = [c.takes_role for c in explained]
    notes = _notes(query, registry)
    picked_roles = [""] * len(picked) if roles is None else roles.take(picked).tolist()
    results = []
    for i, j in enumerate(picked.tolist()):
        partner = index.partners[j]
        role = "" if roles is None else ROLE_CODES[picked_roles[i]]
        text = [_text_reason(s, parts[s.name][i], zs[s.name][i], sims[s.name][i]) for s in similar]
        verdicts = [
            c.pair(query, partner, ctx, role) if takes else c.pair(query, partner, ctx)
            for c, takes in zip(explained, by_role, strict=True)
        ]
        said = _ordered(verdicts, text, notes)
        moved_down = coverage_reason(counts[i], role, query)
        if moved_down:
            said = (*said, moved_down)
        if weak:
            said = (WEAK_REASON, *said)
        results.append(
            MatchResult(
                partner_id=index.ids[j],
                partner_name=partner.name,
                score=scores[i],
                components={k: v[i] for k, v in parts.items()},
                reasons=said,
                config_hash=digest,
                levels={k: v[i] for k, v in levels.items()},
                similarities={k: v[i] for k, v in sims.items()},
                rank=start + i + 1,
                role=role,
                weak=weak,
            )
        )
    return results
