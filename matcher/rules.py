"""Rule components in the splink style: ordered levels, first match wins.

Each component is a pure function `(enterprise, partner, diagnosis, ctx) ->
Contribution`.  Its levels are ordered: a `null` level first (missing data,
weight 0), then the most specific agreement, and an `else` level last.  The
weights live in `MatcherConfig.levels`; the reason is plain Chinese.  These
functions are the reference semantics: `matcher.partner_index` computes the
same levels over the whole pool with NumPy, and a test checks they agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from matcher.chain import ADJACENT_CLUSTER, SAME_CLUSTER, IndustryChain
from matcher.config import MatcherConfig
from matcher.deal_size import estimate_deal_size
from matcher.industry import (
    SAME_DALEI,
    SAME_MENLEI,
    SAME_XIAOLEI,
    SAME_ZHONGLEI,
    IndustryTable,
    industry_relation,
    is_excluded,
)
from matcher.profile import EnterpriseProfile, PartnerProfile
from matcher.vocab import ASSET_TYPES, CATEGORIES, PARTNER_KINDS

__all__ = [
    "FINANCIAL_CATEGORIES",
    "ASSET_CATEGORIES",
    "Contribution",
    "DiagnosisCategories",
    "Diagnosis",
    "RuleContext",
    "treatment_fit",
    "industry_fit",
    "deal_size_fit",
    "region_fit",
    "asset_fit",
    "kind_fit",
    "hard_filter_reasons",
    "estimate_deal_size",
    "canonical_codes",
    "relevant_asset_types",
]

# Engagements where a financial partner does not care about the industry.
FINANCIAL_CATEGORIES = frozenset(
    {"relief", "debt_restructuring", "judicial_reorganization", "exit_liquidation"}
)
# Engagements decided by the assets themselves.
ASSET_CATEGORIES = frozenset({"asset_revitalization", "exit_liquidation"})


_BY_RELATION = {
    SAME_XIAOLEI: "same_xiaolei",
    SAME_ZHONGLEI: "same_zhonglei",
    SAME_DALEI: "same_dalei",
}


@dataclass(frozen=True, slots=True)
class Contribution:
    """One component's verdict: which level matched, its weight and why."""

    component: str
    level: str
    weight: float
    detail: str


