"""Re-score jobs as users see them: asked for, listed, read and cancelled.

A job belongs to its owner (who asked: `created_by`, and the token) and to the
county scope the owner had; only the owner or an admin sees or cancels it, and
requests are held to the caller's counties (api.services.job_scope).  Workers
run the queue in api.services.job_runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, true
from sqlmodel import Session, col, select, update

from api.auth import Principal
from api.errors import (
    JOB_ALREADY_ENDED,
    JOB_QUEUE_FULL,
    NOT_FOUND,
    ROLE_FORBIDDEN,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
)
from api.services.audit import record_audit
from api.services.job_scope import resolve_rescore, scope_of
from api.services.paging import paginate
from models.enums import JOB_STATUSES
from models.tables import Job, utcnow

ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class RescoreLimits:
    """What one caller may ask of the queue (settings rescore_max_ids, job_queue_per_owner)."""

    max_ids: int = 10_000
    queued_per_owner: int = 5


def enqueue_rescore(
    *,
    session: Session,
    principal: Principal,
    enterprise_ids: list[int] | None,
    partner_ids: list[int] | None = None,
    reason: str = "",
    limits: RescoreLimits = RescoreLimits(),  # noqa: B008 - frozen, so safely shared
) -> Job:
    """Queue a re-score within the caller's counties (both lists None: all of them); audited.

    See api.services.job_scope for what the caller may name and how refusals read.
    """
    if principal.role not in ("admin", "officer"):
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))
    ids = resolve_rescore(
        session=session,
        principal=principal,
        enterprise_ids=enterprise_ids,
        partner_ids=partner_ids,
        max_ids=limits.max_ids,
    )
    waiting = session.exec(
        select(func.count())
        .select_from(Job)
        .where(Job.created_by == principal.actor, col(Job.status).in_(ACTIVE))
    ).one()
    if waiting >= limits.queued_per_owner:
        raise TooManyRequests(JOB_QUEUE_FULL.format(count=waiting, limit=limits.queued_per_owner))
    counties = list(scope_of(principal))
    job = Job(
        enterprise_ids=ids,
        total=len(ids),
        reason=reason or "requested",
        created_by=principal.actor,
        owner_token_id=principal.token_id,
        counties=counties,
    )
    session.add(job)
    session.flush()
    asked = "all" if enterprise_ids is None and partner_ids is None else "listed"
    record_audit(
        session=session,
        actor=principal.actor,
        action="rescore",
        entity="job",
        entity_id=job.id,
        changes={
            "reason": job.reason,
            "asked": asked,
            "enterprises": len(ids),
            "enterprise_ids": len(set(enterprise_ids or ())),
            "partner_ids": len(set(partner_ids or ())),
            "counties": counties,
        },
    )
    return job


def get_job(*, session: Session, job_id: int) -> Job:
    """Any job by id, for the worker and the CLI (callers on behalf of a user: get_visible_job)."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(NOT_FOUND.format(entity="任务", id=job_id))
    return job


def _visible_to(principal: Principal) -> Any:
    """Own jobs (the same token, or the same actor for tokenless principals); an admin's: all."""
    if principal.role == "admin":
        return true()
    if principal.token_id is not None:
        return col(Job.owner_token_id) == principal.token_id
    return col(Job.created_by) == principal.actor


def get_visible_job(*, session: Session, job_id: int, principal: Principal) -> Job:
    """The job if the caller may see it; another's is 404 like a missing one (ids do not leak)."""
    job = session.exec(select(Job).where(Job.id == job_id, _visible_to(principal))).first()
    if job is None:
        raise NotFound(NOT_FOUND.format(entity="任务", id=job_id))
    return job


def list_jobs(
    *,
    session: Session,
    principal: Principal,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Job], int]:
    """The jobs the caller may see, newest first."""
    query = select(Job).where(_visible_to(principal))
    if status:
        query = query.where(Job.status == status)
    return paginate(session, query, order_by=col(Job.id).desc(), offset=offset, limit=limit)


def cancel_job(*, session: Session, job_id: int, principal: Principal) -> Job:
    """Cancel a queued or running job (its owner or an admin); audited.

    One conditional UPDATE decides it, so a cancel racing the worker's last step
    either wins (the worker's guarded write then fails and it stops, keeping the
    steps already committed) or finds the job ended (409).
    """
    job = get_visible_job(session=session, job_id=job_id, principal=principal)
    before = job.status
    cancelled = session.exec(  # type: ignore[call-overload]
        update(Job)
        .where(col(Job.id) == job_id, col(Job.status).in_(ACTIVE))
        .values(status="cancelled", finished_at=utcnow())
    )
    session.refresh(job)
    if cancelled.rowcount != 1:
        label = JOB_STATUSES.get(job.status, job.status)
        raise Conflict(JOB_ALREADY_ENDED.format(id=job_id, status=label))
    record_audit(
        session=session,
        actor=principal.actor,
        action="cancel",
        entity="job",
        entity_id=job_id,
        changes={
            "status": [before, "cancelled"],
            "owner": job.created_by,
            "done": job.done,
            "enterprises": job.total,
            "counties": job.counties,
        },
    )
    return job
