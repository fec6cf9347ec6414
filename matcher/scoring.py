"""Fusion and ranking over the whole partner pool.

The one formula (weights in fixtures/matcher_config.toml):

    score = base
          + Σ_component  w[component][level]          (rule levels, matcher.rules)
          + dense_weight   · clip(z(cos_dense),   ±c)
          + lexical_weight · clip(z(cos_lexical), ±c)

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

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from matcher.chain import IndustryChain
from matcher.config import COMPONENTS, LEVELS, MatcherConfig
from matcher.embed import Encoder, enterprise_need_text, top_indices
from matcher.industry import IndustryTable
from matcher.partner_index import (
    PartnerIndex,
    asset_levels,
    deal_levels,
    excluded_mask,
    industry_levels,
    kind_levels,
    region_levels,
    treatment_levels,
)
from matcher.profile import Asset, EnterpriseProfile
from matcher.rules import (
    DiagnosisCategories,
    RuleContext,
    asset_fit,
    deal_size_fit,
    estimate_deal_size,
    hard_filter_reasons,
    industry_fit,
    kind_fit,
    region_fit,
    treatment_fit,
)
from matcher.vocab import ASSET_TYPES

MODES = ("full", "rules", "dense", "lexical")
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


def _standardise(x: np.ndarray, valid: np.ndarray, clip: float) -> np.ndarray:
    if not valid.any():
        return np.zeros_like(x, dtype=np.float64)
    mean, std = float(x[valid].mean()), float(x[valid].std())
    z = (x - mean) / std if std > 1e-9 else np.zeros_like(x, dtype=np.float64)
    return np.clip(z, -clip, clip)


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
    valid: np.ndarray
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
) -> _Scored:
    levels = {
        "treatment": treatment_levels(index, dx, config),
        "industry": industry_levels(index, e, dx, industries, chain),
        "deal_size": deal_levels(index, deal[0], config),
        "region": region_levels(index, e),
        "asset": asset_levels(index, e, dx),
        "kind": kind_levels(index, dx, config),
    }
    parts: dict[str, np.ndarray] = {}
    for comp in COMPONENTS:
        weights = np.array([config.level_weight(comp, lab) for lab in LEVELS[comp]])
        parts[comp] = weights[levels[comp]] * factors.get(comp, 1.0)
    asset_factor = config.asset_category_default
    if dx is not None:
        asset_factor = config.asset_category_factor.get(dx.primary, asset_factor)
    parts["asset"] = parts["asset"] * asset_factor
    valid = index.active & (levels["region"] != LEVELS["region"].index("else"))
    valid &= ~excluded_mask(index, e, industries)
    if config.ticket_filter:
        valid &= levels["deal_size"] != LEVELS["deal_size"].index("else")
    n = len(index)
    sims = {"dense": np.zeros(n), "lexical": np.zeros(n)}
    if query_emb is not None and index.embeddings is not None and n:
        sims["dense"] = index.embeddings @ query_emb
    if index.lexical is not None and n:
        sims["lexical"] = index.lexical.scores(query_text)
    zs = {name: _standardise(sims[name], valid, config.similarity_clip) for name in sims}
    for name, weight in (("dense", config.dense_weight), ("lexical", config.lexical_weight)):
        parts[name] = weight * factors.get(name, 1.0) * zs[name]
    if mode == "full":
        total = config.base + sum(parts.values())
    elif mode == "rules":
        total = config.base + sum(parts[c] for c in COMPONENTS)
    elif mode in ("dense", "lexical"):
        total = sims[mode].astype(np.float64)
    else:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    return _Scored(np.asarray(total, np.float64), valid, parts, levels, sims, zs)


def _reasons(
    e: EnterpriseProfile,
    p_idx: int,
    dx: DiagnosisCategories | None,
    index: PartnerIndex,
    ctx: RuleContext,
    deal: tuple[float | None, str],
    scored: _Scored,
) -> tuple[str, ...]:
    partner = index.partners[p_idx]
    contribs = [fn(e, partner, dx, ctx) for fn in _PURE.values()]
    contribs.append(deal_size_fit(e, partner, dx, ctx, deal))
    ranked = sorted(contribs, key=lambda c: -c.weight)
    out = [c.detail for c in ranked if c.weight > 0 and c.detail]
    # Neutral levels that still say something (e.g. a deal just outside the range).
    out += [c.detail for c in ranked if c.weight == 0 and c.level != "null" and c.detail]
    # Text reasons only for a similarity well above the pool (one standard deviation).
    if scored.parts["dense"][p_idx] > 0 and scored.z["dense"][p_idx] > 1.0:
        out.append(f"业务描述语义相近（相似度{scored.sims['dense'][p_idx]:.2f}）")
    if scored.parts["lexical"][p_idx] > 0 and scored.z["lexical"][p_idx] > 1.0:
        out.append("关键词重合度较高")
    out += [f"注意：{c.detail}" for c in ranked if c.weight < 0 and c.detail]
    if deal[0] is not None and deal[1]:
        out.append(deal[1])
    return tuple(out)


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
    valid = scored.valid.copy()
    if exclude_partner_ids:
        valid &= ~np.isin(np.array(index.ids, dtype=object), list(exclude_partner_ids))
    candidates = np.flatnonzero(valid)
    if not len(candidates) or limit <= 0:
        return []
    picked = candidates[top_indices(scored.total[candidates], limit)]
    ctx = RuleContext(industries, chain, config)
    digest = config.config_hash()
    results = []
    for rank, j in enumerate(picked, start=1):
        partner = index.partners[j]
        # Defence in depth: the pure filters have the last word (tests check
        # that they always agree with the vectorised mask).
        if hard_filter_reasons(enterprise, partner, dx, ctx, deal):
            continue
        results.append(
            MatchResult(
                partner_id=index.ids[j],
                partner_name=partner.name,
                score=float(scored.total[j]),
                components={k: round(float(v[j]), 6) for k, v in scored.parts.items()},
                reasons=_reasons(enterprise, int(j), dx, index, ctx, deal, scored),
                config_hash=digest,
                levels={k: LEVELS[k][int(v[j])] for k, v in scored.levels.items()},
                similarities={k: float(v[j]) for k, v in scored.sims.items()},
                rank=rank,
            )
        )
    return results


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
