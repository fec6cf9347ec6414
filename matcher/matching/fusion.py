"""Fusion: every partner's levels, parts and score for one query.

The one formula (weights in fixtures/matcher_config.toml):

    score = base
          + Σ_rule component   w[component][level] · factor            (levels)
          + Σ_similarity       t · weight · clip(z(similarity), ±c)     (dense, lexical)

with t = text_factor_with_industry when the enterprise's industry code is known
and 1 when it is not, times the primary treatment's text weight.  Shipped at
0.5 (was 0.25): the code says the trade, not the process, the products or what
a financier listing no industry does, and a quarter let the rules' ties stand
(the weights file gives the cross-validation behind it).

where z(x) standardises a similarity over the partners that pass the hard
filters (mean 0, standard deviation 1).  Raw cosines of a given model sit in a
narrow band (e5: 0.75–0.90) that differs between models; standardising makes
a weight mean "per standard deviation of this pool" for any encoder.  This
deviates from splink's threshold levels on purpose: thresholds would be
model-specific and throw away the ordering inside a band.

Hard filters (inactive, region not accepted, excluded industry, deal beyond
the far ticket factor) remove a partner before ranking; it is never returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np

from matcher.matching.component import SimilarityComponent
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.pool import LevelMemo, PartnerIndex
from matcher.matching.registry import RULES_MODE

MIN_SPREAD = 1e-4
"""A similarity whose spread over the pool is below this says nothing about any partner.

Cosines that differ by less than 1e-4 are the same text or rounding noise
(float32 noise in a 384-term sum is about 1e-7); standardising them would
blow that noise up to whole standard deviations, so they contribute 0."""


def standardise(x: np.ndarray, rows: np.ndarray, clip: float) -> np.ndarray:
    """z-scores over the partners at `rows` (those passing the filters), clipped; float32."""
    if not len(rows):
        return np.zeros(len(x), dtype=np.float32)
    inside = x.take(rows)
    mean = float(inside.mean(dtype=np.float64))
    centred = (inside - np.float32(mean)).astype(np.float32, copy=False)
    std = float(np.sqrt(np.dot(centred, centred) / len(centred)))
    if std < MIN_SPREAD:
        return np.zeros(len(x), dtype=np.float32)
    z = x.astype(np.float32)
    z -= np.float32(mean)
    z *= np.float32(1.0 / std)
    return np.clip(z, -clip, clip, out=z)


def text_factor(query: MatchQuery, ctx: MatchContext) -> float:
    """How much the text similarities weigh: less when the industry code says it already,
    times the primary treatment's text weight (matcher.matching.policy)."""
    known = ctx.config.text_factor_with_industry if query.industry_code is not None else 1.0
    return known * ctx.config.treatment_weight(query.primary, "text")


def sum_parts(base: float, arrays: Iterable[np.ndarray]) -> np.ndarray:
    """base + Σ arrays (float32 components), accumulated in one float64 array."""
    total: np.ndarray | None = None
    for a in arrays:
        if total is None:
            total = a.astype(np.float64)
        else:
            total += a
    assert total is not None
    if base:
        total += base
    return total


@dataclass(frozen=True)
class Scored:
    """One query's verdict over the whole pool."""

    total: np.ndarray
    rows: np.ndarray
    """The partners that pass the hard filters."""
    parts: dict[str, np.ndarray]
    """Component → its weighted contribution per partner, in the registry's order."""
    levels: dict[str, np.ndarray]
    sims: dict[str, np.ndarray]
    z: dict[str, np.ndarray]


def _levels(
    query: MatchQuery, index: PartnerIndex, ctx: MatchContext, memo: LevelMemo
) -> dict[str, np.ndarray]:
    out = {}
    for c in index.registry.components:
        compute = partial(c.pool, index.states[c.name], query, ctx)
        out[c.name] = memo.get((c.name, *c.key(query, ctx)), compute)
    return out


def _passing(
    query: MatchQuery,
    index: PartnerIndex,
    ctx: MatchContext,
    levels: Mapping[str, np.ndarray],
    memo: LevelMemo,
) -> np.ndarray:
    """The rows of the partners no hard filter removes."""
    removed: np.ndarray | None = None
    for f in index.registry.filters:
        compute = partial(f.pool, index.states[f.name], levels, query, ctx)
        found = compute() if f.key is None else memo.get((f.name, *f.key(query, ctx)), compute)
        if removed is None:
            removed = found.copy()  # never write into a filter's state or the memo
        else:
            removed |= found
    if removed is None:
        return np.arange(len(index))
    return np.flatnonzero(~removed)


def _standardised(
    similarity: SimilarityComponent,
    x: np.ndarray,
    rows: np.ndarray,
    index: PartnerIndex,
    clip: float,
) -> np.ndarray:
    """z-scores of one similarity; a partner whose embedding is pending gets 0 from an
    embedding similarity and is left out of its mean and spread (PartnerIndex.pending)."""
    if not similarity.needs_embedding or index.pending is None:
        return standardise(x, rows, clip)
    z = standardise(x, index.embedded_rows(rows), clip)
    z[index.pending] = 0.0
    return z


def score_pool(
    query: MatchQuery,
    index: PartnerIndex,
    ctx: MatchContext,
    *,
    mode: str = "full",
    factors: Mapping[str, float] | None = None,
    given: Mapping[str, np.ndarray] | None = None,
    memo: LevelMemo | None = None,
) -> Scored:
    """Every partner's levels, parts and fused score for one query.

    Args:
        query, index, ctx: the enterprise side, the pool, the tables and weights.
        mode: "full", "rules" (the rule components alone) or one similarity's
            name (its raw value alone), for evaluation.
        factors: per-component multipliers (asset-level matching uses them).
        given: similarities already computed for this query (a batch's row of
            one matrix product), by name.
        memo: shares level arrays between the queries of a batch that agree
            on what a level depends on.

    Raises:
        ValueError: on an unknown mode.
    """
    registry, config = index.registry, ctx.config
    active = registry.active_similarities(mode)
    memo = memo if memo is not None else LevelMemo(0)
    factors = factors or {}
    levels = _levels(query, index, ctx, memo)
    parts: dict[str, np.ndarray] = {}
    for c in registry.components:
        scale = factors.get(c.name, 1.0) * c.factor(query, ctx)
        scale *= config.factor_for(c.name, query.primary)
        weights = np.array(
            [config.level_weight(c.name, lab, query.primary) * scale for lab in c.labels],
            dtype=np.float32,
        )
        parts[c.name] = weights.take(levels[c.name])
    rows = _passing(query, index, ctx, levels, memo)
    n = len(index)
    sims: dict[str, np.ndarray] = {}
    for s in registry.similarities:
        found = given.get(s.name) if given else None
        if found is None and s in active and n:
            found = s.scores(index, query)
        sims[s.name] = found if found is not None else np.zeros(n, np.float32)
    zs = {
        s.name: _standardised(s, sims[s.name], rows, index, config.similarity_clip)
        for s in registry.similarities
    }
    t = text_factor(query, ctx)
    for s in registry.similarities:
        weight = s.weight(config) * factors.get(s.name, 1.0) * t
        weight *= config.factor_for(s.name, query.primary)
        parts[s.name] = np.float32(weight) * zs[s.name]
    if mode == RULES_MODE:
        total = sum_parts(config.base, (parts[c.name] for c in registry.components))
    elif mode in sims:
        total = sims[mode].astype(np.float64)
    else:
        total = sum_parts(config.base, parts.values())
    return Scored(total, rows, parts, levels, sims, zs)
