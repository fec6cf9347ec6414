"""One caller cannot starve the queue: owners take turns, and a big job gives way in slices."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import Principal
from api.runtime import Runtime
from api.services.job_runner import claim_job, run_job
from api.services.jobs import enqueue_rescore
from models.db import session_scope
from models.tables import Job
from tests.api.job_helpers import read_job, seed_many, shared_engine, start_worker, wait_for

BIG_OWNER = Principal(name="东营区招商局", role="admin")
SMALL_OWNER = Principal(name="广饶县招商局", role="admin")


def test_claims_take_turns_between_owners(engine: Engine, runtime: Runtime) -> None:
    """The owner served longest ago goes next; one owner's jobs run in the order asked."""
    owners = {n: Principal(name=n, role="admin") for n in ("甲", "乙", "丙")}
    order = ["甲", "甲", "甲", "乙", "丙", "乙"]
    with session_scope(engine) as session:
        asked = [
            enqueue_rescore(session=session, principal=owners[n], enterprise_ids=[]).id
            for n in order
        ]
    served = []
    while (claimed := claim_job(engine, "w")) is not None:
        assert run_job(engine, claimed, runtime, "w") == "done"  # no enterprises: done at once
        served.append(claimed)
    by_id = dict(zip(asked, order, strict=True))
    assert [by_id[j] for j in served] == ["甲", "乙", "丙", "甲", "乙", "甲"]
    assert [j for j in served if by_id[j] == "甲"] == [asked[0], asked[1], asked[2]]


def test_a_small_job_finishes_before_a_big_one_queued_earlier(
    shared_url: str, tmp_path: Path, runtime: Runtime
) -> None:
    ids = seed_many(shared_url, runtime, copies=1)  # 16 enterprises: four slices of four
    with session_scope(shared_engine(shared_url)) as session:
        big = enqueue_rescore(session=session, principal=BIG_OWNER, enterprise_ids=ids).id or 0
    with session_scope(shared_engine(shared_url)) as session:
        small = enqueue_rescore(session=session, principal=SMALL_OWNER, enterprise_ids=ids[:1])
        small_id = small.id or 0
    worker = start_worker(shared_url, tmp_path, "fair", job_slice="4")
    try:
        wait_for(lambda: read_job(shared_url, big).status == "done")
    finally:
        worker.terminate()
        worker.wait(60)
    big_job, small_job = read_job(shared_url, big), read_job(shared_url, small_id)
    assert (small_job.status, small_job.done) == ("done", 1)
    assert (big_job.done, big_job.total) == (len(ids), len(ids))
    assert small_job.finished_at is not None and big_job.finished_at is not None
    assert small_job.finished_at < big_job.finished_at
    assert big_job.started_at is not None and big_job.started_at < small_job.finished_at
    with Session(shared_engine(shared_url)) as session:
        turns = session.get(Job, big)
        assert turns is not None and turns.turn_at is not None
        assert turns.turn_at > small_job.finished_at  # the big job was taken up again after
