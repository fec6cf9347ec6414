"""Small hand-built profiles and shared objects for the matching tests."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from matcher.chain import IndustryChain
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig
from matcher.matching.context import DiagnosisCategories, MatchContext, MatchQuery
from matcher.matching.explain import MatchResult, hard_filter_reasons
from matcher.matching.pool import PartnerIndex
from matcher.profile import Asset, EnterpriseProfile, Financials, PartnerProfile

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@lru_cache(maxsize=1)
def table() -> IndustryTable:
    return IndustryTable.from_csv(FIXTURES / "gbt4754_2017.csv")


@lru_cache(maxsize=1)
def chain() -> IndustryChain:
    return IndustryChain.from_toml(FIXTURES / "industry_chain.toml")


def ctx(config: MatcherConfig | None = None) -> MatchContext:
    return MatchContext(table(), chain(), config or MatcherConfig())


def query(
    e: EnterpriseProfile | None = None,
    dx: DiagnosisCategories | dict[str, float] | None = None,
    deal: tuple[float | None, str] | None = None,
    config: MatcherConfig | None = None,
) -> MatchQuery:
    """The query of `e` (default: `enterprise()`) under diagnosis `dx`."""
    return MatchQuery.build(e or enterprise(), dx, ctx(config), deal=deal)


def enterprise(**overrides: object) -> EnterpriseProfile:
    """A tyre maker in 淄博市临淄区 with an idle plant, 负债 3 亿元."""
    base: dict[str, object] = {
        "name": "淄博某轮胎有限公司",
        "industry_code": "C2911",
        "province": "山东省",
        "city": "淄博市",
        "county": "临淄区",
        "description": "主要从事全钢子午线轮胎的研发、生产和销售。",
        "problems": "银行抽贷，3000万元贷款将于近期到期，担保链风险。",
        "demands": "协调银行续贷3000万元，引入战略投资者。",
        "strengths": "拥有轮胎配方专利和稳定的主机厂客户。",
        "financials": Financials(total_assets=50000.0, total_liabilities=30000.0),
        "assets": (
            Asset(
                type="plant",
                description="闲置厂房2万平方米",
                appraised_value=4000.0,
                idle=True,
                location="临淄区",
            ),
            Asset(type="equipment", description="在用密炼机", appraised_value=1000.0),
        ),
    }
    base.update(overrides)
    return EnterpriseProfile(**base)  # type: ignore[arg-type]


def partner(pid: str, **overrides: object) -> PartnerProfile:
    base: dict[str, object] = {
        "name": f"合作方{pid}",
        "id": pid,
        "kind": "private_leader",
        "industries": ("C2911",),
        "capabilities": "轮胎行业龙头，整合产业链。",
        "interests": "并购轮胎企业，承接闲置厂房。",
        "treatment_types": ("merger_restructuring",),
        "asset_interests": ("plant",),
        "ticket_min": 1000.0,
        "ticket_max": 100000.0,
    }
    base.update(overrides)
    return PartnerProfile(**base)  # type: ignore[arg-type]


def pool() -> list[PartnerProfile]:
    """A varied pool covering every level of every component."""
    return [
        partner("P01"),
        partner("P02", industries=("C291",), preferred_regions=("淄博市",)),
        partner("P03", industries=("C29",), preferred_regions=("临淄区",)),
        partner("P04", industries=("C2614",), treatment_types=()),  # chain, kind-inferred
        partner(
            "P05",
            kind="bank",
            industries=(),
            treatment_types=("relief",),
            asset_interests=(),
            ticket_min=100.0,
            ticket_max=5000.0,
        ),
        partner(
            "P06",
            kind="amc",
            industries=(),
            treatment_types=(),
            asset_interests=("land", "plant"),
            ticket_min=None,
            ticket_max=None,
        ),
        partner("P07", active=False),
        partner("P08", preferred_regions=("河南省",)),
        partner("P09", excluded_industries=("C29",)),
        partner("P10", ticket_min=500000.0, ticket_max=None),
        partner(
            "P11",
            industries=("A0141",),
            treatment_types=("tech_upgrade",),
            asset_interests=("land",),
            preferred_regions=("山东省",),
            kind="research",
        ),
        partner("P12", industries=("C3670",), ticket_min=None, ticket_max=20000.0),
        partner("P13", industries=("C1713",), asset_interests=("equipment",)),
        partner("P14", industries=("XX99",)),
        partner(
            "P15",
            kind="other",
            industries=(),
            treatment_types=(),
            asset_interests=(),
            ticket_min=60000.0,
            ticket_max=80000.0,
        ),
        partner(  # a county platform: no industry, serves a merger whatever the trade
            "P16",
            name="某县国有资本投资运营有限公司",
            kind="local_soe",
            industries=(),
            asset_interests=(),
        ),
        partner(  # an equity fund listing no sector: not a fit outside the financial cases
            "P17",
            kind="pe_vc",
            industries=(),
            treatment_types=("strategic_investment", "merger_restructuring"),
            asset_interests=(),
        ),
        # Named after a place, stating no region: the home_* levels (matcher.home_region).
        partner("P18", name="临淄区财金投资有限公司", kind="local_soe", industries=()),
        partner("P19", name="淄博市城市资产运营有限公司", kind="local_soe", industries=()),
        partner("P20", name="山东某产业投资集团有限公司", kind="local_soe", industries=()),
        partner(  # a supply-chain group under 51 trading rubber: trade_chain in a merger
            "P21",
            name="某国贸物产有限公司",
            kind="local_soe",
            industries=("F51",),
            capabilities="大宗商品供应链经营，进入橡胶轮胎领域",
        ),
        partner(  # a law firm listing no industry: serves a 重整, invests in none (`agnostic`)
            "P22",
            name="某律师事务所",
            kind="other",
            industries=(),
            treatment_types=("judicial_reorganization", "exit_liquidation"),
            asset_interests=(),
        ),
    ]


class HashEncoder:
    """A deterministic stand-in encoder: character-bigram hashing into 64 dims."""

    def __init__(self, name: str = "hash-64") -> None:
        self.name = name
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for a, b in zip(text, text[1:], strict=False):
                out[i, zlib.crc32((a + b).encode()) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def assert_forms_agree(index: PartnerIndex, q: MatchQuery, c: MatchContext) -> None:
    """Every component's pool form gives each partner its per-pair level; every filter's
    pool form removes exactly the partners its per-pair form removes.

    Iterates the index's registry, so a component registered anywhere is checked.
    """
    registry = index.registry
    levels = {}
    for comp in registry.components:
        levels[comp.name] = comp.pool(index.state(comp.name), q, c)
        assert len(levels[comp.name]) == len(index), comp.name
        for j, p in enumerate(index.partners):
            want = comp.pair(q, p, c).level
            assert comp.labels[levels[comp.name][j]] == want, (p.id, comp.name)
    for f in registry.filters:
        removed = f.pool(index.state(f.name), levels, q, c)
        for j, p in enumerate(index.partners):
            assert bool(removed[j]) == f.pair(q, p, c), (p.id, f.name)


def assert_results_explained(
    index: PartnerIndex, q: MatchQuery, c: MatchContext, results: Sequence[MatchResult]
) -> None:
    """The ranking returns exactly the unfiltered partners, each with its per-pair levels
    and weights (no component multipliers in play)."""
    registry = index.registry
    by_id = {r.partner_id: r for r in results}
    for p in index.partners:
        filtered = hard_filter_reasons(q, p, c, registry)
        assert (p.id in by_id) == (not filtered), (p.id, filtered)
        if p.id not in by_id:
            continue
        r = by_id[p.id]
        assert list(r.components) == list(registry.parts), p.id
        for comp in registry.components:
            verdict = comp.pair(q, p, c)
            assert r.levels[comp.name] == verdict.level, (p.id, comp.name)
            assert r.components[comp.name] == pytest.approx(verdict.weight), (p.id, comp.name)
