"""The components of given enterprise–partner pairs, as the learner needs them.

A decision is about one pair whatever its rank now (a rejected partner is no
longer ranked at all), so its features are read from a full scoring of the pool
rather than from a top-k.  Scored with the shipped (base) weights, the parts are
in the units a learned overlay multiplies.  Partners a hard filter removes are
left out: the learner never sees them, so no filter can be learned away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from matcher.chain import IndustryChain
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig
from matcher.matching.context import DiagnosisCategories, MatchContext, MatchQuery
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
        )
    return query.primary, out
