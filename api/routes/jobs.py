from __future__ import annotations

from fastapi import APIRouter, Body, Request

from api.deps import PrincipalDep, SessionDep
from api.params import ObjectId
from api.services import jobs as service
from models.results import JobAccepted, JobOut, RescoreIn
from models.tables import Job

router = APIRouter(prefix="/jobs", tags=["jobs"])


def job_out(job: Job) -> JobOut:
    assert job.id is not None
    return JobOut(
        job_id=job.id,
        status=job.status,
        done=job.done,
        total=job.total,  # type: ignore[arg-type]
        reason=job.reason,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.post("/rescore", status_code=202, response_model=JobAccepted)
def rescore(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    body: RescoreIn | None = Body(default=None),  # noqa: B008 - FastAPI's idiom
) -> JobAccepted:
    """Re-score all enterprises, the listed ones, or those ranking the listed partners."""
    ids = body.enterprise_ids if body else None
    reason = "requested"
    if body and body.partner_ids is not None:
        ids = sorted(
            set(ids or []) | set(service.enterprises_ranking_partners(session, body.partner_ids))
        )
        reason = "partners changed"
    job = service.enqueue_rescore(
        session=session, enterprise_ids=ids, principal=principal, reason=reason
    )
    session.commit()
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()
    assert job.id is not None
    return JobAccepted(job_id=job.id)


@router.get("/{job_id}", response_model=JobOut)
def read_job(job_id: ObjectId, session: SessionDep, principal: PrincipalDep) -> JobOut:
    """A job's state and progress (done of total)."""
    return job_out(service.get_job(session=session, job_id=job_id))