@dataclass(frozen=True)
class DiagnosisCategories:
    """The categories a partner is matched against, primary first.

    Example:
        >>> DiagnosisCategories.from_mapping({"relief": 0.7, "debt_restructuring": 0.3}).primary
        'relief'
    """

    primary: str
    probabilities: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, probabilities: Mapping[str, float]) -> DiagnosisCategories:
        """The first key is the primary (the API's diagnosis lists it first)."""
        if not probabilities:
            raise ValueError("a diagnosis needs at least one category")
        unknown = [c for c in probabilities if c not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown treatment categories: {unknown}")
        return cls(primary=next(iter(probabilities)), probabilities=dict(probabilities))

    @classmethod
    def from_diagnosis(cls, diagnosis: Any) -> DiagnosisCategories:
        """From the diagnosis engine's result (anything with `.primary` and
        `.categories` of items with `.code` and `.probability`)."""
        probabilities = {diagnosis.primary: 1.0}
        for item in diagnosis.categories:
            if item.code != diagnosis.primary:
                probabilities[item.code] = float(item.probability)
        return cls.from_mapping(probabilities)

    def secondaries(self, min_probability: float) -> tuple[str, ...]:
        return tuple(
            c for c, p in self.probabilities.items() if c != self.primary and p >= min_probability
        )


# The earlier name, kept for callers written against it (bench/baselines.py).
Diagnosis = DiagnosisCategories


@dataclass(frozen=True)
class RuleContext:
    """What the rules need besides the two profiles."""

    industries: IndustryTable
    chain: IndustryChain
    config: MatcherConfig


def _contrib(
    ctx: RuleContext, component: str, level: str, detail: str, factor: float = 1.0
) -> Contribution:
    weight = ctx.config.level_weight(component, level) * factor
    return Contribution(component, level, weight, detail)


def canonical_codes(codes: tuple[str, ...], table: IndustryTable) -> tuple[str, ...]:
    """Canonical forms of the codes the table knows; unknown codes are dropped."""
    out = (table.normalize(c) for c in codes)
    return tuple(c for c in out if c)


def treatment_fit(
    e: EnterpriseProfile, p: PartnerProfile, dx: DiagnosisCategories | None, ctx: RuleContext
) -> Contribution:
    """Does the partner take part in the engagement the enterprise needs?"""
    if dx is None:
        return _contrib(ctx, "treatment", "null", "尚无诊断结论")
    types = p.effective_treatments
    how = "" if p.treatment_types else f"（按{PARTNER_KINDS.get(p.kind, p.kind)}类型推断）"
    if dx.primary in types:
        return _contrib(ctx, "treatment", "primary", f"承接{CATEGORIES[dx.primary]}{how}")
    hits = [c for c in dx.secondaries(ctx.config.secondary_min_probability) if c in types]
    if hits:
        names = "、".join(CATEGORIES[c] for c in hits)
        return _contrib(ctx, "treatment", "secondary", f"承接次要方向{names}{how}")
    return _contrib(ctx, "treatment", "else", f"不承接{CATEGORIES[dx.primary]}{how}")


def relevant_asset_types(e: EnterpriseProfile, dx: DiagnosisCategories | None) -> frozenset[str]:
    """Asset types a partner should want: idle ones, or all residual ones when liquidating."""
    everything = dx is not None and dx.primary == "exit_liquidation"
    return frozenset(a.type for a in e.assets if (a.idle or everything) and a.type in ASSET_TYPES)


def industry_fit(
    e: EnterpriseProfile, p: PartnerProfile, dx: DiagnosisCategories | None, ctx: RuleContext
) -> Contribution:
    """Industry closeness: GB/T hierarchy first, then the industry chain."""
    code = ctx.industries.normalize(e.industry_code) if e.industry_code else None
    if code is None:
        return _contrib(ctx, "industry", "null", "企业行业代码缺失或无法识别")
    if not p.industries:
        financial = dx is not None and dx.primary in FINANCIAL_CATEGORIES
        assets = (
            dx is not None
            and dx.primary in ASSET_CATEGORIES
            and bool(relevant_asset_types(e, dx) & set(p.asset_interests))
        )
        if financial or assets:
            return _contrib(ctx, "industry", "agnostic_fit", "不限行业，适合该类处置")
        return _contrib(ctx, "industry", "agnostic", "不限行业")
    codes = canonical_codes(p.industries, ctx.industries)
    if not codes:
        return _contrib(ctx, "industry", "null", "合作方行业代码无法识别")
    best = max(codes, key=lambda c: industry_relation(code, c))
    rel = industry_relation(code, best)
    name = ctx.industries.name(best) or best
    by_rel = _BY_RELATION
    if rel in by_rel:
        words = {SAME_XIAOLEI: "同小类", SAME_ZHONGLEI: "同中类", SAME_DALEI: "同大类"}[rel]
        return _contrib(ctx, "industry", by_rel[rel], f"行业{words}（{best} {name}）")
    chain = max((ctx.chain.relation(code, c) for c in codes), key=lambda r: r[0])
    if chain[0] == SAME_CLUSTER:
        return _contrib(ctx, "industry", "chain_same", f"同属{chain[1]}产业链")
    if chain[0] == ADJACENT_CLUSTER:
        return _contrib(ctx, "industry", "chain_adjacent", f"产业链上下游相关（{chain[1]}）")
    if rel == SAME_MENLEI:
        return _contrib(ctx, "industry", "same_menlei", f"同门类（{code[0]}）")
    return _contrib(ctx, "industry", "else", "行业不相关")


def ticket_ratio(value: float, lo: float | None, hi: float | None) -> float:
    """How many times the deal lies outside [lo, hi]; 1.0 inside."""
    if lo is not None and value < lo:
        return lo / max(value, 1e-9)
    if hi is not None and value > hi:
        return value / max(hi, 1e-9)
    return 1.0


def deal_size_fit(
    e: EnterpriseProfile,
    p: PartnerProfile,
    dx: DiagnosisCategories | None,
    ctx: RuleContext,
    deal: tuple[float | None, str] | None = None,
) -> Contribution:
    """The estimated deal against the partner's ticket range, decaying outside it."""
    value, why = (
        deal
        if deal is not None
        else (estimate_deal_size(e, dx.primary) if dx is not None else (None, ""))
    )
    if value is None or value <= 0:
        return _contrib(ctx, "deal_size", "null", "交易规模无法估算")
    lo, hi = p.ticket_min, p.ticket_max
    if lo is None and hi is None:
        # No bounds means "any size" (spec: a null bound is unbounded), not missing data.
        return _contrib(ctx, "deal_size", "inside", "合作方不限交易规模")
    span = f"{lo or 0:.0f}-{hi:.0f}万元" if hi is not None else f"{lo:.0f}万元以上"
    ratio = ticket_ratio(value, lo, hi)
    cfg = ctx.config
    if ratio <= 1.0:
        return _contrib(ctx, "deal_size", "inside", f"估算规模约{value:.0f}万元，在{span}区间内")
    if ratio <= cfg.ticket_near_factor:
        return _contrib(ctx, "deal_size", "near", f"估算规模约{value:.0f}万元，接近{span}")
    if ratio <= cfg.ticket_far_factor:
        return _contrib(ctx, "deal_size", "far", f"估算规模约{value:.0f}万元，与{span}相差较大")
    return _contrib(ctx, "deal_size", "else", f"估算规模约{value:.0f}万元，与{span}相差3倍以上")


def region_fit(
    e: EnterpriseProfile, p: PartnerProfile, dx: DiagnosisCategories | None, ctx: RuleContext
) -> Contribution:
    """The enterprise's county, city or province against the partner's regions."""
    regions = set(p.preferred_regions)
    if not regions:
        return _contrib(ctx, "region", "null", "不限地区")
    if e.county and e.county in regions:
        return _contrib(ctx, "region", "county", f"偏好地区含{e.county}")
    if e.city in regions:
        return _contrib(ctx, "region", "city", f"偏好地区含{e.city}")
    if e.province in regions:
        return _contrib(ctx, "region", "province", f"偏好地区含{e.province}")
    return _contrib(ctx, "region", "else", "不在合作方偏好地区")


def asset_fit(
    e: EnterpriseProfile, p: PartnerProfile, dx: DiagnosisCategories | None, ctx: RuleContext
) -> Contribution:
    """The enterprise's assets (idle ones first) against what the partner takes on."""
    wanted = set(p.asset_interests)
    owned = {a.type for a in e.assets if a.type in ASSET_TYPES}
    if not wanted or not owned:
        return _contrib(ctx, "asset", "null", "无资产偏好或无可处置资产")
    cfg = ctx.config
    factor = cfg.asset_category_default
    if dx is not None:
        factor = cfg.asset_category_factor.get(dx.primary, cfg.asset_category_default)
    idle = relevant_asset_types(e, dx) & wanted
    if idle:
        names = "、".join(ASSET_TYPES.get(t, t) for t in sorted(idle))
        return _contrib(ctx, "asset", "idle_covered", f"愿承接闲置/待处置{names}", factor)
    covered = owned & wanted
    if covered:
        names = "、".join(ASSET_TYPES.get(t, t) for t in sorted(covered))
        return _contrib(ctx, "asset", "covered", f"资产偏好含{names}", factor)
    return _contrib(ctx, "asset", "else", "资产偏好与企业资产类型不符", factor)


def kind_fit(
    e: EnterpriseProfile, p: PartnerProfile, dx: DiagnosisCategories | None, ctx: RuleContext
) -> Contribution:
    """A small prior: the kind of partner that usually leads this engagement."""
    if dx is None:
        return _contrib(ctx, "kind", "null", "尚无诊断结论")
    if p.kind in ctx.config.kind_typical.get(dx.primary, ()):
        kind = PARTNER_KINDS.get(p.kind, p.kind)
        return _contrib(ctx, "kind", "typical", f"{kind}常牵头{CATEGORIES[dx.primary]}")
    return _contrib(ctx, "kind", "else", "")


def hard_filter_reasons(
    e: EnterpriseProfile,
    p: PartnerProfile,
    dx: DiagnosisCategories | None,
    ctx: RuleContext,
    deal: tuple[float | None, str] | None = None,
) -> tuple[str, ...]:
    """Why the partner must not be recommended at all (empty when it may be).

    Example:
        >>> gone = PartnerProfile(name="乙", active=False)
        >>> hard_filter_reasons(ent, gone, None, ctx)  # doctest: +SKIP
        ('合作方已停止合作',)
    """
    reasons = []
    if not p.active:
        reasons.append("合作方已停止合作")
    if region_fit(e, p, dx, ctx).level == "else":
        reasons.append("企业不在合作方接受的地区")
    code = ctx.industries.normalize(e.industry_code) if e.industry_code else None
    excluded = tuple(
        ctx.industries.normalize(x) or x.strip().upper() for x in p.excluded_industries
    )
    if code and is_excluded(code, excluded):
        reasons.append("企业行业在合作方排除行业内")
    if ctx.config.ticket_filter and deal_size_fit(e, p, dx, ctx, deal).level == "else":
        reasons.append("交易规模与合作方区间相差3倍以上")
    return tuple(reasons)


RULES = (
    ("treatment", treatment_fit),
    ("industry", industry_fit),
    ("region", region_fit),
    ("asset", asset_fit),
    ("kind", kind_fit),
)
