"""Re-score jobs: the API, the embedded worker, triggers, and real worker processes."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from api.config import Settings
from api.main import create_app
from api.runtime import Runtime
from api.services.job_runner import claim_job, run_job
from api.services.jobs import enqueue_rescore
from api.services.triggers import AUTO_REASON
from api.worker import work_once
from models.db import make_engine, session_scope
from models.tables import Job, Match, MatchRun
from tests.api.job_helpers import (
    ADMIN,
    read_job,
    seed_many,
    shared_engine,
    start_worker,
    wait_for,
)
from tests.conftest import ADMIN_TOKEN, POSTGRES_URL, _truncate
from tests.factories import issue_token


def test_rescore_api_and_progress(seeded: TestClient, engine: Engine, runtime: Runtime) -> None:
    accepted = seeded.post("/jobs/rescore", json={"enterprise_ids": [3, 1, 2, 1]})
    assert accepted.status_code == 202
    job_id = accepted.json()["job_id"]
    queued = seeded.get(f"/jobs/{job_id}").json()
    assert (queued["status"], queued["done"], queued["total"]) == ("queued", 0, 3)
    seen: list[tuple[int, int]] = []
    assert work_once(engine, runtime, "w", lambda d, t: seen.append((d, t)), job_id) == job_id
    assert seen == [(1, 3), (2, 3), (3, 3)]
    done = seeded.get(f"/jobs/{job_id}").json()
    assert (done["status"], done["done"], done["total"]) == ("done", 3, 3)
    assert work_once(engine, runtime, "w") is None  # nothing left


def test_rescore_everything_and_errors(seeded: TestClient) -> None:
    job = seeded.post("/jobs/rescore").json()["job_id"]
    assert seeded.get(f"/jobs/{job}").json()["total"] == seeded.get("/enterprises").json()["count"]
    assert seeded.get("/jobs/999999").status_code == 404
    assert seeded.post("/jobs/rescore", json={"enterprise_ids": ["x"]}).status_code == 422
    viewer = {"Authorization": f"Bearer {issue_token(seeded, 'viewer')}"}
    assert seeded.post("/jobs/rescore", headers=viewer).status_code == 403
    assert seeded.get(f"/jobs/{job}", headers={"Authorization": ""}).status_code == 401


def test_partner_change_queues_the_affected_rankings(seeded: TestClient, engine: Engine) -> None:
    seeded.get("/enterprises/1/matches")
    seeded.get("/enterprises/2/matches")
    seeded.patch("/partners/3", json={"interests": "新增：闲置厂房收购"})
    seeded.patch("/partners/4", json={"interests": "新增：设备租赁"})
    with Session(engine) as session:
        jobs = session.exec(select(Job).where(Job.reason == AUTO_REASON)).all()
    assert len(jobs) == 1  # the second change widened the queued job
    assert jobs[0].enterprise_ids == [1, 2]


def test_partner_ids_select_enterprises_ranking_them(seeded: TestClient) -> None:
    top = seeded.get("/enterprises/1/matches").json()["items"][0]["partner_id"]
    job = seeded.post("/jobs/rescore", json={"enterprise_ids": [], "partner_ids": [top]})
    assert seeded.get(f"/jobs/{job.json()['job_id']}").json()["total"] == 1


def test_same_job_twice_gives_the_same_ranking(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    rankings = []
    for _ in range(2):
        job = seeded.post("/jobs/rescore", json={"enterprise_ids": [5]}).json()["job_id"]
        work_once(engine, runtime, "w", job_id=job)
        items = seeded.get("/enterprises/5/matches", params={"limit": 100}).json()["items"]
        rankings.append([(i["partner_id"], round(i["score"], 6)) for i in items])
    assert rankings[0] == rankings[1]


def test_embedded_worker_finishes_a_job(
    settings: Settings, engine: Engine, runtime: Runtime
) -> None:
    app = create_app(settings.model_copy(update={"start_worker": True}), engine, runtime)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        client.post("/enterprises", json={"name": "后台重算测试企业", "industry_code": "C2911"})
        job = client.post("/jobs/rescore").json()["job_id"]
        deadline = time.monotonic() + 120
        while client.get(f"/jobs/{job}").json()["status"] != "done":
            assert time.monotonic() < deadline, client.get(f"/jobs/{job}").json()
            time.sleep(0.2)
        assert client.get("/enterprises/1/matches").json()["run"] is not None


# --- real processes and concurrency, on a database several connections share ----------


def test_killed_worker_is_resumed_to_the_end(
    shared_url: str, tmp_path: Path, runtime: Runtime
) -> None:
    ids = seed_many(shared_url, runtime, copies=2)
    with session_scope(shared_engine(shared_url)) as session:
        job_id = enqueue_rescore(session=session, enterprise_ids=None, principal=ADMIN).id or 0
    first = start_worker(shared_url, tmp_path, "first")
    try:
        wait_for(lambda: read_job(shared_url, job_id).done >= 2)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        first.kill()
    stopped_at = read_job(shared_url, job_id).done
    assert 0 < stopped_at < len(ids), "the worker must be killed mid-job"

    second = start_worker(shared_url, tmp_path, "second")
    try:
        wait_for(lambda: read_job(shared_url, job_id).status == "done")
    finally:
        second.terminate()
        second.wait(60)
    job = read_job(shared_url, job_id)
    assert (job.done, job.total) == (len(ids), len(ids))
    with Session(shared_engine(shared_url)) as session:
        current = session.exec(
            select(MatchRun.enterprise_id, func.count())
            .where(col(MatchRun.is_current).is_(True))
            .group_by(MatchRun.enterprise_id)
        ).all()
    assert sorted(e for e, _ in current) == sorted(ids)
    assert all(n == 1 for _, n in current)


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="LD_TEST_POSTGRES_URL is not set")
def test_two_workers_share_the_queue_without_double_work(
    tmp_path: Path, runtime: Runtime, postgres_engine: Engine, postgres_url: str
) -> None:
    _truncate(postgres_engine)
    ids = seed_many(postgres_url, runtime, copies=1)
    chunks = [ids[i : i + 4] for i in range(0, len(ids), 4)]
    with session_scope(shared_engine(postgres_url)) as session:
        jobs = [
            enqueue_rescore(session=session, enterprise_ids=c, principal=ADMIN).id for c in chunks
        ]
    workers = [start_worker(postgres_url, tmp_path, f"w{n}") for n in range(2)]
    try:
        wait_for(lambda: all(read_job(postgres_url, j or 0).status == "done" for j in jobs))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(60)
    with Session(shared_engine(postgres_url)) as session:
        for job_id, chunk in zip(jobs, chunks, strict=True):
            runs = session.exec(select(MatchRun.enterprise_id).where(MatchRun.job_id == job_id))
            assert sorted(runs.all()) == sorted(chunk)  # each enterprise once, by one worker


def test_readers_never_see_a_partial_ranking(shared_url: str, runtime: Runtime) -> None:
    seed_many(shared_url, runtime, copies=1)
    engine = make_engine(shared_url)
    app = create_app(
        Settings(admin_token=ADMIN_TOKEN, run_migrations=False, start_worker=False), engine, runtime
    )
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        expected = len(client.get("/enterprises/1/matches", params={"limit": 100}).json()["items"])
        stop = threading.Event()

        def rescore_repeatedly() -> None:
            while not stop.is_set():
                with session_scope(engine) as session:
                    job = enqueue_rescore(session=session, enterprise_ids=[1], principal=ADMIN)
                work_once(engine, runtime, "writer", job_id=job.id)

        writer = threading.Thread(target=rescore_repeatedly)
        writer.start()
        try:
            runs_seen = set()
            for _ in range(60):
                listed = client.get("/enterprises/1/matches", params={"limit": 100}).json()
                assert len(listed["items"]) == expected
                assert [i["rank"] for i in listed["items"]] == list(range(1, expected + 1))
                with Session(engine) as session:
                    owners = {
                        session.get(Match, i["match_id"]).run_id  # type: ignore[union-attr]
                        for i in listed["items"]
                    }
                assert owners == {listed["run"]["id"]}
                runs_seen.add(listed["run"]["id"])
        finally:
            stop.set()
            writer.join(60)
        assert len(runs_seen) > 1, "the reader should have seen the ranking replaced"


def _current_ranking(engine: Engine, enterprise_id: int) -> list[tuple[int, float]]:
    with Session(engine) as session:
        run = session.exec(
            select(MatchRun).where(MatchRun.enterprise_id == enterprise_id, MatchRun.is_current)
        ).one()
        matches = session.exec(
            select(Match).where(Match.run_id == run.id).order_by(col(Match.rank))
        ).all()
        return [(m.partner_id, m.score) for m in matches]


@pytest.mark.parametrize("block", [1, 3, 32])
def test_a_job_ranks_as_one_enterprise_at_a_time(
    seeded: TestClient, engine: Engine, runtime: Runtime, block: int
) -> None:
    """Batched ranking in a job stores what a single computation stores."""
    ids = [e["id"] for e in seeded.get("/enterprises", params={"limit": 100}).json()["data"]]
    single = {}
    for enterprise_id in ids:
        seeded.get(f"/enterprises/{enterprise_id}/matches")  # computed alone, stored
        single[enterprise_id] = _current_ranking(engine, enterprise_id)
    with Session(engine) as session:
        enqueue_rescore(session=session, enterprise_ids=ids, principal=ADMIN)
        session.commit()
    claimed = claim_job(engine, "w")
    assert claimed is not None
    assert run_job(engine, claimed, runtime, "w", block=block) == "done"
    for enterprise_id in ids:
        batched = _current_ranking(engine, enterprise_id)
        assert [p for p, _ in batched] == [p for p, _ in single[enterprise_id]], enterprise_id
        assert [s for _, s in batched] == pytest.approx(
            [s for _, s in single[enterprise_id]], abs=1e-5
        )


def test_a_stopped_job_keeps_its_cursor_and_resumes(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    ids = [e["id"] for e in seeded.get("/enterprises", params={"limit": 100}).json()["data"]]
    assert len(ids) >= 7
    with Session(engine) as session:
        job_id = enqueue_rescore(session=session, enterprise_ids=ids, principal=ADMIN).id
        session.commit()
    calls = iter(range(1000))
    # Stop when asked the fifth time: before the first block, then inside it.
    stop_after_four = lambda: next(calls) >= 4  # noqa: E731
    claimed = claim_job(engine, "w")
    assert claimed is not None
    assert run_job(engine, claimed, runtime, "w", should_stop=stop_after_four, block=3) == (
        "released"
    )
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.claimed_by) == ("queued", "")
        stored = session.exec(select(MatchRun).where(MatchRun.job_id == job_id)).all()
        assert len(stored) == job.done  # every step committed its run with the cursor
        done_before = job.done
    assert 0 < done_before < len(ids)
    assert work_once(engine, runtime, "w2", job_id=job_id) == job_id
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.status, job.done) == ("done", len(ids))
        runs = session.exec(select(MatchRun).where(MatchRun.job_id == job_id)).all()
        assert sorted(r.enterprise_id for r in runs) == sorted(ids)  # each computed once


def test_a_worker_that_lost_its_job_stops_inside_a_block(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    ids = [e["id"] for e in seeded.get("/enterprises", params={"limit": 100}).json()["data"]]
    with Session(engine) as session:
        job_id = enqueue_rescore(session=session, enterprise_ids=ids, principal=ADMIN).id
        session.commit()
    claimed = claim_job(engine, "w")
    assert claimed is not None
    seen: list[int] = []

    def taken_over(done: int, total: int) -> None:
        seen.append(done)
        if done == 2:  # another worker takes the job over mid-block
            with Session(engine) as session:
                job = session.get(Job, job_id)
                assert job is not None
                job.claimed_by = "other"
                session.add(job)
                session.commit()

    assert run_job(engine, claimed, runtime, "w", progress=taken_over, block=32) == "lost"
    assert seen == [1, 2]
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.done == 2
        assert len(session.exec(select(MatchRun).where(MatchRun.job_id == job_id)).all()) == 2
