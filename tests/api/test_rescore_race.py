"""A re-score job's ranking, computed long after it read its inputs, does not replace a
newer run that a request stored meanwhile (real job runner, real DB: SQLite file and
PostgreSQL).

The job's block is held at a gate (tests/api/gates.py) after it read the
enterprise; meanwhile the enterprise changes and a request ranks it anew.  Two
runs then exist: the request's, of the state after the change, and the job's,
of the state before it, stored last.  The older one must not become current.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlmodel import Session, col, select

from api.auth import Principal
from api.config import FIXTURES_DIR
from api.runtime import Runtime
from api.services.enterprises import update_enterprise
from api.services.job_runner import claim_job, run_job
from api.services.jobs import enqueue_rescore, get_job
from api.services.matching import current_matches_run, ranking_state
from api.services.seed import seed_fixtures
from models.db import make_engine, session_scope
from models.schemas import EnterpriseUpdate
from models.tables import MatchRun
from tests.api.gates import HOLD, Gate, gated_runtime

ADMIN = Principal(name="test", role="admin")
ENTERPRISE = 1


def _rank_in_a_request(engine: Any, runtime: Runtime) -> MatchRun:
    with Session(engine, expire_on_commit=False) as session:
        return current_matches_run(
            session=session, enterprise_id=ENTERPRISE, runtime=runtime, principal=ADMIN
        )


def test_a_slower_rescore_does_not_replace_a_newer_run(shared_url: str, runtime: Runtime) -> None:
    engine = make_engine(shared_url)
    gate = Gate()
    gated = gated_runtime(runtime, gate)
    try:
        with session_scope(engine) as session:
            seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
        with session_scope(engine) as session:
            job = enqueue_rescore(session=session, principal=ADMIN, enterprise_ids=[ENTERPRISE])
            job_id = job.id or 0
        assert claim_job(engine, "w", job_id=job_id) == job_id
        outcome: dict[str, str] = {}
        worker = threading.Thread(
            target=lambda: outcome.setdefault("job", run_job(engine, job_id, gated, "w")),
            daemon=True,
        )
        worker.start()
        assert gate.reached.wait(120), "the job never started ranking"
        # The job has read the enterprise and is ranking; the enterprise changes now, and a
        # request ranks it anew (the gate lets later rankings through).
        with session_scope(engine) as session:
            update_enterprise(
                session=session,
                enterprise_id=ENTERPRISE,
                data=EnterpriseUpdate(demands="引入战略投资者，盘活闲置厂房"),
                industries=runtime.industries,
                principal=ADMIN,
            )
        newer = _rank_in_a_request(engine, gated)
        gate.released.set()
        worker.join(HOLD * 3)
        assert outcome.get("job") == "done"
        with Session(engine) as session:
            runs = list(
                session.exec(
                    select(MatchRun)
                    .where(MatchRun.enterprise_id == ENTERPRISE)
                    .order_by(col(MatchRun.id))
                ).all()
            )
            assert [r.id for r in runs if r.is_current] == [newer.id]
            assert not [r for r in runs if r.job_id == job_id]  # the job's older run: dropped
            assert ranking_state(session, ENTERPRISE, gated).current  # and it is of the state now
            finished = get_job(session=session, job_id=job_id)
            assert (finished.status, finished.done, finished.total) == ("done", 1, 1)
        # The next read answers the newer run; nothing is ranked again.
        assert _rank_in_a_request(engine, gated).id == newer.id
    finally:
        gate.released.set()
        engine.dispose()


def test_a_rescore_still_replaces_an_older_run(shared_url: str, runtime: Runtime) -> None:
    """The guard drops only a ranking that is no newer: a job that ranks after a change
    replaces the run stored before it."""
    engine = make_engine(shared_url)
    gate = Gate()
    gate.released.set()  # nothing held
    gated = gated_runtime(runtime, gate)
    try:
        with session_scope(engine) as session:
            seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
        older = _rank_in_a_request(engine, gated)
        with session_scope(engine) as session:
            update_enterprise(
                session=session,
                enterprise_id=ENTERPRISE,
                data=EnterpriseUpdate(demands="引入战略投资者，盘活闲置厂房"),
                industries=runtime.industries,
                principal=ADMIN,
            )
            job = enqueue_rescore(session=session, principal=ADMIN, enterprise_ids=[ENTERPRISE])
            job_id = job.id or 0
        assert claim_job(engine, "w", job_id=job_id) == job_id
        assert run_job(engine, job_id, gated, "w") == "done"
        with Session(engine) as session:
            current = session.exec(
                select(MatchRun).where(
                    MatchRun.enterprise_id == ENTERPRISE, col(MatchRun.is_current)
                )
            ).one()
            assert current.id != older.id and current.job_id == job_id
            assert ranking_state(session, ENTERPRISE, gated).current
    finally:
        engine.dispose()
