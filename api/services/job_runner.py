"""Running the re-score queue: claim a job, work through it, hand it back or end it.

A job lists its enterprises in a fixed order and keeps `done` as a cursor; each
enterprise's new ranking and the cursor's step are committed together, so a
worker killed midway leaves a job that the next worker resumes exactly where it
stopped.  Every write of a worker is guarded by "this worker still holds the
job and it is running": a cancel (status `cancelled`) or a takeover stops it at
its next step with nothing half-written.  A step that meets a locked database
(api.services.transient) is tried again from the cursor after a pause; only
another error, or one that outlasts the retries, fails the job for good.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select, update

from api.runtime import Runtime
from api.services.config_state import sync_runtime
from api.services.diagnosis_models import sync_diagnosis_model
from api.services.embedding_jobs import EMBED_KIND, run_embedding_job
from api.services.job_turns import next_candidates, other_owner_waiting
from api.services.matching import (
    current_run_ids,
    rank_inputs,
    ranking_input,
    store_unless_superseded,
)
from api.services.pool import partner_index
from api.services.transient import Backoff, is_transient, retry_transient
from matcher.matching.pool import LevelMemo
from models.tables import Enterprise, Job, utcnow

log = logging.getLogger("api.jobs")

RANK_BLOCK = 32
"""Enterprises ranked together per batch (see matcher.matching.ranking.rank_partners_many)."""

STALE_AFTER = timedelta(seconds=60)
"""A running job whose worker has not reported for this long is taken over."""

DEFAULT_BACKOFF = Backoff()


def claim_job(
    engine: Engine, worker: str, job_id: int | None = None, stale_after: timedelta = STALE_AFTER
) -> int | None:
    """Take the next job in fair order (or `job_id`); returns its id, or None when idle.

    Each candidate is taken with a conditional UPDATE on the status and holder
    it was read with: of two workers reaching for the same job, one updates a
    row and the other none (PostgreSQL re-checks the condition once the first
    commits; SQLite has one writer at a time), and the loser tries the next.
    """
    now = utcnow()
    with Session(engine) as session:
        for job in next_candidates(session, now=now, stale_after=stale_after, job_id=job_id):
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
                    turn_at=now,
                    started_at=job.started_at or now,
                )
            )
            if claimed.rowcount == 1:
                session.commit()
                return job.id
        session.rollback()
        return None


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


def _gone(session: Session, job_id: int) -> str:
    """Why a guarded write failed: "cancelled" (by a user) or "lost" (another worker has it)."""
    session.rollback()
    status = session.exec(select(Job.status).where(Job.id == job_id)).first()
    return "cancelled" if status == "cancelled" else "lost"


def _release(session: Session, worker: str, job_id: int, outcome: str = "released") -> str:
    """Put the job back in the queue, its cursor where the last committed step left it."""
    session.rollback()  # rankings computed for this block but not stored
    if not _set(session, worker, job_id, status="queued", claimed_by=""):
        return _gone(session, job_id)
    session.commit()
    return outcome


class _Turn:
    """One worker's turn at one job: its blocks, and how many steps it has committed."""

    def __init__(
        self,
        engine: Engine,
        job_id: int,
        runtime: Runtime,
        worker: str,
        progress: Callable[[int, int], None] | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self.engine, self.job_id, self.runtime, self.worker = engine, job_id, runtime, worker
        self.progress, self.should_stop = progress, should_stop
        self.steps = 0
        self.memo = LevelMemo()
        """Level arrays shared by the turn's blocks (emptied when the pool or config changes)."""

    def _stopping(self) -> bool:
        return self.should_stop is not None and self.should_stop()

    def block(self, size: int) -> str | None:
        """Rank the next `size` enterprises and commit them one step each; None: more to do."""
        with Session(self.engine, expire_on_commit=False) as session:
            job = session.get(Job, self.job_id)
            if job is None or job.claimed_by != self.worker or job.status != "running":
                return "cancelled" if job is not None and job.status == "cancelled" else "lost"
            if job.done >= job.total:
                if not _set(session, self.worker, self.job_id, status="done", finished_at=utcnow()):
                    return _gone(session, self.job_id)
                session.commit()
                return "done"
            if self._stopping():
                return _release(session, self.worker, self.job_id)
            start = job.done
            ids = job.enterprise_ids[start : start + max(size, 1)]
            ranked = self._rank(session, ids, job.counties)
            for position, enterprise_id in enumerate(ids, start=start):
                if position > start and self._stopping():
                    return _release(session, self.worker, self.job_id)
                if enterprise_id in ranked:
                    item, results, version, pending, seen_id = ranked[enterprise_id]
                    # A request may have stored a newer ranking while this block ranked:
                    # that one stands (the step still counts: the enterprise is ranked).
                    store_unless_superseded(
                        session=session,
                        item=item,
                        results=results,
                        runtime=self.runtime,
                        pool_version=version,
                        seen_id=seen_id,
                        job_id=self.job_id,
                        pending_embeddings=pending,
                    )
                step = col(Job.done) == position
                moved = {"done": position + 1, "heartbeat_at": utcnow()}
                if not _set(session, self.worker, self.job_id, step, **moved):
                    return _gone(session, self.job_id)
                session.commit()
                self.steps += 1
                if self.progress is not None:
                    self.progress(position + 1, job.total)
        return None

    def _rank(self, session: Session, ids: list[int], counties: list[str]) -> dict[int, Any]:
        """New rankings of the live enterprises among `ids` within the job's scope."""
        sync_runtime(session, self.runtime)  # an activation since the last block: follow it
        sync_diagnosis_model(session, self.runtime)
        seen = current_run_ids(session, ids)  # before the inputs: any run stored later is newer
        rows = [session.get(Enterprise, i) for i in ids]
        # The index first: a rebuild after a pool change takes a while, and the inputs below
        # may write (a diagnosis), which on SQLite holds the lock until the commit.
        index, version = partner_index(session=session, runtime=self.runtime)
        items = [
            ranking_input(session=session, row=row, runtime=self.runtime)
            for row in rows
            if row is not None and not row.archived and (not counties or row.county in counties)
        ]
        # Preparing the inputs may have written (a diagnosis, a vector encoded inline): commit
        # them now, so SQLite's one write lock is not held while the block is ranked and a
        # request that writes meanwhile (a page diagnosing, a review) does not wait for it.
        session.commit()
        results = rank_inputs(items, index=index, runtime=self.runtime, memo=self.memo)
        pending = index.pending_count
        return {
            item.row.id: (item, r, version, pending, seen.get(item.row.id))
            for item, r in zip(items, results, strict=True)
        }

    def hand_over(self, stale_after: timedelta) -> str | None:
        """At a slice's end: "yielded" if another owner's job waits (this one requeued)."""
        with Session(self.engine) as session:
            job = session.get(Job, self.job_id)
            if job is None or job.done >= job.total:  # nothing left: the next block ends it
                return None
            if not other_owner_waiting(
                session, owner=job.created_by, now=utcnow(), stale_after=stale_after
            ):
                return None
            return _release(session, self.worker, self.job_id, outcome="yielded")


def run_job(
    engine: Engine,
    job_id: int,
    runtime: Runtime,
    worker: str,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    block: int = RANK_BLOCK,
    *,
    slice_size: int | None = None,
    stale_after: timedelta = STALE_AFTER,
    backoff: Backoff = DEFAULT_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Work through a claimed job from its cursor, one committed step at a time.

    Enterprises are ranked `block` at a time (one batched ranking: one matrix
    product and shared rule levels), but each step still commits one
    enterprise's new ranking together with the cursor's move, and only while
    this worker holds the job.  When `should_stop` says so, the job goes back
    to the queue with its cursor kept.  After `slice_size` steps (None: never)
    the job goes back to the queue if another owner's job is waiting, so that
    one gets the worker next.  A transient database error (a lock) redoes the
    block from the cursor after a pause from `backoff`; the retries start
    afresh once a step commits again.

    An `embed` job (api.services.embedding_jobs) runs its own loop instead.

    Returns:
        "done", "released" (stopped on request), "yielded" (its slice is over
        and another owner waits), "cancelled" (by a user) or "lost" (another
        worker has it).
    """
    with Session(engine) as session:
        kind = session.exec(select(Job.kind).where(Job.id == job_id)).first()
    if kind == EMBED_KIND:
        return run_embedding_job(engine, job_id, runtime, worker, progress, should_stop)
    turn = _Turn(engine, job_id, runtime, worker, progress, should_stop)
    delays, steps_seen, slice_start = backoff.delays(), 0, 0
    while True:
        size = block
        if slice_size is not None:
            size = min(block, max(slice_size - (turn.steps - slice_start), 1))
        try:
            outcome = turn.block(size)
            if outcome is None and slice_size is not None:
                if turn.steps - slice_start >= slice_size:
                    outcome = turn.hand_over(stale_after)
                    slice_start = turn.steps
        except Exception as error:
            if turn.steps > steps_seen:  # it got somewhere since the last error: retries anew
                delays, steps_seen = backoff.delays(), turn.steps
            delay = next(delays, None) if is_transient(error) else None
            if delay is None:
                raise
            log.warning("job %s: %s; trying again in %.1f s", job_id, error, delay)
            sleep(delay)
            continue
        if outcome is not None:
            return outcome


def beat(engine: Engine, job_id: int, worker: str) -> None:
    """Tell other workers this job is alive (while a long step runs)."""
    with Session(engine) as session:
        _set(session, worker, job_id, heartbeat_at=utcnow())
        session.commit()


def fail_job(
    engine: Engine,
    job_id: int,
    worker: str,
    error: str,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> None:
    """Mark the job failed for good (retrying a locked database, so it never stays running)."""

    def write() -> None:
        with Session(engine) as session:
            _set(session, worker, job_id, status="failed", error=error[:2000], finished_at=utcnow())
            session.commit()

    retry_transient(write, backoff=backoff)
