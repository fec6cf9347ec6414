"""Ranking the pool: one enterprise, many at once, or who would take one asset.

Each ranking derives the query once (matcher.matching.context.MatchQuery),
scores the whole pool (matcher.matching.fusion), keeps the top `limit` of
the partners that pass the hard filters and explains them
(matcher.matching.explain).  The components are those of the registry the
index was built with.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

import numpy as np

from matcher.chain import IndustryChain
from matcher.encoders.loading import Encoder
from matcher.encoders.search import top_indices
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig
from matcher.matching.context import (
    Deal,
    DiagnosisCategories,
    MatchContext,
    MatchQuery,
)
from matcher.matching.coverage import SHORTLIST_FACTOR, cover, free_places
from matcher.matching.explain import RankedList, explain, role_numbers
from matcher.matching.fusion import Scored, score_pool
from matcher.matching.pool import LevelMemo, PartnerIndex
from matcher.matching.registry import FULL_MODE, RULES_MODE, STANDARD_REGISTRY
from matcher.matching.texts import enterprise_need_text
from matcher.profile import Asset, EnterpriseProfile
from matcher.vocab import ASSET_TYPES

MODES = STANDARD_REGISTRY.modes
"""The ranking modes of the standard registry: ("full", "rules", "dense", "lexical")."""

Categories = DiagnosisCategories | Mapping[str, float] | None


def _query_embedding(
    encoder_or_query_embedding: Encoder | np.ndarray | None, text: str
) -> np.ndarray | None:
    if encoder_or_query_embedding is None:
        return None
    if isinstance(encoder_or_query_embedding, np.ndarray):
        return encoder_or_query_embedding.reshape(-1).astype(np.float32)
    return encoder_or_query_embedding.encode([text], prompt_name="query")[0]


def _context(
    index: PartnerIndex, config: MatcherConfig, industries: IndustryTable, chain: IndustryChain
) -> MatchContext:
    index.registry.check(config)
    return MatchContext(industries, chain, config)


def _pick(
    query: MatchQuery,
    scored: Scored,
    index: PartnerIndex,
    ctx: MatchContext,
    limit: int,
    exclude_partner_ids: Collection[str],
    include_weak: bool = False,
    mode: str = FULL_MODE,
) -> RankedList:
    """The top `limit` of a scored pool, explained.

    Only partners at or above the fit floor are recommendations; they are
    placed by the coverage step (matcher.matching.coverage).  With
    `include_weak` the places left are filled with the best of the rest,
    marked 不建议.  A similarity alone (evaluation modes) is ranked as it is:
    its raw cosine has no floor and no roles.
    """
    candidates = scored.rows
    if exclude_partner_ids:
        candidates = np.setdiff1d(candidates, index.rows_of(exclude_partner_ids))
    total = scored.total
    judged = mode in (FULL_MODE, RULES_MODE)
    floor = ctx.config.fit_floor if judged else -np.inf
    values = total.take(candidates)
    fit = values >= floor
    kept = np.flatnonzero(fit)  # then two takes: a boolean index of each costs 4x more
    strong = candidates.take(kept)
    out = RankedList(qualified=len(strong))
    if limit <= 0:
        return out
    shortlist = max(SHORTLIST_FACTOR * limit, 30)
    order = strong[top_indices(values.take(kept), shortlist)]
    roles = role_numbers(index)
    if roles is None or query.primary is None or not judged:
        covered = cover(order, total, np.zeros(len(total), np.int8), limit, 0.0)
    else:
        covered = cover(
            order,
            total,
            roles,
            limit,
            ctx.config.coverage_penalty_for(query.primary),
            free_places(query, ctx),
        )
    out += explain(
        covered.rows, query, index, ctx, scored, adjust=covered.adjust, above=covered.above
    )
    if include_weak and len(out) < limit and len(strong) < len(candidates):
        rest = candidates[~fit]
        picked = rest[top_indices(values[~fit], limit - len(out))]
        out += explain(picked, query, index, ctx, scored, weak=True, start=len(out))
    return out


def rank_partners(
    enterprise: EnterpriseProfile,
    diagnosis_categories: Categories,
    *,
    index: PartnerIndex,
    encoder_or_query_embedding: Encoder | np.ndarray | None,
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
    limit: int = 10,
    exclude_partner_ids: Collection[str] = (),
    mode: str = "full",
    deal_override: Deal | None = None,
    factors: Mapping[str, float] | None = None,
    include_weak: bool = False,
) -> RankedList:
    """Rank the pool for one enterprise, best first; filtered partners never appear.

    Args:
        enterprise: the enterprise.
        diagnosis_categories: category -> probability with the primary first,
            or a `DiagnosisCategories`; None ranks without treatment-dependent levels.
        index: the precomputed pool (its registry names the components).
        encoder_or_query_embedding: an encoder (the need text is encoded as a
            query), a ready query vector, or None for no dense component.
        config: weights and thresholds; its hash is stored on each result.
        industries, chain: the GB/T table and the industry-chain table.
        limit: how many to return.
        exclude_partner_ids: partners to leave out (e.g. already rejected).
        mode: "full", or one component family alone for evaluation:
            "rules", "dense", "lexical" (the registry's `modes`).
        deal_override: a (value, explanation) to use instead of the estimate.
        factors: per-component multipliers (asset-level matching uses them).
        include_weak: fill the places left below the fit floor with the best of
            the rest, marked weak (不建议); by default they are not returned.

    Returns:
        Up to `limit` MatchResult, best first, with `qualified`: how many
        partners reached the fit floor.

    Raises:
        ValueError: on an unknown mode, or a config lacking a component's weights.

    Example:
        >>> rank_partners(ent, {"relief": 1.0}, index=idx, encoder_or_query_embedding=enc,
        ...               config=cfg, industries=table, chain=chain)  # doctest: +SKIP
    """
    active = index.registry.active_similarities(mode)
    ctx = _context(index, config, industries, chain)
    text = enterprise_need_text(enterprise)
    embedding = None
    if any(s.needs_embedding for s in active):
        embedding = _query_embedding(encoder_or_query_embedding, text)
    query = MatchQuery.build(
        enterprise, diagnosis_categories, ctx, deal=deal_override, text=text, embedding=embedding
    )
    scored = score_pool(query, index, ctx, mode=mode, factors=factors)
    return _pick(query, scored, index, ctx, limit, exclude_partner_ids, include_weak, mode)


def rank_partners_many(
    enterprises: Sequence[EnterpriseProfile],
    diagnosis_categories: Sequence[Categories],
    query_embeddings: np.ndarray | None,
    *,
    index: PartnerIndex,
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
    limit: int = 10,
    exclude_partner_ids: Sequence[Collection[str]] | None = None,
    block: int = 64,
    include_weak: bool = False,
    memo: LevelMemo | None = None,
) -> list[RankedList]:
    """Rank the pool for many enterprises at once; the same results as `rank_partners` each.

    A re-score of every enterprise spends most of its time on work that a
    loop of `rank_partners` repeats per enterprise: this takes the dense
    similarities of a block of enterprises from one matrix product, and
    computes each rule level array once for all enterprises that share what
    it depends on (each component's `key`).

    Args:
        enterprises: the enterprises.
        diagnosis_categories: one per enterprise, as for `rank_partners`.
        query_embeddings: (len(enterprises), d) query vectors, or None for no
            dense component.
        index, config, industries, chain, limit: as for `rank_partners`.
        exclude_partner_ids: one collection per enterprise (e.g. its rejected
            partners), or None.
        block: enterprises per matrix product; the product's buffer is
            block × pool size float32.
        memo: level arrays shared with earlier calls (the blocks of one
            re-score job); emptied when the index, config or tables differ.

    Returns:
        One list of MatchResult per enterprise, in order.

    Raises:
        ValueError: when the lengths of the arguments differ.

    Example:
        >>> rank_partners_many([a, b], [{"relief": 1.0}, None], vectors, index=idx,
        ...                    config=cfg, industries=table, chain=chain)  # doctest: +SKIP
    """
    m = len(enterprises)
    if len(diagnosis_categories) != m:
        raise ValueError("one diagnosis per enterprise is needed")
    if query_embeddings is not None and len(query_embeddings) != m:
        raise ValueError("one query embedding per enterprise is needed")
    excluded = exclude_partner_ids if exclude_partner_ids is not None else [()] * m
    ctx = _context(index, config, industries, chain)
    memo = (memo or LevelMemo()).for_pool(index, config.config_hash(), industries, chain)
    step = max(block, 1)
    out: list[RankedList] = []
    for start in range(0, m, step):
        stop = min(start + step, m)
        queries = [
            MatchQuery.build(
                enterprises[i],
                diagnosis_categories[i],
                ctx,
                embedding=None if query_embeddings is None else query_embeddings[i],
            )
            for i in range(start, stop)
        ]
        blocks = {}
        for s in index.registry.similarities:
            matrix = s.block_scores(index, queries) if s.block_scores is not None else None
            if matrix is not None:
                blocks[s.name] = matrix
        for offset, query in enumerate(queries):
            given = {name: matrix[offset] for name, matrix in blocks.items()}
            scored = score_pool(query, index, ctx, given=given, memo=memo)
            out.append(
                _pick(query, scored, index, ctx, limit, excluded[start + offset], include_weak)
            )
    return out


def rank_partners_for_asset(
    enterprise: EnterpriseProfile,
    asset: Asset,
    *,
    index: PartnerIndex,
    encoder_or_query_embedding: Encoder | None,
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
    limit: int = 10,
    category: str = "asset_revitalization",
    exclude_partner_ids: Collection[str] = (),
    include_weak: bool = False,
) -> RankedList:
    """Rank who would buy, lease or operate one asset (资产盘活 at asset level).

    The enterprise is narrowed to this asset (its location becomes the county
    matched against preferred regions), the deal size is the asset's value,
    and `config.asset_mode` multiplies the components so that asset type and
    location weigh more.

    Example:
        >>> rank_partners_for_asset(ent, ent.assets[0], index=idx, encoder_or_query_embedding=enc,
        ...                         config=cfg, industries=table, chain=chain)  # doctest: +SKIP
    """
    focus = replace(asset, idle=True)
    kind = ASSET_TYPES.get(asset.type, asset.type)
    narrowed = replace(
        enterprise,
        assets=(focus,),
        county=asset.location or enterprise.county,
        demands=f"盘活{kind}：{asset.description}\n{enterprise.demands}",
    )
    value = asset.value
    deal = (value, f"按该资产价值约{value:.0f}万元估算") if value else (None, "资产未估值")
    return rank_partners(
        narrowed,
        {category: 1.0},
        index=index,
        encoder_or_query_embedding=encoder_or_query_embedding,
        config=config,
        industries=industries,
        chain=chain,
        limit=limit,
        exclude_partner_ids=exclude_partner_ids,
        deal_override=deal,
        factors=config.asset_mode,
        include_weak=include_weak,
    )
