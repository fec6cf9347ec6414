"""Matching through the HTTP API: ranking, explanations, storage, staleness, filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.config import FIXTURES_DIR, Settings
from api.main import create_app
from api.runtime import PoolCache, Runtime
from api.services.mapping import partner_profile
from api.services.pool import pool_version
from api.services.seed import seed_fixtures
from api.worker import work_once
from matcher.encoders.loading import Encoder
from matcher.matching.texts import partner_offer_text
from models.db import make_engine, run_migrations, session_scope
from models.tables import Match, MatchRun, Partner, PartnerEmbedding
from tests.conftest import ADMIN_TOKEN
from tests.factories import issue_token, partner_payload


def test_matches_follow_the_contract(seeded: TestClient) -> None:
    response = seeded.get("/enterprises/1/matches", params={"limit": 5})
    assert response.status_code == 200
    items = response.json()["items"]
    assert 0 < len(items) <= 5
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    for item in items:
        assert {"match_id", "partner_id", "partner_name", "score", "components", "reasons"} <= set(
            item
        )
        assert item["reasons"] and all(isinstance(r, str) for r in item["reasons"])
        assert set(item["components"]) >= {"treatment", "industry", "dense", "lexical"}
        # every part of the score is shown: base + components = score
        assert abs(sum(item["components"].values()) - item["score"]) < 1e-3


def test_matches_are_stored_and_reused(seeded: TestClient, engine: Engine) -> None:
    first = seeded.get("/enterprises/1/matches").json()
    second = seeded.get("/enterprises/1/matches").json()
    assert first["run"]["id"] == second["run"]["id"]
    assert [i["match_id"] for i in first["items"]] == [i["match_id"] for i in second["items"]]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(MatchRun)).one() == 1
        stored = session.exec(select(PartnerEmbedding)).all()
        assert len(stored) == len(seeded.get("/partners", params={"limit": 500}).json()["data"])


def test_enterprise_change_replaces_the_ranking(seeded: TestClient) -> None:
    before = seeded.get("/enterprises/1/matches").json()
    seeded.patch("/enterprises/1", json={"demands": "寻求战略投资者增资扩产"})
    after = seeded.get("/enterprises/1/matches").json()
    assert after["run"]["id"] != before["run"]["id"]


def test_pool_change_replaces_the_ranking(seeded: TestClient) -> None:
    before = seeded.get("/enterprises/1/matches").json()
    top = before["items"][0]
    seeded.patch(f"/partners/{top['partner_id']}", json={"active": False})
    after = seeded.get("/enterprises/1/matches").json()
    assert after["run"]["id"] != before["run"]["id"]
    assert top["partner_id"] not in [i["partner_id"] for i in after["items"]]
    changes = seeded.get("/enterprises/1/matches/changes").json()
    left = {c["partner_id"]: c for c in changes["left"]}
    assert top["partner_id"] in left
    assert any("停止合作" in why for why in left[top["partner_id"]]["why"])


def test_inactive_and_excluded_partners_never_appear(seeded: TestClient) -> None:
    enterprise = seeded.get("/enterprises/1").json()
    inactive = seeded.post(
        "/partners",
        json=partner_payload(
            name="停止合作的银行",
            kind="bank",
            active=False,
            treatment_types=["relief"],
            credit_code=None,
        ),
    ).json()
    excluding = seeded.post(
        "/partners",
        json=partner_payload(
            name="排除该行业的基金",
            kind="bank",
            credit_code=None,
            treatment_types=["relief"],
            excluded_industries=[enterprise["industry_code"][:3]],
        ),
    ).json()
    elsewhere = seeded.post(
        "/partners",
        json=partner_payload(
            name="只投外省的银行",
            kind="bank",
            credit_code=None,
            treatment_types=["relief"],
            preferred_regions=["江西省"],
        ),
    ).json()
    ids = [
        i["partner_id"]
        for i in seeded.get("/enterprises/1/matches", params={"limit": 100}).json()["items"]
    ]
    assert not {inactive["id"], excluding["id"], elsewhere["id"]} & set(ids)


def test_filters(seeded: TestClient) -> None:
    all_items = seeded.get("/enterprises/9/matches", params={"limit": 100}).json()["items"]
    kinds = {i["partner_kind"] for i in all_items}
    kind = sorted(kinds)[0]
    only = seeded.get("/enterprises/9/matches", params={"kind": kind, "limit": 100}).json()
    assert {i["partner_kind"] for i in only["items"]} == {kind}
    threshold = all_items[len(all_items) // 2]["score"]
    high = seeded.get("/enterprises/9/matches", params={"min_score": threshold, "limit": 100})
    assert all(i["score"] >= threshold for i in high.json()["items"])
    assert seeded.get("/enterprises/9/matches", params={"limit": 101}).status_code == 422
    assert seeded.get("/enterprises/9/matches", params={"kind": "alien"}).status_code == 422


def test_chinese_text_through_the_whole_path(seeded: TestClient) -> None:
    created = seeded.post(
        "/enterprises",
        json={
            "name": "东营市测试轮胎有限公司",
            "county": "广饶县",
            "industry_code": "C2911",
            "operating_status": "normal",
            "capacity_utilization": 0.95,
            "description": "全钢子午线轮胎，拥有“专精特新”称号和三项发明专利",
            "problems": "订单饱满，产能不足，扩产资金缺口约2亿元",
            "demands": "引进战略投资者增资扩产，出让30%股权",
            "financials": {
                "total_assets": 60000,
                "total_liabilities": 24000,
                "annual_revenue": 80000,
                "prior_revenue": 60000,
                "net_profit": 5000,
            },
        },
    ).json()
    items = seeded.get(f"/enterprises/{created['id']}/matches").json()["items"]
    assert items
    assert any("轮胎" in r or "橡胶" in r or "C29" in r for i in items for r in i["reasons"])


def test_asset_level_matches(seeded: TestClient) -> None:
    enterprise = next(
        e
        for e in seeded.get("/enterprises", params={"limit": 100}).json()["data"]
        if any(a["idle"] for a in e["assets"])
    )
    asset = next(a for a in enterprise["assets"] if a["idle"])
    response = seeded.get(f"/enterprises/{enterprise['id']}/assets/{asset['id']}/matches")
    assert response.status_code == 200
    items = response.json()["items"]
    assert items
    assert all("asset" in i["components"] for i in items)
    assert seeded.get(f"/enterprises/{enterprise['id']}/assets/99999/matches").status_code == 404


def test_matches_access(seeded: TestClient) -> None:
    county = seeded.get("/enterprises/1").json()["county"]
    other = next(e for e in seeded.get("/enterprises").json()["data"] if e["county"] != county)
    officer = {"Authorization": f"Bearer {issue_token(seeded, 'officer', [county])}"}
    assert seeded.get("/enterprises/1/matches", headers=officer).status_code == 200
    path = f"/enterprises/{other['id']}/matches"
    assert seeded.get(path, headers=officer).status_code == 403
    assert seeded.get("/enterprises/424242/matches").status_code == 404
    assert seeded.get("/enterprises/1/matches", headers={"Authorization": ""}).status_code == 401


def test_stored_matches_belong_to_one_run(seeded: TestClient, engine: Engine) -> None:
    listed = seeded.get("/enterprises/2/matches", params={"limit": 100}).json()
    with Session(engine) as session:
        runs = {session.get(Match, i["match_id"]).run_id for i in listed["items"]}  # type: ignore[union-attr]
    assert runs == {listed["run"]["id"]}


class CountingEncoder:
    """The real encoder, counting the query texts it is asked to encode."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.queries = 0

    def encode(self, texts: Sequence[str], *, prompt_name: str = "passage") -> np.ndarray:
        if prompt_name == "query":
            self.queries += len(texts)
        return self.inner.encode(texts, prompt_name=prompt_name)


