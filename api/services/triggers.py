"""Automatic re-scores: a change to a partner or an enterprise queues the rankings it affects.

Only enterprises that already have a ranking are queued (the others are ranked
on first request anyway), and changes made while a job is still queued widen
that job instead of piling up new ones.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.auth import SYSTEM_ACTOR
from models.tables import Job, MatchRun

AUTO_REASON = "profile or pool changed"


def ranked_enterprise_ids(session: Session, among: list[int] | None = None) -> list[int]:
    query = select(MatchRun.enterprise_id).where(col(MatchRun.is_current).is_(True))
    if among is not None:
        query = query.where(col(MatchRun.enterprise_id).in_(among))
    return sorted(set(session.exec(query).all()))


def queue_automatic_rescore(
    *, session: Session, enterprise_ids: list[int] | None, reason: str = AUTO_REASON
) -> Job | None:
    """Queue the re-score of the ranked enterprises among `enterprise_ids` (None: all)."""
    ids = ranked_enterprise_ids(session, enterprise_ids)
    if not ids:
        return None
    waiting = session.exec(
        select(Job).where(Job.status == "queued", Job.reason == reason, Job.done == 0)
    ).first()
    if waiting is not None:
        merged = sorted(set(waiting.enterprise_ids) | set(ids))
        waiting.enterprise_ids, waiting.total = merged, len(merged)
        session.add(waiting)
        session.flush()
        return waiting
    job = Job(enterprise_ids=ids, total=len(ids), reason=reason, created_by=SYSTEM_ACTOR)
    session.add(job)
    session.flush()
    return job
