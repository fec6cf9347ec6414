"""Whose job a worker takes next: round-robin between owners, oldest job first within one.

Without this the queue was first come, first served: one officer's 100,000 ids
kept another county's one-enterprise job waiting for eleven minutes.  Now each
owner (the actor who asked; "system" for automatic re-scores) takes turns: a
worker takes the waiting job of the owner it served longest ago (never served
counts as longest), and a running job hands the worker back after a slice of
enterprises whenever another owner is waiting (api.services.job_runner), so a
small job queued behind a big one of someone else waits for one slice, not for
the whole big job.  Within one owner, jobs run in the order they were asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.tables import Job


def claimable(now: datetime, stale_after: timedelta) -> Any:
    """Queued jobs, and running ones whose worker has been silent too long (taken over)."""
    return (col(Job.status) == "queued") | (
        (col(Job.status) == "running") & (col(Job.heartbeat_at) < now - stale_after)
    )


def _last_turns(session: Session, owners: set[str]) -> dict[str, datetime]:
    """When each owner last had a worker (over all its jobs, finished ones included)."""
    rows = session.exec(
        select(Job.created_by, func.max(Job.turn_at))
        .where(col(Job.created_by).in_(owners), col(Job.turn_at).is_not(None))
        .group_by(col(Job.created_by))
    ).all()
    return {owner: turn for owner, turn in rows if turn is not None}


def _naive(moment: datetime) -> datetime:
    """Comparable across backends (SQLite hands timestamps back without their zone)."""
    return moment.replace(tzinfo=None)


def next_candidates(
    session: Session, *, now: datetime, stale_after: timedelta, job_id: int | None = None
) -> list[Any]:
    """Claimable jobs in the order a worker should try them (or just `job_id`, if claimable).

    Rows with what a claim needs (id, status, claimed_by, created_by,
    started_at), not whole jobs: their id lists may be long.
    """
    query = select(Job.id, Job.status, Job.claimed_by, Job.created_by, Job.started_at).where(
        claimable(now, stale_after)
    )
    if job_id is not None:
        query = query.where(Job.id == job_id)
    jobs = list(session.exec(query.order_by(col(Job.id))).all())
    turns = _last_turns(session, {j.created_by for j in jobs})
    never = datetime.min

    def order(job: Any) -> tuple[datetime, int]:
        turn = turns.get(job.created_by)
        return (never if turn is None else _naive(turn), job.id)

    return sorted(jobs, key=order)


def other_owner_waiting(
    session: Session, *, owner: str, now: datetime, stale_after: timedelta
) -> bool:
    """Whether a job of someone other than `owner` is waiting for a worker."""
    query = select(Job.id).where(claimable(now, stale_after), col(Job.created_by) != owner)
    return session.exec(query.limit(1)).first() is not None
