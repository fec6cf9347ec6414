from __future__ import annotations

from fastapi import APIRouter, Body, Request

from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.params import Limit, ObjectId, Offset
from api.services import jobs as service
from models.enums import JobStatus
from models.results import JobAccepted, JobOut, RescoreIn
from models.schemas import Page
from models.tables import Job

router = APIRouter(prefix="/jobs", tags=["jobs"])


def job_out(job: Job) -> JobOut:
    assert job.id is not None
    return JobOut(
        job_id=job.id,
        status=job.status,  # type: ignore[arg-type]
        done=job.done,
        total=job.total,
        reason=job.reason,
        error=job.error,
        created_by=job.created_by,
        counties=job.counties,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


NOT_VISIBLE = {404: {"description": "no such job, or another caller's (ids do not leak)"}}


@router.post(
    "/rescore",
    status_code=202,
    response_model=JobAccepted,
    responses={
        403: {"description": "ids outside the caller's counties (or unknown to a scoped caller)"},
        422: {"description": "unknown ids, or more than LD_RESCORE_MAX_IDS in a list"},
        429: {"description": "the caller already has LD_JOB_QUEUE_PER_OWNER jobs waiting"},
    },
)
def rescore(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    body: RescoreIn | None = Body(default=None),  # noqa: B008 - FastAPI's idiom
) -> JobAccepted:
    """Re-score the caller's enterprises: all (no body), the listed, or those ranking partners."""
    job = service.enqueue_rescore(
        session=session,
        principal=principal,
        enterprise_ids=body.enterprise_ids if body else None,
        partner_ids=body.partner_ids if body else None,
        reason="partners changed" if body and body.partner_ids is not None else "requested",
        limits=service.RescoreLimits(
            max_ids=settings.rescore_max_ids, queued_per_owner=settings.job_queue_per_owner
        ),
    )
    session.commit()
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()
    assert job.id is not None
    return JobAccepted(job_id=job.id)


@router.get("", response_model=Page[JobOut])
def list_jobs(
    session: SessionDep,
    principal: PrincipalDep,
    status: JobStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[JobOut]:
    """The caller's own jobs (an admin: everyone's), newest first."""
    rows, total = service.list_jobs(
        session=session, principal=principal, status=status, offset=offset, limit=limit
    )
    return Page[JobOut](data=[job_out(r) for r in rows], count=total)


@router.get("/{job_id:int}", response_model=JobOut, responses=NOT_VISIBLE)
def read_job(job_id: ObjectId, session: SessionDep, principal: PrincipalDep) -> JobOut:
    """A job's state and progress (done of total)."""
    return job_out(service.get_visible_job(session=session, job_id=job_id, principal=principal))


@router.post(
    "/{job_id:int}/cancel",
    response_model=JobOut,
    responses={**NOT_VISIBLE, 409: {"description": "the job has already ended"}},
)
def cancel_job(job_id: ObjectId, session: SessionDep, principal: PrincipalDep) -> JobOut:
    """Cancel a queued job (it never starts) or a running one (it stops after its current step)."""
    job = service.cancel_job(session=session, job_id=job_id, principal=principal)
    session.commit()
    return job_out(job)
