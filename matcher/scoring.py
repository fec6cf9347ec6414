"""Fusion and ranking over the whole partner pool.

The one formula (weights in fixtures/matcher_config.toml):

    score = base
          + Σ_component  w[component][level]              (rule levels, matcher.rules)
          + t · dense_weight   · clip(z(cos_dense),   ±c)
          + t · lexical_weight · clip(z(cos_lexical), ±c)

with t = text_factor_with_industry when the enterprise's industry code is known
and 1 when it is not: the codes and the industry chain then say what the text
would, and the text has to carry the industry when the form lacks the code.

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

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from matcher.chain import IndustryChain
from matcher.config import COMPONENTS, LEVELS, MatcherConfig
from matcher.cosine import grid_cosines, to_grid
from matcher.embed import Encoder, enterprise_need_text, top_indices
from matcher.industry import IndustryTable
from matcher.partner_index import (
    LevelMemo,
    PartnerIndex,
    asset_levels,
    deal_levels,
    excluded_mask,
    industry_levels,
    kind_levels,
    region_levels,
    treatment_levels,
)
from matcher.profile import Asset, EnterpriseProfile, PartnerProfile
from matcher.rules import (
    DiagnosisCategories,
    RuleContext,
    asset_fit,
    deal_size_fit,
    estimate_deal_size,
    industry_fit,
    kind_fit,
    region_fit,
    relevant_asset_types,
    treatment_fit,
)
from matcher.vocab import ASSET_TYPES

MODES = ("full", "rules", "dense", "lexical")
MIN_SPREAD = 1e-4
"""A similarity whose spread over the pool is below this says nothing about any partner.

