"""The partner pool as NumPy arrays, and the rule levels computed over all of it.

Built once per pool (and rebuilt when a partner changes).  Each `*_levels`
function returns, for one enterprise, the level index of every partner for one
component, with exactly the semantics of the pure functions in matcher.rules
(a test compares them partner by partner).  There is no Python loop over
partners on this path: per-enterprise work loops only over the few distinct
industry codes, regions and exclusion codes that occur in the pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.chain import ADJACENT_CLUSTER, SAME_CLUSTER, IndustryChain
from matcher.config import LEVELS, MatcherConfig
from matcher.embed import partner_offer_text
from matcher.industry import (
    SAME_DALEI,
    SAME_MENLEI,
    SAME_XIAOLEI,
    SAME_ZHONGLEI,
    IndustryTable,
    industry_relation,
    is_excluded,
)
from matcher.lexical import LexicalIndex
from matcher.profile import EnterpriseProfile, PartnerProfile
from matcher.rules import (
    ASSET_CATEGORIES,
    FINANCIAL_CATEGORIES,
    DiagnosisCategories,
    canonical_codes,
    relevant_asset_types,
)
from matcher.vocab import ASSET_TYPES, CATEGORIES, PARTNER_KINDS

_CATS = tuple(CATEGORIES)
_ASSETS = tuple(ASSET_TYPES)
_KINDS = tuple(PARTNER_KINDS)


def level_index(component: str, label: str) -> int:
    return LEVELS[component].index(label)


def _membership(items: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], np.ndarray]:
    """Distinct values and a (n_values, n_partners) boolean membership matrix."""
    values = tuple(sorted({v for row in items for v in row}))
    pos = {v: i for i, v in enumerate(values)}
    mat = np.zeros((len(values), len(items)), dtype=bool)
    for j, row in enumerate(items):
        for v in row:
            mat[pos[v], j] = True
    return values, mat


@dataclass(frozen=True)
class PartnerIndex:
    """Precomputed partner features; rows align with `partners`."""

    partners: tuple[PartnerProfile, ...]
    ids: tuple[str, ...]
    embeddings: np.ndarray | None
    lexical: LexicalIndex | None
    active: np.ndarray
    kind: np.ndarray
    treatments: np.ndarray
    asset_interest: np.ndarray
    ticket_lo: np.ndarray
    ticket_hi: np.ndarray
    regions: tuple[str, ...]
    region_mat: np.ndarray
    codes: tuple[str, ...]
    code_mat: np.ndarray
    has_industries: np.ndarray
    exclusions: tuple[str, ...]
    exclusion_mat: np.ndarray

    @classmethod
    def build(
        cls,
        partners: Sequence[PartnerProfile],
        embeddings: np.ndarray | None,
        industries: IndustryTable,
        *,
        lexical: bool = True,
    ) -> PartnerIndex:
        """Precompute the arrays for a pool.

        Args:
            partners: the pool; ids default to the row number when missing.
            embeddings: (n, d) normalised offer embeddings aligned with
                `partners`, or None to rank without the dense component.
            industries: the GB/T table, to canonicalise codes.
            lexical: fit the character n-gram index on the offer texts.

        Example:
            >>> index = PartnerIndex.build(partners, emb, table)  # doctest: +SKIP
        """
        n = len(partners)
        if embeddings is not None and len(embeddings) != n:
            raise ValueError("embeddings and partners differ in length")
        treat = np.zeros((n, len(_CATS)), dtype=bool)
        assets = np.zeros((n, len(_ASSETS)), dtype=bool)
        for j, p in enumerate(partners):
            treat[j] = [c in p.effective_treatments for c in _CATS]
            assets[j] = [a in p.asset_interests for a in _ASSETS]
        regions, region_mat = _membership([p.preferred_regions for p in partners])
        codes, code_mat = _membership([canonical_codes(p.industries, industries) for p in partners])
        excl = [
            tuple(industries.normalize(x) or x.strip().upper() for x in p.excluded_industries)
            for p in partners
        ]
        exclusions, exclusion_mat = _membership(excl)
        nan = float("nan")
        texts = [partner_offer_text(p) for p in partners]
        return cls(
            partners=tuple(partners),
            ids=tuple(p.id or str(j) for j, p in enumerate(partners)),
            embeddings=None if embeddings is None else np.asarray(embeddings, np.float32),
            lexical=LexicalIndex.fit(texts) if lexical else None,
            active=np.array([p.active for p in partners], dtype=bool),
            kind=np.array([_KINDS.index(p.kind) if p.kind in _KINDS else -1 for p in partners]),
            treatments=treat,
            asset_interest=assets,
            ticket_lo=np.array([nan if p.ticket_min is None else p.ticket_min for p in partners]),
            ticket_hi=np.array([nan if p.ticket_max is None else p.ticket_max for p in partners]),
            regions=regions,
            region_mat=region_mat,
            codes=codes,
            code_mat=code_mat,
            has_industries=np.array([bool(p.industries) for p in partners], dtype=bool),
            exclusions=exclusions,
            exclusion_mat=exclusion_mat,
        )

    def __len__(self) -> int:
        return len(self.partners)


_BY_RELATION = {
    SAME_XIAOLEI: "same_xiaolei",
    SAME_ZHONGLEI: "same_zhonglei",
    SAME_DALEI: "same_dalei",
}


def treatment_levels(
    index: PartnerIndex, dx: DiagnosisCategories | None, cfg: MatcherConfig
) -> np.ndarray:
    n = len(index)
    if dx is None:
        return np.full(n, level_index("treatment", "null"))
    prim = index.treatments[:, _CATS.index(dx.primary)]
    sec_cols = [_CATS.index(c) for c in dx.secondaries(cfg.secondary_min_probability)]
    sec = index.treatments[:, sec_cols].any(axis=1) if sec_cols else np.zeros(n, bool)
    out = np.full(n, level_index("treatment", "else"))
    out[sec] = level_index("treatment", "secondary")
    out[prim] = level_index("treatment", "primary")
    return out


def _code_level(code: str, other: str, chain: IndustryChain) -> int:
    rel = industry_relation(code, other)
    by_rel = _BY_RELATION
    if rel in by_rel:
        return level_index("industry", by_rel[rel])
    link = chain.relation(code, other)[0]
    if link == SAME_CLUSTER:
        return level_index("industry", "chain_same")
    if link == ADJACENT_CLUSTER:
        return level_index("industry", "chain_adjacent")
    return level_index("industry", "same_menlei" if rel == SAME_MENLEI else "else")


def industry_levels(
    index: PartnerIndex,
    e: EnterpriseProfile,
    dx: DiagnosisCategories | None,
    table: IndustryTable,
    chain: IndustryChain,
) -> np.ndarray:
    n = len(index)
    null = level_index("industry", "null")
    code = table.normalize(e.industry_code) if e.industry_code else None
    if code is None:
        return np.full(n, null)
    per_code = np.array([_code_level(code, c, chain) for c in index.codes], dtype=np.int64)
    big = len(LEVELS["industry"])
    # Each partner takes the best (lowest) level among the codes it lists.  One
    # boolean any() per distinct level, best last so it overwrites, instead of
    # an int64 codes × partners temporary (most of the time and memory at 100k).
    out = np.full(n, big)
    for level in np.unique(per_code)[::-1]:
        out[index.code_mat[per_code == level].any(axis=0)] = level
    out = np.where(out == big, null, out)  # listed codes, none known
    wanted = relevant_asset_types(e, dx)
    asset_cols = [_ASSETS.index(a) for a in wanted if a in _ASSETS]
    fit = np.zeros(n, dtype=bool)
    if dx is not None and dx.primary in FINANCIAL_CATEGORIES:
        fit[:] = True
    if dx is not None and dx.primary in ASSET_CATEGORIES and asset_cols:
        fit |= index.asset_interest[:, asset_cols].any(axis=1)
    agnostic = np.where(
        fit, level_index("industry", "agnostic_fit"), level_index("industry", "agnostic")
    )
    return np.where(index.has_industries, out, agnostic)


def ticket_ratios(index: PartnerIndex, value: float) -> np.ndarray:
    """Vectorised matcher.rules.ticket_ratio."""
    lo, hi = index.ticket_lo, index.ticket_hi
    with np.errstate(invalid="ignore", divide="ignore"):
        below = np.where(~np.isnan(lo) & (value < lo), lo / max(value, 1e-9), 1.0)
        above = np.where(~np.isnan(hi) & (value > hi), value / np.maximum(hi, 1e-9), 1.0)
    return np.where(below > 1.0, below, above)


def deal_levels(index: PartnerIndex, value: float | None, cfg: MatcherConfig) -> np.ndarray:
    n = len(index)
    null = level_index("deal_size", "null")
    if value is None or value <= 0:
        return np.full(n, null)
    ratio = ticket_ratios(index, value)
    out = np.select(
        [ratio <= 1.0, ratio <= cfg.ticket_near_factor, ratio <= cfg.ticket_far_factor],
        [level_index("deal_size", x) for x in ("inside", "near", "far")],
        level_index("deal_size", "else"),
    )
    return out


def region_levels(index: PartnerIndex, e: EnterpriseProfile) -> np.ndarray:
    n = len(index)
    out = np.full(n, level_index("region", "else"))
    for label, name in (("province", e.province), ("city", e.city), ("county", e.county)):
        if name and name in index.regions:
            out[index.region_mat[index.regions.index(name)]] = level_index("region", label)
    has_pref = index.region_mat.any(axis=0) if len(index.regions) else np.zeros(n, bool)
    return np.where(has_pref, out, level_index("region", "null"))


def asset_levels(
    index: PartnerIndex, e: EnterpriseProfile, dx: DiagnosisCategories | None
) -> np.ndarray:
    n = len(index)
    owned = [_ASSETS.index(a.type) for a in e.assets if a.type in _ASSETS]
    wants_any = index.asset_interest.any(axis=1)
    if not owned:
        return np.full(n, level_index("asset", "null"))
    relevant = [_ASSETS.index(a) for a in relevant_asset_types(e, dx) if a in _ASSETS]
    covered = index.asset_interest[:, sorted(set(owned))].any(axis=1)
    idle = index.asset_interest[:, relevant].any(axis=1) if relevant else np.zeros(n, bool)
    out = np.full(n, level_index("asset", "else"))
    out[covered] = level_index("asset", "covered")
    out[idle] = level_index("asset", "idle_covered")
    return np.where(wants_any, out, level_index("asset", "null"))


def kind_levels(
    index: PartnerIndex, dx: DiagnosisCategories | None, cfg: MatcherConfig
) -> np.ndarray:
    n = len(index)
    if dx is None:
        return np.full(n, level_index("kind", "null"))
    typical = [_KINDS.index(k) for k in cfg.kind_typical.get(dx.primary, ()) if k in _KINDS]
    hit = np.isin(index.kind, typical)
    return np.where(hit, level_index("kind", "typical"), level_index("kind", "else"))


def excluded_mask(index: PartnerIndex, e: EnterpriseProfile, table: IndustryTable) -> np.ndarray:
    code = table.normalize(e.industry_code) if e.industry_code else None
    if code is None or not index.exclusions:
        return np.zeros(len(index), dtype=bool)
    hits = np.array([is_excluded(code, (x,)) for x in index.exclusions], dtype=bool)
    return index.exclusion_mat[hits].any(axis=0)
