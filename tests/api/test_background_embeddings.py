"""Embeddings in the background: a ranking answers at once from what is ready, says what is
pending, and is refreshed once the worker has embedded the rest."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.config import FIXTURES_DIR, Settings
from api.main import create_app
from api.pages.common import COOKIE
from api.runtime import PoolCache, Runtime
from api.services.embedding_jobs import (
    EMBED_KIND,
    ensure_embedding_job,
    pending_texts,
    run_embedding_job,
)
from api.services.job_runner import claim_job
from api.services.matching import compute_matches, current_run
from api.services.seed import seed_fixtures
from api.services.triggers import AUTO_REASON
from api.worker import work_once
from models.db import session_scope
from models.tables import Enterprise, Job, Match, PartnerEmbedding
from tests.conftest import ADMIN_TOKEN


@pytest.fixture
def background(runtime: Runtime) -> Runtime:
    """The session's engine objects, as the service runs them: requests never encode."""
    return dataclasses.replace(runtime, inline_embeddings=False, pool=PoolCache())


@pytest.fixture
def client(settings: Settings, engine: Engine, background: Runtime) -> Iterator[TestClient]:
    with session_scope(engine) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=background.industries)
    with TestClient(create_app(settings, engine, background)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield test_client


def _first_enterprise(client: TestClient) -> int:
    return int(client.get("/enterprises", params={"limit": 1}).json()["data"][0]["id"])


def _work_all(engine: Engine, runtime: Runtime) -> list[str]:
    """What a service's idle worker does: queue the embedding job, then run every job."""
    assert ensure_embedding_job(engine=engine, runtime=runtime) is not None
    kinds = []
    while (job_id := work_once(engine, runtime, "test-worker")) is not None:
        with Session(engine) as session:
            job = session.get(Job, job_id)
            assert job is not None and job.status == "done", job
            kinds.append(job.kind)
    return kinds


def test_a_ranking_answers_from_what_is_ready_and_is_refreshed_when_embeddings_land(
    client: TestClient, engine: Engine, background: Runtime, runtime: Runtime
) -> None:
    status = client.get("/status").json()
    assert status["partners"] > 0 and status["embedded"] == 0
    assert status["pending"] == status["partners"]
    assert status["model"] == background.model_name and status["backend"]

    enterprise_id = _first_enterprise(client)
    pending = client.get(f"/enterprises/{enterprise_id}/matches", params={"limit": 100}).json()
    assert pending["run"]["pending_embeddings"] == status["partners"]
    assert pending["run"]["query_embedding_pending"] is True
    assert pending["items"], "rules and keywords still rank the pool"
    assert all(item["components"]["dense"] == 0 for item in pending["items"])
    assert not any("语义相近" in r for item in pending["items"] for r in item["reasons"])
    client.cookies.set(COOKIE, ADMIN_TOKEN)
    page = client.get(f"/ui/enterprises/{enterprise_id}")
    assert page.status_code == 200 and "语义向量仍在后台计算" in page.text

    kinds = _work_all(engine, background)
    assert kinds[0] == EMBED_KIND and "rescore" in kinds  # the stale run was queued again
    with Session(engine) as session:
        embed = session.exec(select(Job).where(Job.kind == EMBED_KIND)).one()
        assert (
            embed.done
            == embed.total
            == status["partners"] + len(session.exec(select(Enterprise.id)).all())
        )
        assert session.exec(select(Job).where(Job.reason == AUTO_REASON)).first() is not None
    assert client.get("/status").json()["pending"] == 0

    refreshed = client.get(f"/enterprises/{enterprise_id}/matches", params={"limit": 100}).json()
    assert refreshed["run"]["id"] != pending["run"]["id"]
    assert refreshed["run"]["pending_embeddings"] == 0
    assert refreshed["run"]["query_embedding_pending"] is False
    assert any(item["components"]["dense"] != 0 for item in refreshed["items"])
    assert "语义向量仍在后台计算" not in client.get(f"/ui/enterprises/{enterprise_id}").text

    # The refreshed run is the one an inline ranking computes from the same vectors.
    with session_scope(engine) as session:
        row = session.get(Enterprise, enterprise_id)
        assert row is not None
        inline = dataclasses.replace(runtime, inline_embeddings=True, pool=PoolCache())
        again = compute_matches(session=session, row=row, runtime=inline)
        expected = session.exec(select(Match).where(Match.run_id == again.id)).all()
        ranked = [(m.partner_id, m.score) for m in sorted(expected, key=lambda m: m.rank)]
    served = [(item["partner_id"], item["score"]) for item in refreshed["items"]]
    assert served == ranked[: len(served)]


def test_a_partner_written_later_is_pending_alone_and_others_keep_their_vectors(
    client: TestClient, engine: Engine, background: Runtime
) -> None:
    _work_all(engine, background)
    enterprise_id = _first_enterprise(client)
    before = client.get(f"/enterprises/{enterprise_id}/matches").json()
    assert before["run"]["pending_embeddings"] == 0
    created = client.post(
        "/partners",
        json={
            "name": "新到合作方",
            "kind": "pe_vc",
            "capabilities": "并购重组 资金纾困 化工企业",
        },
    )
    assert created.status_code == 201, created.text
    status = client.get("/status").json()
    assert status["pending"] == 1 and status["embedded"] == status["partners"] - 1
    after = client.get(f"/enterprises/{enterprise_id}/matches", params={"limit": 100}).json()
    assert after["run"]["pending_embeddings"] == 1
    assert after["run"]["query_embedding_pending"] is False
    newcomer = [i for i in after["items"] if i["partner_id"] == created.json()["id"]]
    assert all(i["components"]["dense"] == 0 for i in newcomer)
    assert any(i["components"]["dense"] != 0 for i in after["items"])
    _work_all(engine, background)
    assert client.get("/status").json()["pending"] == 0
    with Session(engine) as session:
        run = current_run(session, enterprise_id)
        assert run is not None and run.pending_embeddings == 0  # refreshed by the re-score job


def test_status_needs_a_token(client: TestClient) -> None:
    assert client.get("/status", headers={"Authorization": ""}).status_code == 401


def test_each_step_embeds_the_shortest_pending_offers_so_its_batches_pad_little(
    client: TestClient, engine: Engine, background: Runtime
) -> None:
    with Session(engine) as session:
        todo = pending_texts(session=session, runtime=background).partners
    lengths = sorted({len(text) for _, text, _ in todo})
    assert len(lengths) > 2, "the demo's offers differ in length"
    job_id = ensure_embedding_job(engine=engine, runtime=background)
    assert job_id is not None and claim_job(engine, "test-worker", job_id) == job_id
    steps: list[int] = []
    outcome = run_embedding_job(
        engine,
        job_id,
        background,
        "test-worker",
        progress=lambda done, total: steps.append(done),
        should_stop=lambda: bool(steps),
        batch=3,
    )
    assert outcome == "released" and steps == [3]
    with Session(engine) as session:
        embedded = set(session.exec(select(PartnerEmbedding.partner_id)).all())
    shortest = sorted(todo, key=lambda item: (len(item[1]), item[0]))[:3]
    assert embedded == {int(pid) for pid, _, _ in shortest}
    longest = max(len(text) for _, text, _ in todo)
    assert all(len(text) < longest for _, text, _ in shortest)