Cosines that differ by less than 1e-4 are the same text or rounding noise
(float32 noise in a 384-term sum is about 1e-7); standardising them would
blow that noise up to whole standard deviations, so they contribute 0."""
_PURE = {
    "treatment": treatment_fit,
    "industry": industry_fit,
    "region": region_fit,
    "asset": asset_fit,
    "kind": kind_fit,
}


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


def as_diagnosis(
    dx: DiagnosisCategories | Mapping[str, float] | None,
) -> DiagnosisCategories | None:
    if dx is None or isinstance(dx, DiagnosisCategories):
        return dx
    return DiagnosisCategories.from_mapping(dx)


def _standardise(x: np.ndarray, rows: np.ndarray, clip: float) -> np.ndarray:
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


def _query_embedding(
    encoder_or_query_embedding: Encoder | np.ndarray | None, text: str
) -> np.ndarray | None:
    if encoder_or_query_embedding is None:
        return None
    if isinstance(encoder_or_query_embedding, np.ndarray):
        return encoder_or_query_embedding.reshape(-1).astype(np.float32)
    return encoder_or_query_embedding.encode([text], prompt_name="query")[0]


@dataclass(frozen=True)
class _Scored:
    total: np.ndarray
    rows: np.ndarray
    """The partners that pass the hard filters."""
    parts: dict[str, np.ndarray]
    levels: dict[str, np.ndarray]
    sims: dict[str, np.ndarray]
    z: dict[str, np.ndarray]


def _score_pool(
    e: EnterpriseProfile,
    dx: DiagnosisCategories | None,
    index: PartnerIndex,
    query_emb: np.ndarray | None,
    query_text: str,
    deal: tuple[float | None, str],
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
    mode: str,
    factors: Mapping[str, float],
    *,
    dense: np.ndarray | None = None,
    memo: LevelMemo | None = None,
) -> _Scored:
    """Every partner's levels, components and fused score for one enterprise.

    `dense` is this enterprise's row of a batch's similarity matrix (computed
    by one matrix product for many enterprises); `memo` shares the level
    arrays between enterprises of a batch that agree on what a level depends on.
    """
    memo = memo if memo is not None else LevelMemo(0)
    code = industries.normalize(e.industry_code) if e.industry_code else None
    primary = dx.primary if dx is not None else None
    secondaries = dx.secondaries(config.secondary_min_probability) if dx is not None else ()
    owned = frozenset(a.type for a in e.assets)
    wanted = relevant_asset_types(e, dx)
    levels = {
        "treatment": memo.get(
            ("treatment", primary, secondaries), lambda: treatment_levels(index, dx, config)
        ),
        "industry": memo.get(
            ("industry", code, primary, wanted),
            lambda: industry_levels(index, e, dx, industries, chain),
        ),
        "deal_size": memo.get(("deal", deal[0]), lambda: deal_levels(index, deal[0], config)),
        "region": memo.get(
            ("region", e.province, e.city, e.county), lambda: region_levels(index, e)
        ),
        "asset": memo.get(("asset", owned, wanted), lambda: asset_levels(index, e, dx)),
        "kind": memo.get(("kind", primary), lambda: kind_levels(index, dx, config)),
    }
    parts: dict[str, np.ndarray] = {}
    asset_factor = config.asset_category_default
    if dx is not None:
        asset_factor = config.asset_category_factor.get(dx.primary, asset_factor)
    for comp in COMPONENTS:
        scale = factors.get(comp, 1.0) * (asset_factor if comp == "asset" else 1.0)
        weights = np.array(
            [config.level_weight(comp, lab) * scale for lab in LEVELS[comp]], dtype=np.float32
        )
        parts[comp] = weights.take(levels[comp])
    valid = index.active & (levels["region"] != LEVELS["region"].index("else"))
    valid &= ~memo.get(("excluded", code), lambda: excluded_mask(index, e, industries))
    if config.ticket_filter:
        valid &= levels["deal_size"] != LEVELS["deal_size"].index("else")
    n = len(index)
    sims = {"dense": np.zeros(n, np.float32), "lexical": np.zeros(n, np.float32)}
    if dense is not None:
        sims["dense"] = dense
    elif query_emb is not None and index.grid is not None and n:
        sims["dense"] = grid_cosines(index.grid, to_grid(query_emb))
    if index.lexical is not None and n and mode in ("full", "lexical"):
        sims["lexical"] = index.lexical.scores(query_text)
    rows = np.flatnonzero(valid)
    zs = {name: _standardise(sims[name], rows, config.similarity_clip) for name in sims}
    text_factor = config.text_factor_with_industry if code is not None else 1.0
    for name, weight in (("dense", config.dense_weight), ("lexical", config.lexical_weight)):
        parts[name] = np.float32(weight * factors.get(name, 1.0) * text_factor) * zs[name]
    if mode == "full":
        total = _sum(config.base, (parts[c] for c in parts))
    elif mode == "rules":
        total = _sum(config.base, (parts[c] for c in COMPONENTS))
    elif mode in ("dense", "lexical"):
        total = sims[mode].astype(np.float64)
    else:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    return _Scored(total, rows, parts, levels, sims, zs)


def _sum(base: float, arrays: Iterable[np.ndarray]) -> np.ndarray:
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


def _reasons(
    e: EnterpriseProfile,
    partner: PartnerProfile,
    dx: DiagnosisCategories | None,
    ctx: RuleContext,
    deal: tuple[float | None, str],
    text: Mapping[str, tuple[float, float, float]],
) -> tuple[str, ...]:
    """The Chinese reasons for one result; `text` maps dense/lexical to (part, z, cosine)."""
    contribs = [fn(e, partner, dx, ctx) for fn in _PURE.values()]
    contribs.append(deal_size_fit(e, partner, dx, ctx, deal))
    ranked = sorted(contribs, key=lambda c: -c.weight)
    out = [c.detail for c in ranked if c.weight > 0 and c.detail]
    # Neutral levels that still say something (e.g. a deal just outside the range).
    out += [c.detail for c in ranked if c.weight == 0 and c.level != "null" and c.detail]
    # Text reasons only for a similarity well above the pool (one standard deviation).
    part, z, cosine = text["dense"]
    if part > 0 and z > 1.0:
        out.append(f"业务描述语义相近（相似度{cosine:.2f}）")
    part, z, _ = text["lexical"]
    if part > 0 and z > 1.0:
        out.append("关键词重合度较高")
    out += [f"注意：{c.detail}" for c in ranked if c.weight < 0 and c.detail]
    if deal[0] is not None and deal[1]:
        out.append(deal[1])
    return tuple(out)


def _explain(
    e: EnterpriseProfile,
    picked: np.ndarray,
    dx: DiagnosisCategories | None,
    index: PartnerIndex,
    ctx: RuleContext,
    deal: tuple[float | None, str],
    scored: _Scored,
) -> list[MatchResult]:
    """MatchResults for the picked rows, best first.

    The picked rows' values are read out of the pool arrays column by column
    (one `take` each) rather than element by element per result.
    """
    digest = ctx.config.config_hash()
    scores = scored.total.take(picked).tolist()
    parts = {
        k: np.round(v.take(picked).astype(np.float64), 6).tolist() for k, v in scored.parts.items()
    }
    levels = {k: [LEVELS[k][x] for x in v.take(picked).tolist()] for k, v in scored.levels.items()}
    sims = {k: v.take(picked).astype(np.float64).tolist() for k, v in scored.sims.items()}
    zs = {k: v.take(picked).tolist() for k, v in scored.z.items()}
    results = []
    # The vectorised filters agree with matcher.rules.hard_filter_reasons
    # partner by partner (tests/matcher/test_scoring.py checks every filter),
    # so the pure filters are not run again per result.
    for i, j in enumerate(picked.tolist()):
        partner = index.partners[j]
        text = {k: (parts[k][i], zs[k][i], sims[k][i]) for k in ("dense", "lexical")}
        results.append(
            MatchResult(
                partner_id=index.ids[j],
                partner_name=partner.name,
                score=scores[i],
                components={k: v[i] for k, v in parts.items()},
                reasons=_reasons(e, partner, dx, ctx, deal, text),
                config_hash=digest,
                levels={k: v[i] for k, v in levels.items()},
                similarities={k: v[i] for k, v in sims.items()},
                rank=i + 1,
            )
        )
    return results


def rank_partners(
    enterprise: EnterpriseProfile,
    diagnosis_categories: DiagnosisCategories | Mapping[str, float] | None,
    *,
    index: PartnerIndex,
    encoder_or_query_embedding: Encoder | np.ndarray | None,
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
    limit: int = 10,
    exclude_partner_ids: Collection[str] = (),
    mode: str = "full",
    deal_override: tuple[float | None, str] | None = None,
    factors: Mapping[str, float] | None = None,
) -> list[MatchResult]:
    """Rank the pool for one enterprise, best first; filtered partners never appear.

    Args:
        enterprise: the enterprise.
        diagnosis_categories: category -> probability with the primary first,
            or a `DiagnosisCategories`; None ranks without treatment-dependent levels.
        index: the precomputed pool.
        encoder_or_query_embedding: an encoder (the need text is encoded as a
            query), a ready query vector, or None for no dense component.
        config: weights and thresholds; its hash is stored on each result.
        industries, chain: the GB/T table and the industry-chain table.
        limit: how many to return.
        exclude_partner_ids: partners to leave out (e.g. already rejected).
        mode: "full", or one component family alone for evaluation:
            "rules", "dense", "lexical".
        deal_override: a (value, explanation) to use instead of the estimate.
        factors: per-component multipliers (asset-level matching uses them).

    Returns:
        Up to `limit` MatchResult, best first.

    Example:
        >>> rank_partners(ent, {"relief": 1.0}, index=idx, encoder_or_query_embedding=enc,
        ...               config=cfg, industries=table, chain=chain)  # doctest: +SKIP
    """
    dx = as_diagnosis(diagnosis_categories)
    deal = deal_override or (estimate_deal_size(enterprise, dx.primary) if dx else (None, ""))
    text = enterprise_need_text(enterprise)
    query_emb = None
    if mode in ("full", "dense"):
        query_emb = _query_embedding(encoder_or_query_embedding, text)
    scored = _score_pool(
        enterprise, dx, index, query_emb, text, deal, config, industries, chain, mode, factors or {}
    )
    ctx = RuleContext(industries, chain, config)
    return _pick(enterprise, dx, deal, scored, index, ctx, limit, exclude_partner_ids)


def _pick(
    enterprise: EnterpriseProfile,
    dx: DiagnosisCategories | None,
    deal: tuple[float | None, str],
    scored: _Scored,
    index: PartnerIndex,
    ctx: RuleContext,
    limit: int,
    exclude_partner_ids: Collection[str],
) -> list[MatchResult]:
    """The top `limit` of a scored pool, explained."""
    candidates = scored.rows
    if exclude_partner_ids:
        candidates = np.setdiff1d(candidates, index.rows_of(exclude_partner_ids))
    if not len(candidates) or limit <= 0:
        return []
    picked = candidates[top_indices(scored.total[candidates], limit)]
    return _explain(enterprise, picked, dx, index, ctx, deal, scored)


def rank_partners_many(
    enterprises: Sequence[EnterpriseProfile],
    diagnosis_categories: Sequence[DiagnosisCategories | Mapping[str, float] | None],
    query_embeddings: np.ndarray | None,
    *,
    index: PartnerIndex,
    config: MatcherConfig,
    industries: IndustryTable,
    chain: IndustryChain,
    limit: int = 10,
    exclude_partner_ids: Sequence[Collection[str]] | None = None,
    block: int = 64,
) -> list[list[MatchResult]]:
    """Rank the pool for many enterprises at once; the same results as `rank_partners` each.

    A re-score of every enterprise spends most of its time on work that a
    loop of `rank_partners` repeats per enterprise: this takes the dense
    similarities of a block of enterprises from one matrix product, and
    computes each rule level array once for all enterprises that share what
    it depends on (region, diagnosis, industry, assets).

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

    Returns:
        One list of MatchResult per enterprise, in order.

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
    memo = LevelMemo()
    ctx = RuleContext(industries, chain, config)
    use_dense = query_embeddings is not None and index.grid is not None and len(index)
    out: list[list[MatchResult]] = []
    for start in range(0, m, max(block, 1)):
        stop = min(start + max(block, 1), m)
        dense = None
        if use_dense:
            queries = to_grid(query_embeddings[start:stop])  # type: ignore[index]
            dense = grid_cosines(index.grid, queries)  # type: ignore[arg-type]
        for i in range(start, stop):
            e = enterprises[i]
            dx = as_diagnosis(diagnosis_categories[i])
            deal = estimate_deal_size(e, dx.primary) if dx else (None, "")
            scored = _score_pool(
                e,
                dx,
                index,
                None,
                enterprise_need_text(e),
                deal,
                config,
                industries,
                chain,
                "full",
                {},
                dense=None if dense is None else dense[i - start],
                memo=memo,
            )
            out.append(_pick(e, dx, deal, scored, index, ctx, limit, excluded[i]))
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
) -> list[MatchResult]:
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
    )