def test_rescore_reuses_the_stored_query_embedding(
    settings: Settings, engine: Engine, runtime: Runtime
) -> None:
    counting = CountingEncoder(runtime.encoder)
    app = create_app(settings, engine, replace(runtime, encoder=counting, pool=PoolCache()))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        with session_scope(engine) as session:
            seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
        client.get("/enterprises/1/matches")
        assert counting.queries == 1
        job = client.post("/jobs/rescore", json={"enterprise_ids": [1]}).json()["job_id"]
        work_once(engine, app.state.runtime, "w", job_id=job)
        assert counting.queries == 1  # same text, same model: the stored vector is reused
        client.patch("/enterprises/1", json={"demands": "引入产业投资者"})
        client.get("/enterprises/1/matches")
        assert counting.queries == 2  # the need text changed


def test_every_partner_write_moves_the_pool_revision(seeded: TestClient, engine: Engine) -> None:
    """Create, bulk, change, archive and restore move it; reads and enterprise writes do not."""

    def version() -> str:
        with Session(engine) as session:
            return pool_version(session)

    seen = [version()]
    seeded.get("/enterprises/1/matches")
    seeded.get("/partners")
    seeded.patch("/enterprises/1", json={"demands": "寻求战略投资者"})
    assert version() == seen[-1]
    steps = [
        lambda: seeded.post("/partners", json=partner_payload()),
        lambda: seeded.post("/partners/bulk", json=[partner_payload(), partner_payload()]),
        lambda: seeded.patch("/partners/1", json={"interests": "新增：设备租赁"}),
        lambda: seeded.delete("/partners/1"),
        lambda: seeded.post("/partners/1/restore"),
    ]
    for step in steps:
        assert step().status_code < 300
        seen.append(version())
    assert len(set(seen)) == len(seen)
    # A failed write leaves it: the bulk is all or nothing.
    bad = seeded.post("/partners/bulk", json=[partner_payload(), {"name": ""}])
    assert bad.status_code == 422
    assert version() == seen[-1]


def test_pool_revision_differs_between_databases(engine: Engine, tmp_path: Path) -> None:
    """A cached index is keyed by it, so two databases must never share a version."""
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    run_migrations(other)
    with Session(engine) as a, Session(other) as b:
        assert pool_version(a) != pool_version(b)
    other.dispose()


def test_a_partner_change_reanalyses_only_its_offer_text(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    """The index rebuild after a partner write analyses the changed text, not the pool's."""
    seeded.get("/enterprises/1/matches")  # the index of this pool is built
    store = runtime.pool.ngrams
    analysed: list[str] = []
    original = store._analyze
    store._analyze = lambda text: analysed.append(text) or original(text)  # type: ignore[method-assign]
    try:
        assert (
            seeded.patch("/partners/3", json={"interests": "新增：光伏组件回收"}).status_code == 200
        )
        after = seeded.get("/enterprises/1/matches")
    finally:
        store._analyze = original  # type: ignore[method-assign]
    assert after.status_code == 200
    with Session(engine) as session:
        offers = {
            partner_offer_text(partner_profile(row)) for row in session.exec(select(Partner)).all()
        }
    assert [t for t in analysed if t in offers] == [t for t in offers if "光伏组件回收" in t]
