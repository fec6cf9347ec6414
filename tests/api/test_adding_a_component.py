"""Adding a component, shown: a toy one declared and registered in this file only.

过往业绩 ("has a track record"): `null` before a diagnosis, `yes` when the
partner states a track record, `else` when it does not.  Registered in a copy
of the standard registry and weighted in a MatcherConfig built here, it is
scored (the parts still sum to the score), explained, ranked in batches,
checked by the per-pair / pool agreement test and named in the change
report by its title, without any other module being edited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.config import FIXTURES_DIR, Settings
from api.main import create_app
from api.runtime import PoolCache, Runtime
from api.services.seed import seed_fixtures
from matcher.industry import IndustryTable
from matcher.matching.component import LEVEL_DTYPE, Contribution, Level, RuleComponent
from matcher.matching.config import MatcherConfig
from matcher.matching.context import MatchContext, MatchQuery
from matcher.matching.embeddings import embed_partners
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners, rank_partners_many
from matcher.matching.registry import STANDARD_REGISTRY
from matcher.matching.texts import enterprise_need_text
from matcher.profile import PartnerProfile
from models.db import session_scope
from tests.conftest import ADMIN_TOKEN
from tests.matcher.match_helpers import (
    HashEncoder,
    assert_forms_agree,
    chain,
    ctx,
    enterprise,
    pool,
    query,
    table,
)

# --- the component: its levels, its two forms, what its pool levels depend on ---------

LEVELS = (
    Level("null", "尚无诊断", 0.0, "尚无诊断结论"),
    Level("yes", "有过往业绩", 1.5, "有可查的过往业绩"),
    Level("else", "无过往业绩", -1.5, "未填写过往业绩"),
)


def _pair(q: MatchQuery, p: PartnerProfile, c: MatchContext) -> Contribution:
    if q.primary is None:
        return TRACK_RECORD.verdict(q, c, "null")
    return TRACK_RECORD.verdict(q, c, "yes" if p.track_record.strip() else "else")


def _prepare(partners: Sequence[PartnerProfile], industries: IndustryTable) -> np.ndarray:
    return np.array([bool(p.track_record.strip()) for p in partners], dtype=bool)


def _pool(has_record: np.ndarray, q: MatchQuery, c: MatchContext) -> np.ndarray:
    if q.primary is None:
        return TRACK_RECORD.full(len(has_record), "null")
    yes, no = TRACK_RECORD.index("yes"), TRACK_RECORD.index("else")
    return np.where(has_record, yes, no).astype(LEVEL_DTYPE)


TRACK_RECORD = RuleComponent(
    name="track_record",
    title="过往业绩",
    levels=LEVELS,
    pair=_pair,
    pool=_pool,
    key=lambda q, c: (q.primary is None,),
    prepare=_prepare,
)
REGISTRY = STANDARD_REGISTRY.with_component(TRACK_RECORD)


def toy_config() -> MatcherConfig:
    """The standard weights plus the toy component's (as a line in the weights file would)."""
    standard = MatcherConfig()
    weights = {lv.label: lv.weight for lv in LEVELS}
    return dataclasses.replace(standard, levels={**standard.levels, "track_record": weights})


# --- the engine -------------------------------------------------------------------------


def _toy_pool() -> list[PartnerProfile]:
    return [
        dataclasses.replace(p, track_record="" if j % 3 == 0 else f"完成{j}起并购整合")
        for j, p in enumerate(pool())
    ]


@pytest.fixture(scope="module")
def toy_index() -> PartnerIndex:
    partners = _toy_pool()
    emb, _ = embed_partners(HashEncoder(), partners, {})
    return PartnerIndex.build(partners, emb, table(), registry=REGISTRY)


def _common(index: PartnerIndex) -> dict[str, object]:
    return {
        "index": index,
        "config": toy_config(),
        "industries": table(),
        "chain": chain(),
        "limit": 50,
    }


