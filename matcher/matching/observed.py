"""The components of given enterprise–partner pairs, as the learner needs them.

A decision is about one pair whatever its rank now (a rejected partner is no
longer ranked at all), so its features are read from a full scoring of the pool
rather than from a top-k.  Scored with the shipped (base) weights, the parts are
in the units a learned overlay multiplies.  Partners a hard filter removes are
left out: the learner never sees them, so no filter can be learned away.

Each pair also says how crowded its place was: how many partners of its role
the coverage step (matcher.matching.coverage) placed above it beyond the role's
free places, in the list these weights make.  That is the coverage penalty's
feature, so the learner can weigh it like any other part of the score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from matcher.chain import IndustryChain
from matcher.encoders.search import top_indices
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig
from matcher.matching.context import DiagnosisCategories, MatchContext, MatchQuery
from matcher.matching.coverage import cover, free_places
from matcher.matching.explain import role_numbers
from matcher.matching.fusion import score_pool
from matcher.matching.pool import PartnerIndex
from matcher.profile import EnterpriseProfile


@dataclass(frozen=True)
class Observed:
    """One pair's components under the given weights."""

    parts: dict[str, float]
    """Component → its contribution to the score."""
    levels: dict[str, str]
    """Rule component → the pair's level."""
    scales: dict[str, float]
    """Rule component → what multiplies its level weight for this enterprise."""
    crowded: int = 0
    """Partners of its role the coverage step placed above it beyond the free places."""


CROWDING_DEPTH = 200
"""How deep the coverage step is replayed for the crowding counts (a pair further down the
qualified list is counted as not crowded: no officer sees it there)."""


def _crowding(query: MatchQuery, ctx: MatchContext, index: PartnerIndex, total, rows):  # type: ignore[no-untyped-def]
    """Row → its crowding count, for the qualified rows the coverage step places (one pass)."""
    roles = role_numbers(index)
    penalty = ctx.config.coverage_penalty_for(query.primary)
    if roles is None or query.primary is None or penalty <= 0:
        return {}
    qualified = rows[total[rows] >= ctx.config.fit_floor]
    order = qualified[top_indices(total[qualified], CROWDING_DEPTH)]
    covered = cover(order, total, roles, len(order), penalty, free_places(query, ctx))
    return dict(zip(covered.rows.tolist(), covered.above.tolist(), strict=True))


def pair_parts(
    enterprise: EnterpriseProfile,
    categories: DiagnosisCategories | Mapping[str, float] | None,
    partner_ids: Iterable[str],
    *,
    index: PartnerIndex,
    query_embedding: np.ndarray | None,
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
) -> tuple[str | None, dict[str, Observed]]:
    """(the primary category, partner id → its components) for the partners passing the filters."""
    registry = index.registry
    registry.check(config)
    ctx = MatchContext(industries, chain, config)
    query = MatchQuery.build(enterprise, categories, ctx, embedding=query_embedding)
    scored = score_pool(query, index, ctx)
    passing = set(scored.rows.tolist())
    crowded = _crowding(query, ctx, index, scored.total, scored.rows)
    scales = {
        c.name: c.factor(query, ctx) * config.factor_for(c.name, query.primary)
        for c in registry.components
    }
    out = {}
    for pid in partner_ids:
        row = index.positions.get(pid)
        if row is None or row not in passing:
            continue
        out[pid] = Observed(
            parts={name: float(part[row]) for name, part in scored.parts.items()},
            levels={c.name: c.labels[int(scored.levels[c.name][row])] for c in registry.components},
            scales=scales,
            crowded=int(crowded.get(row, 0)),
        )
    return query.primary, out
