"""Re-scoring jobs: rows in the database that any worker may claim and resume.

A job lists its enterprises in a fixed order and keeps `done` as a cursor; each
enterprise's new ranking and the cursor's step are committed together, so a
worker killed midway leaves a job that the next worker resumes exactly where it
stopped.  Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL (several workers
share the queue) and a conditional update on SQLite (one writer at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select, update

from api.auth import Principal
from api.errors import NOT_FOUND, ROLE_FORBIDDEN, Forbidden, NotFound
from api.runtime import Runtime
from api.services.matching import rank_inputs, ranking_input, store_run
from api.services.pool import partner_index
from api.services.triggers import live_enterprise_ids
from models.tables import Enterprise, Job, Match, MatchRun, utcnow

RANK_BLOCK = 32
"""Enterprises ranked together per batch (see matcher.matching.ranking.rank_partners_many)."""

STALE_AFTER = timedelta(seconds=60)
"""A running job whose worker has not reported for this long is taken over."""


def enqueue_rescore(
    *, session: Session, enterprise_ids: list[int] | None, principal: Principal, reason: str = ""
) -> Job:
    """Queue a re-score of the listed enterprises (None: all live ones)."""
    if principal.role not in ("admin", "officer"):
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))
    ids = live_enterprise_ids(session) if enterprise_ids is None else sorted(set(enterprise_ids))
    job = Job(
        enterprise_ids=ids, total=len(ids), reason=reason or "requested", created_by=principal.actor
    )
    session.add(job)
    session.flush()
    return job


def get_job(*, session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(NOT_FOUND.format(entity="任务", id=job_id))
    return job


def claim_job(
    engine: Engine, worker: str, job_id: int | None = None, stale_after: timedelta = STALE_AFTER
) -> int | None:
    """Take the oldest claimable job (or `job_id`); returns its id, or None when idle."""
    now = utcnow()
    with Session(engine) as session:
        query = select(Job).where(
            (col(Job.status) == "queued")
            | ((col(Job.status) == "running") & (col(Job.heartbeat_at) < now - stale_after))
        )
        if job_id is not None:
            query = query.where(Job.id == job_id)
        query = query.order_by(col(Job.id)).limit(1)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job = session.exec(query).first()
        if job is None:
            return None
        claimed = session.exec(  # type: ignore[call-overload]
            update(Job)
            .where(
                col(Job.id) == job.id,
                col(Job.status) == job.status,
                col(Job.claimed_by) == job.claimed_by,
            )
            .values(
                status="running",
                claimed_by=worker,
                heartbeat_at=now,
                started_at=job.started_at or now,
            )
        )
        session.commit()
        return job.id if claimed.rowcount == 1 else None


def _mine(worker: str, job_id: int) -> Any:
    """The condition that this worker still holds the job (every write is guarded by it)."""
    return (
        (col(Job.id) == job_id) & (col(Job.claimed_by) == worker) & (col(Job.status) == "running")
    )


def _set(session: Session, worker: str, job_id: int, extra: Any = True, **values: Any) -> bool:
    result = session.exec(  # type: ignore[call-overload]
        update(Job).where(_mine(worker, job_id) & extra).values(**values)
    )
    return bool(result.rowcount == 1)


def run_job(
    engine: Engine,
    job_id: int,
    runtime: Runtime,
    worker: str,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    block: int = RANK_BLOCK,
) -> str:
    """Work through a claimed job from its cursor to the end, one committed step at a time.

    Enterprises are ranked `block` at a time (one batched ranking: one matrix
    product and shared rule levels), but each step still commits one
    enterprise's new ranking together with the cursor's move, and only while
    this worker holds the job: a worker that lost its claim (taken over as
    abandoned) rolls its step back and leaves.  When `should_stop` says so,
    the job goes back to the queue with its cursor kept, so the next worker
    resumes it at once.

    Returns:
        "done", "released" (stopped on request) or "lost" (another worker has it).
    """
    while True:
        with Session(engine, expire_on_commit=False) as session:
            job = session.get(Job, job_id)
            if job is None or job.claimed_by != worker or job.status != "running":
                return "lost"
            if job.done >= job.total:
                _set(session, worker, job_id, status="done", finished_at=utcnow())
                session.commit()
                return "done"
            if should_stop is not None and should_stop():
                return _release(session, worker, job_id)
            start = job.done
            ids = job.enterprise_ids[start : start + max(block, 1)]
            rows = [session.get(Enterprise, i) for i in ids]
            items = [
                ranking_input(session=session, row=row, runtime=runtime)
                for row in rows
                if row is not None and not row.archived
            ]
            index, version = partner_index(session=session, runtime=runtime)
            results = rank_inputs(items, index=index, runtime=runtime)
            ranked = {item.row.id: (item, r) for item, r in zip(items, results, strict=True)}
            for position, enterprise_id in enumerate(ids, start=start):
                if position > start and should_stop is not None and should_stop():
                    return _release(session, worker, job_id)
                if enterprise_id in ranked:
                    item, results = ranked[enterprise_id]
                    store_run(
                        session=session,
                        item=item,
                        results=results,
                        runtime=runtime,
                        pool_version=version,
                        job_id=job_id,
                    )
                step = col(Job.done) == position
                if not _set(
                    session, worker, job_id, step, done=position + 1, heartbeat_at=utcnow()
                ):
                    session.rollback()
                    return "lost"
                session.commit()
                if progress is not None:
                    progress(position + 1, job.total)


def _release(session: Session, worker: str, job_id: int) -> str:
    """Put the job back in the queue, its cursor where the last committed step left it."""
    session.rollback()  # rankings computed for this block but not stored
    _set(session, worker, job_id, status="queued", claimed_by="")
    session.commit()
    return "released"


def beat(engine: Engine, job_id: int, worker: str) -> None:
    """Tell other workers this job is alive (while a long step runs)."""
    with Session(engine) as session:
        _set(session, worker, job_id, heartbeat_at=utcnow())
        session.commit()


def fail_job(engine: Engine, job_id: int, worker: str, error: str) -> None:
    with Session(engine) as session:
        _set(session, worker, job_id, status="failed", error=error[:2000], finished_at=utcnow())
        session.commit()


def enterprises_ranking_partners(session: Session, partner_ids: list[int]) -> list[int]:
    """Enterprises whose current ranking lists any of these partners."""
    rows = session.exec(
        select(Match.enterprise_id)
        .join(MatchRun, col(MatchRun.id) == col(Match.run_id))
        .where(col(MatchRun.is_current).is_(True), col(Match.partner_id).in_(partner_ids))
    ).all()
    return sorted(set(rows))
