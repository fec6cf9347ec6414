"""Learned matcher configs through the service: learn, list, activate, roll back.

Real database (SQLite and PostgreSQL), the real engine and worker: the
officers' decisions go in through the review route, the candidate comes out
of POST /matcher/configs/learn, and the re-score after an activation is the
background job the worker runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.config import FIXTURES_DIR, Settings
from api.main import create_app
from api.runtime import Runtime
from api.services.seed import seed_fixtures
from api.worker import work_once
from matcher.matching.learning_data import LearnSettings
from models.db import session_scope
from tests.conftest import ADMIN_TOKEN
from tests.factories import issue_token

MIN_DECISIONS = 12
ENTERPRISES = (1, 2, 3, 4, 5, 6, 7, 8)


@pytest.fixture
def own_runtime(runtime: Runtime) -> Runtime:
    """The session's engine objects in a Runtime of this test's own (activation changes it)."""
    return replace(runtime)


@pytest.fixture
def learning(settings: Settings, engine: Engine, own_runtime: Runtime) -> Iterator[TestClient]:
    tuned = settings.model_copy(update={"learn_min_decisions": MIN_DECISIONS})
    app = create_app(tuned, engine, own_runtime)
    with session_scope(engine) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=own_runtime.industries)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield client


def rankings(client: TestClient) -> dict[int, list[tuple[int, int, float, dict]]]:  # type: ignore[type-arg]
    out = {}
    for e in ENTERPRISES:
        body = client.get(f"/enterprises/{e}/matches", params={"limit": 20}).json()
        out[e] = [(m["partner_id"], m["rank"], m["score"], m["components"]) for m in body["items"]]
    return out


def review(client: TestClient, match_id: int, status: str, note: str = "") -> None:
    response = client.post(f"/matches/{match_id}/review", json={"status": status, "note": note})
    assert response.status_code == 200, response.text


def decide_against_the_top(client: TestClient) -> int:
    """Officers who prefer what the engine ranks 4th–6th and reject its first three."""
    count = 0
    for e in ENTERPRISES:
        items = client.get(f"/enterprises/{e}/matches", params={"limit": 20}).json()["items"]
        for m in items[:3]:
            review(client, m["match_id"], "rejected", "与企业需求不符")
            count += 1
        for m in items[3:6]:
            review(client, m["match_id"], "contacted")
            count += 1
    return count


def run_jobs(engine: Engine, runtime: Runtime) -> None:
    while work_once(engine, runtime, "test-worker") is not None:
        pass


def test_too_few_decisions_answer_409_with_the_count(learning: TestClient) -> None:
    items = learning.get("/enterprises/1/matches").json()["items"]
    review(learning, items[0]["match_id"], "contacted")
    review(learning, items[1]["match_id"], "rejected", "不在本地")
    response = learning.post("/matcher/configs/learn")
    assert response.status_code == 409
    body = response.json()
    assert (body["count"], body["needed"]) == (2, MIN_DECISIONS)
    assert "已有 2 条审核决策" in body["detail"]
    assert learning.get("/matcher/configs").json()["items"][0]["version"] == "base"


def test_candidate_changes_nothing_until_activated_and_rollback_restores_exactly(
    learning: TestClient, engine: Engine, own_runtime: Runtime
) -> None:
    assert decide_against_the_top(learning) >= MIN_DECISIONS
    # Rankings made after the decisions (the rejected partners out), with the shipped weights.
    assert learning.post("/jobs/rescore").status_code == 202
    run_jobs(engine, own_runtime)
    before = rankings(learning)
    runs = {e: learning.get(f"/enterprises/{e}/matches").json()["run"]["id"] for e in ENTERPRISES}

    learned = learning.post("/matcher/configs/learn")
    assert learned.status_code == 201, learned.text
    body = learned.json()
    assert (body["version"], body["active"], body["compared_with"]) == ("v1", False, "base")
    assert body["data"]["decisions"] >= 1 and len(body["data"]["hash"]) == 16
    # Stage zero's choice of the text's weight is part of what was fitted (1.0: left as it is).
    assert body["data"]["text_factor"] in (1.0, *LearnSettings().text_factors)
    overall = body["metrics"]["overall"]
    assert overall["enterprises"] >= 1 and overall["ndcg_active"] is not None
    # Each category with enough decisions learned its own part or kept the active weights,
    # as the inner cross-validation over the fitted decisions said; a kept one has the
    # active weights as its own.
    choices = body["data"]["categories"]
    assert all(c == "active" or isinstance(c, float) for c in choices.values())
    for category, choice in choices.items():
        if choice == "active":
            assert (
                body["overlay"]["category_levels"][category]["treatment"]
                == (
                    own_runtime.base_config.levels["treatment"]  # type: ignore[union-attr]
                )
            )

    # A candidate is not used: same rankings, from the same stored runs.
    assert rankings(learning) == before
    assert {
        e: learning.get(f"/enterprises/{e}/matches").json()["run"]["id"] for e in ENTERPRISES
    } == runs
    listed = learning.get("/matcher/configs").json()
    assert listed["active"] == "base"
    assert [(i["version"], i["active"]) for i in listed["items"]] == [("v1", False), ("base", True)]

    activated = learning.post("/matcher/configs/v1/activate")
    assert activated.status_code == 200, activated.text
    assert activated.json()["previous"] == "base"
    assert activated.json()["config_hash"] == body["config_hash"]
    assert activated.json()["rescore_job_id"] is not None
    run_jobs(engine, own_runtime)
    after = rankings(learning)
    assert after != before
    assert all(
        learning.get(f"/enterprises/{e}/matches").json()["run"]["config_hash"]
        == body["config_hash"]
        for e in ENTERPRISES
    )
    # A few decisions move the weights a little (the pull is chosen among LD_LEARN_STRENGTHS).
    base = own_runtime.base_config.levels  # type: ignore[union-attr]
    moved = [
        abs(w - base[c][lab])
        for c, table in body["overlay"]["levels"].items()
        for lab, w in table.items()
    ]
    assert 0 < max(moved) < 1.0

    back = learning.post("/matcher/configs/base/activate")
    assert back.status_code == 200 and back.json()["previous"] == "v1"
    run_jobs(engine, own_runtime)
    assert rankings(learning) == before

    audit = learning.get("/audit", params={"entity": "matcher_config"}).json()["data"]
    assert [(a["action"], a["entity_id"]) for a in audit][:3] == [
        ("activate", "base"),
        ("activate", "v1"),
        ("learn", "v1"),
    ]


def test_activation_errors_and_admins_only(learning: TestClient) -> None:
    assert learning.post("/matcher/configs/v9/activate").status_code == 404
    again = learning.post("/matcher/configs/base/activate")
    assert again.status_code == 409 and "已是当前生效版本" in again.json()["detail"]
    officer = issue_token(learning, "officer")
    headers = {"Authorization": f"Bearer {officer}"}
    for method, path in (
        ("post", "/matcher/configs/learn"),
        ("get", "/matcher/configs"),
        ("post", "/matcher/configs/base/activate"),
    ):
        assert getattr(learning, method)(path, headers=headers).status_code == 403


def test_what_the_decisions_say(learning: TestClient) -> None:
    items = learning.get("/enterprises/1/matches").json()["items"]
    for status in ("contacted", "negotiating", "signed", "landed"):
        review(learning, items[1]["match_id"], status)
    review(learning, items[0]["match_id"], "rejected", "担保链风险过高")
    diagnosis = learning.get("/enterprises/1/diagnosis").json()
    other = next(c for c in ("relief", "exit_liquidation") if c != diagnosis["primary"])
    override = {"primary": other, "reason": "走访后改判"}
    assert learning.post("/enterprises/1/diagnosis/override", json=override).status_code in (
        200,
        201,
    )
    report = learning.get("/matcher/decisions").json()
    assert report["overrides"] == [
        {"from_category": diagnosis["primary"], "to_category": other, "count": 1}
    ]
    assert (report["landed"], report["landed_in_top5"], report["landed_top5_share"]) == (1, 1, 1.0)
    strongest = max(items[0]["components"].items(), key=lambda kv: (kv[1], kv[0]))[0]
    assert [(g["component"], g["count"], g["notes"]) for g in report["rejections"]] == [
        (strongest, 1, ["担保链风险过高"])
    ]


def test_learning_runs_off_the_event_loop() -> None:
    """The learn request and page are plain functions: Starlette runs them on a worker
    thread, so the fits (a few seconds with many decisions) never hold the event loop."""
    from api.pages.configs import learn_page
    from api.routes.matcher_configs import learn_config

    for endpoint in (learn_config, learn_page):
        assert not inspect.iscoroutinefunction(endpoint), endpoint.__name__