@pytest.mark.parametrize("dx", [None, {"merger_restructuring": 1.0}, {"relief": 1.0}])
def test_the_toy_component_is_scored_and_explained(
    toy_index: PartnerIndex, dx: dict[str, float] | None
) -> None:
    cfg = toy_config()
    results = rank_partners(
        enterprise(), dx, encoder_or_query_embedding=HashEncoder(), **_common(toy_index)
    )  # type: ignore[arg-type]
    assert results
    by_id = {p.id: p for p in toy_index.partners}
    for r in results:
        assert tuple(r.components) == (
            *STANDARD_REGISTRY.names[:7],
            "track_record",
            "dense",
            "lexical",
            "coverage",
        )
        assert r.score == pytest.approx(cfg.base + sum(r.components.values()), abs=1e-5)
        has_record = bool(by_id[r.partner_id].track_record)
        want = "null" if dx is None else ("yes" if has_record else "else")
        assert r.levels["track_record"] == want
        assert r.components["track_record"] == cfg.levels["track_record"][want]
        if want == "yes":
            assert "有可查的过往业绩" in r.reasons
        if want == "else":
            assert "注意：未填写过往业绩" in r.reasons
    # The agreement check of every registered component covers the toy one too.
    assert_forms_agree(toy_index, query(enterprise(), dx, config=cfg), ctx(cfg))


def test_the_toy_component_moves_the_ranking(toy_index: PartnerIndex) -> None:
    """With the toy weights, a partner with a track record outranks its twin without one."""
    twins = [
        dataclasses.replace(pool()[0], id="with", track_record="完成三起并购"),
        dataclasses.replace(pool()[0], id="without", track_record=""),
    ]
    index = PartnerIndex.build(twins, None, table(), lexical=False, registry=REGISTRY)
    ranked = rank_partners(
        enterprise(),
        {"merger_restructuring": 1.0},
        encoder_or_query_embedding=None,
        **_common(index),
    )  # type: ignore[arg-type]
    assert [r.partner_id for r in ranked] == ["with", "without"]
    assert ranked[0].score - ranked[1].score == pytest.approx(3.0)


def test_the_toy_component_in_batched_rankings(toy_index: PartnerIndex) -> None:
    ents = [enterprise(), enterprise(industry_code="", county="")]
    dxs = [{"merger_restructuring": 1.0}, {"asset_revitalization": 1.0}]
    vectors = HashEncoder().encode([enterprise_need_text(e) for e in ents], prompt_name="query")
    batched = rank_partners_many(ents, dxs, vectors, **_common(toy_index))  # type: ignore[arg-type]
    for i, (e, dx) in enumerate(zip(ents, dxs, strict=True)):
        single = rank_partners(e, dx, encoder_or_query_embedding=vectors[i], **_common(toy_index))  # type: ignore[arg-type]
        assert [r.partner_id for r in batched[i]] == [r.partner_id for r in single]
        assert [r.components for r in batched[i]] == [r.components for r in single]
        assert all("track_record" in r.levels for r in batched[i])


def test_a_config_without_the_toy_weights_is_refused(toy_index: PartnerIndex) -> None:
    with pytest.raises(ValueError, match="lacks weights for component 'track_record'"):
        rank_partners(
            enterprise(),
            {"relief": 1.0},
            index=toy_index,
            encoder_or_query_embedding=None,
            config=MatcherConfig(),
            industries=table(),
            chain=chain(),
        )


def test_the_standard_registry_is_left_as_it_was() -> None:
    assert "track_record" not in STANDARD_REGISTRY.names
    assert REGISTRY.titles["track_record"] == "过往业绩"


# --- the service: the runtime carries the registry, the change report names it ----------


def test_the_change_report_names_the_toy_component(
    tmp_path: Path, engine: Engine, runtime: Runtime
) -> None:
    toy_runtime = dataclasses.replace(
        runtime, registry=REGISTRY, matcher_config=toy_config(), pool=PoolCache()
    )
    settings = Settings(
        admin_token=ADMIN_TOKEN, data_dir=tmp_path, run_migrations=False, start_worker=False
    )
    with session_scope(engine) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
    with TestClient(create_app(settings, engine, toy_runtime)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        before = client.get("/enterprises/1/matches").json()["items"]
        top = before[0]
        assert "track_record" in top["components"]
        assert top["components"]["track_record"] == pytest.approx(1.5)
        assert "有可查的过往业绩" in top["reasons"]
        patched = client.patch(f"/partners/{top['partner_id']}", json={"track_record": ""})
        assert patched.status_code == 200, patched.text
        after = client.get("/enterprises/1/matches").json()["items"]
        assert after[0]["partner_id"] != top["partner_id"]
        changes = client.get("/enterprises/1/matches/changes").json()
    whys = {c["partner_id"]: c["why"] for c in changes["moved"] + changes["left"]}
    assert "过往业绩下降 3.00" in whys[top["partner_id"]]
