"""Pool ranking: vectorised levels agree with the per-pair forms, filters, fusion."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from matcher.matching.config import MatcherConfig
from matcher.matching.embeddings import embed_partners
from matcher.matching.explain import MatchResult
from matcher.matching.fusion import text_factor
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners, rank_partners_for_asset
from matcher.matching.registry import STANDARD_REGISTRY
from matcher.profile import Asset
from tests.matcher.match_helpers import (
    HashEncoder,
    assert_forms_agree,
    assert_results_explained,
    chain,
    ctx,
    enterprise,
    pool,
    query,
    table,
)

DIAGNOSES = [
    None,
    {"merger_restructuring": 0.7, "strategic_investment": 0.3},
    {"relief": 1.0},
    {"asset_revitalization": 0.8, "exit_liquidation": 0.2},
    {"exit_liquidation": 1.0},
    {"tech_upgrade": 0.6, "merger_restructuring": 0.4},
    {"judicial_reorganization": 0.9, "debt_restructuring": 0.1},
]
ENTERPRISES = [
    enterprise(),
    enterprise(industry_code="", county="", city="济宁市"),
    enterprise(industry_code="C2614", assets=(Asset(type="spaceship", idle=True),)),
    enterprise(
        province="河南省",
        city="郑州市",
        county="",
        financials=dataclasses.replace(enterprise().financials, total_liabilities=900000.0),
    ),
]


@pytest.fixture(scope="module")
def index() -> PartnerIndex:
    partners = pool()
    emb, _ = embed_partners(HashEncoder(), partners, {})
    return PartnerIndex.build(partners, emb, table())


def _rank(index: PartnerIndex, dx: object, **kw: object) -> list[MatchResult]:
    args: dict[str, object] = {
        "index": index,
        "encoder_or_query_embedding": HashEncoder(),
        "config": MatcherConfig(),
        "industries": table(),
        "chain": chain(),
        "limit": 50,
        "include_weak": True,
    }
    args.update(kw)
    ent = args.pop("enterprise", enterprise())
    return rank_partners(ent, dx, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize("dx_map", DIAGNOSES)
@pytest.mark.parametrize("ent_no", range(len(ENTERPRISES)))
def test_vectorised_levels_equal_pure_rules(
    index: PartnerIndex, dx_map: dict[str, float] | None, ent_no: int
) -> None:
    """For every registered component and filter: pool form == per-pair form, partner by
    partner; and the ranking returns exactly the unfiltered partners with those levels."""
    q = query(ENTERPRISES[ent_no], dx_map)
    assert_forms_agree(index, q, ctx())
    results = _rank(index, dx_map, enterprise=ENTERPRISES[ent_no])
    assert_results_explained(index, q, ctx(), results)


def test_filtered_partners_are_never_returned(index: PartnerIndex) -> None:
    ids = {r.partner_id for r in _rank(index, {"merger_restructuring": 1.0})}
    # P07 inactive, P08 region, P09 excluded C29, P10 ticket far above the deal.
    assert not ids & {"P07", "P08", "P09", "P10"}
    assert "P01" in ids


def test_score_is_base_plus_components(index: PartnerIndex) -> None:
    cfg = dataclasses.replace(MatcherConfig(), base=1.5)
    for r in _rank(index, {"relief": 1.0}, config=cfg):
        assert r.score == pytest.approx(cfg.base + sum(r.components.values()), abs=1e-5)
        assert tuple(r.components) == STANDARD_REGISTRY.parts
        assert r.config_hash == cfg.config_hash()
        assert r.reasons and all(isinstance(s, str) for s in r.reasons)


def test_results_are_sorted_and_limited(index: PartnerIndex) -> None:
    full = _rank(index, {"merger_restructuring": 1.0})
    scores = [r.score for r in full]
    assert scores == sorted(scores, reverse=True)
    top3 = _rank(index, {"merger_restructuring": 1.0}, limit=3)
    assert [r.partner_id for r in top3] == [r.partner_id for r in full[:3]]
    assert [r.rank for r in top3] == [1, 2, 3]
    assert _rank(index, {"merger_restructuring": 1.0}, limit=0) == []


def test_exclude_partner_ids(index: PartnerIndex) -> None:
    first = _rank(index, {"merger_restructuring": 1.0}, limit=1)[0].partner_id
    again = _rank(index, {"merger_restructuring": 1.0}, exclude_partner_ids=[first])
    assert first not in {r.partner_id for r in again}


def test_best_fit_ranks_first(index: PartnerIndex) -> None:
    top = _rank(index, {"merger_restructuring": 1.0}, limit=3)
    # Same 小类 plus county preference beats the plain same-小类 partner.
    assert top[0].partner_id in {"P01", "P02", "P03"}
    assert top[0].levels["treatment"] == "primary"
    assert any("承接兼并重组" in s for s in top[0].reasons)


def test_relief_prefers_bank(index: PartnerIndex) -> None:
    top = _rank(index, {"relief": 1.0}, limit=2)
    assert top[0].partner_id == "P05"
    assert top[0].levels["industry"] == "agnostic_fit"


@pytest.mark.parametrize("mode", ["rules", "dense", "lexical", "full"])
def test_single_component_modes(index: PartnerIndex, mode: str) -> None:
    results = _rank(index, {"merger_restructuring": 1.0}, mode=mode)
    assert results and not {r.partner_id for r in results} & {"P07", "P08", "P09", "P10"}
    if mode == "dense":
        sims = [r.similarities["dense"] for r in results]
        assert sims == sorted(sims, reverse=True)


def test_unknown_mode_is_rejected(index: PartnerIndex) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        _rank(index, {"relief": 1.0}, mode="magic")


def test_query_embedding_may_be_given_directly(index: PartnerIndex) -> None:
    assert index.embeddings is not None
    vec = index.embeddings[0]
    results = _rank(index, {"merger_restructuring": 1.0}, encoder_or_query_embedding=vec)
    best_dense = max(results, key=lambda r: r.similarities["dense"])
    # Grid cosines are within 5e-4 of the float ones (tests/matcher/test_cosine.py).
    assert best_dense.similarities["dense"] == pytest.approx(1.0, abs=5e-4)


def test_index_without_embeddings_or_lexical() -> None:
    idx = PartnerIndex.build(pool(), None, table(), lexical=False)
    results = _rank(idx, {"merger_restructuring": 1.0}, encoder_or_query_embedding=None)
    assert results
    assert all(r.components["dense"] == 0 and r.components["lexical"] == 0 for r in results)


def test_empty_pool() -> None:
    idx = PartnerIndex.build([], np.zeros((0, 64), np.float32), table())
    assert _rank(idx, {"relief": 1.0}) == []


def test_asset_level_ranking_weighs_type_and_location(index: PartnerIndex) -> None:
    land = Asset(
        type="land",
        description="闲置工业用地50亩",
        appraised_value=3000.0,
        idle=True,
        location="临淄区",
    )
    results = rank_partners_for_asset(
        enterprise(),
        land,
        index=index,
        encoder_or_query_embedding=HashEncoder(),
        config=MatcherConfig(),
        industries=table(),
        chain=chain(),
        limit=20,
    )
    assert results
    top = results[0]
    assert top.levels["asset"] == "idle_covered"
    assert any("土地" in s for s in top.reasons)
    ids = [r.partner_id for r in results]
    assert "P07" not in ids and "P08" not in ids


def test_matcher_import_stays_storage_free() -> None:
    code = (
        "import sys, matcher.matching.ranking, matcher.matching.evaluation;"
        "import matcher.encoders.loading;"
        "bad = {'fastapi', 'sqlmodel', 'sqlalchemy', 'api', 'models'} & set(sys.modules);"
        "print(sorted(bad)); raise SystemExit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_text_weighs_less_when_the_industry_code_is_known() -> None:
    """The code and the chain say what the text would; without a code the text carries it."""
    texts = ["子午线轮胎并购整合", "闲置厂房收购改造", "橡胶助剂与炭黑供应", "不良资产收购处置"]
    partners = [
        dataclasses.replace(p, capabilities=texts[j % len(texts)] * (1 + j % 3))
        for j, p in enumerate(pool())
    ]
    emb, _ = embed_partners(HashEncoder(), partners, {})
    index = PartnerIndex.build(partners, emb, table())
    dx = {"merger_restructuring": 1.0}
    full = dataclasses.replace(MatcherConfig(), text_factor_with_industry=1.0)
    damped = dataclasses.replace(full, text_factor_with_industry=0.25)
    coded = enterprise()
    uncoded = enterprise(industry_code="")
    for ent in (coded, uncoded):
        base = {r.partner_id: r for r in _rank(index, dx, enterprise=ent, config=full)}
        for r in _rank(index, dx, enterprise=ent, config=damped):
            factor = 0.25 if ent is coded else 1.0
            for name in ("dense", "lexical"):
                want = base[r.partner_id].components[name] * factor
                assert r.components[name] == pytest.approx(want, abs=1e-5), (
                    ent.industry_code,
                    name,
                )
    assert any(
        r.components["dense"] != 0 for r in _rank(index, dx, enterprise=coded, config=damped)
    )


def test_a_known_industry_code_damps_the_text_only_by_half_with_the_shipped_weights() -> None:
    """The shipped weights count the text half as much with an industry code as without one
    (text_factor_with_industry 0.5, was a quarter): the code says the trade, the text what the
    code cannot.  The treatment's own text weight scales both."""
    cfg = MatcherConfig()
    assert cfg.text_factor_with_industry == 0.5
    for primary in ("debt_restructuring", "tech_upgrade"):
        dx = {primary: 1.0}
        coded, uncoded = query(enterprise(), dx), query(enterprise(industry_code=""), dx)
        assert coded.industry_code is not None and uncoded.industry_code is None
        own = cfg.treatment_weight(primary, "text")
        assert text_factor(coded, ctx()) == pytest.approx(0.5 * own)
        assert text_factor(uncoded, ctx()) == pytest.approx(own)


def test_text_factor_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="text_factor_with_industry"):
        MatcherConfig(text_factor_with_industry=1.5)


def test_the_agreement_cases_reach_every_level_of_every_component(index: PartnerIndex) -> None:
    """The pool × enterprises × diagnoses above exercise every level of every registered
    component, so the agreement check compares each level at least once; a component
    added to the registry fails here until the cases cover its levels."""
    seen: dict[str, set[str]] = {c.name: set() for c in index.registry.components}
    for ent in ENTERPRISES:
        for dx_map in DIAGNOSES:
            q = query(ent, dx_map)
            for c in index.registry.components:
                seen[c.name] |= {c.labels[x] for x in c.pool(index.state(c.name), q, ctx())}
    missing = {c.name: set(c.labels) - seen[c.name] for c in index.registry.components}
    assert {name: labels for name, labels in missing.items() if labels} == {}
