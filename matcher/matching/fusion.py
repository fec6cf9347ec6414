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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial

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


_EXACT_QUANTUM = 2.0**-20
"""A rule weight of at least this magnitude is a whole multiple of 2**-43 (float32)."""
_EXACT_BOUND = 2.0**10
"""Sums below this of multiples of 2**-43 are whole numbers below 2**53 of them: exact."""
_GROUP_CODES = 1024
"""Most level combinations one lookup table covers (8 KB of float64, in L1 cache)."""


def exact_rule_sums(weights: Sequence[np.ndarray]) -> bool:
    """Whether every float64 sum of one weight per component is exact, in any order.

    A float32 weight w with |w| ≥ 2**-20 is a whole multiple of 2**-43 (its 24
    significant bits end there or above); a sum of such multiples is one too,
    and while its magnitude stays below 2**10 it has fewer than 53 significant
    bits, so float64 holds every partial sum exactly and no addition rounds.
    Then grouping the components differently gives the same bits as adding
    them one after the other.
    """
    bound = 0.0
    for w in weights:
        magnitudes = np.abs(w.astype(np.float64))
        if ((magnitudes > 0) & (magnitudes < _EXACT_QUANTUM)).any():
            return False
        bound += float(magnitudes.max(initial=0.0))
    return bound < _EXACT_BOUND


def rule_sum(weights: Sequence[np.ndarray], levels: Sequence[np.ndarray]) -> np.ndarray:
    """Σ over the rule components of weights[c][levels[c]] per partner, as float64.

    The same bits as `sum_parts(0, ...)` of the taken parts: when every sum is
    exact (`exact_rule_sums`) consecutive components are grouped, each group's
    level numbers packed into one code and its sums read from a small table
    (one `take` per group instead of one per component, and no float32 part
    per component); otherwise the parts are added one after the other.
    """
    if not weights:
        raise ValueError("no rule components to sum")
    if not exact_rule_sums(weights):
        return sum_parts(0.0, (w.take(lv) for w, lv in zip(weights, levels, strict=True)))
    total: np.ndarray | None = None
    start = 0
    while start < len(weights):
        stop, size = start + 1, len(weights[start])
        while stop < len(weights) and size * len(weights[stop]) <= _GROUP_CODES:
            size *= len(weights[stop])
            stop += 1
        table = weights[start].astype(np.float64)
        code = levels[start].astype(np.int16)
        for c in range(start + 1, stop):
            table = (table[:, None] + weights[c].astype(np.float64)[None, :]).ravel()
            code *= np.int16(len(weights[c]))
            code += levels[c]
        group = table.take(code)
        if total is None:
            total = group
        else:
            total += group
        start = stop
    assert total is not None
    return total


@dataclass(frozen=True)
class Scored:
    """One query's verdict over the whole pool."""

    total: np.ndarray
    rows: np.ndarray
    """The partners that pass the hard filters."""
    weights: dict[str, np.ndarray]
    """Rule component → its weighted contribution per level (float32), in the registry's order."""
    levels: dict[str, np.ndarray]
    sims: dict[str, np.ndarray]
    z: dict[str, np.ndarray]
    text: dict[str, np.ndarray]
    """Similarity → its weighted contribution per partner (float32), in the registry's order."""

    @cached_property
    def parts(self) -> dict[str, np.ndarray]:
        """Component → its weighted contribution per partner, in the registry's order."""
        rules = {k: w.take(self.levels[k]) for k, w in self.weights.items()}
        return rules | self.text

    def parts_at(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """`parts` at `rows` only (what the explanations read), without the pool's arrays."""
        rules = {k: w.take(self.levels[k].take(rows)) for k, w in self.weights.items()}
        return rules | {k: v.take(rows) for k, v in self.text.items()}


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
    weights: dict[str, np.ndarray] = {}
    for c in registry.components:
        scale = factors.get(c.name, 1.0) * c.factor(query, ctx)
        scale *= config.factor_for(c.name, query.primary)
        weights[c.name] = np.array(
            [config.level_weight(c.name, lab, query.primary) * scale for lab in c.labels],
            dtype=np.float32,
        )
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
    text: dict[str, np.ndarray] = {}
    for s in registry.similarities:
        weight = s.weight(config) * factors.get(s.name, 1.0) * t
        weight *= config.factor_for(s.name, query.primary)
        text[s.name] = np.float32(weight) * zs[s.name]
    if mode in sims and mode != RULES_MODE:
        total = sims[mode].astype(np.float64)
    else:
        names = [c.name for c in registry.components]
        if names:
            total = rule_sum([weights[k] for k in names], [levels[k] for k in names])
            if mode != RULES_MODE:
                for part in text.values():
                    total += part
            if config.base:
                total += config.base
        else:
            total = sum_parts(config.base, text.values() if mode != RULES_MODE else ())
    return Scored(total, rows, weights, levels, sims, zs, text)
