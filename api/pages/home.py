"""The dashboard, the pipeline board, re-score jobs and the static files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from api.auth import Principal
from api.deps import SessionDep, SettingsDep
from api.errors import NOT_FOUND, NotFound
from api.pages.charts import column_chart, horizontal_bars
from api.pages.common import (
    CasePagePrincipal,
    PagePrincipal,
    PageRoute,
    PostedForm,
    form_text,
    redirect,
    render,
    safe_next,
)
from api.params import ObjectId, SearchText
from api.routes.jobs import job_out
from api.services import dashboard, jobs, plan_board
from api.services.decision_report import decision_report
from api.services.reviews import allowed_next
from matcher.vocab import CATEGORIES, REVIEW_STATUSES
from models.results import JobOut

router = APIRouter(route_class=PageRoute)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
RESCORE_QUEUED = "已提交重新评分任务 #{id}（{total} 家企业）"
JOB_CANCELLED = "已取消重新评分任务 #{id}（已完成的部分保留）"


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/ui", status_code=307)


@router.get("/ui/static/{name}", include_in_schema=False)
def static_file(name: str) -> FileResponse:
    """The page's own CSS and JavaScript (nothing is fetched from elsewhere)."""
    path = STATIC_DIR / name
    if "/" in name or name.startswith(".") or path.suffix not in STATIC_TYPES or not path.is_file():
        raise NotFound(NOT_FOUND.format(entity="文件", id=name))
    return FileResponse(
        path, media_type=STATIC_TYPES[path.suffix], headers={"Cache-Control": "max-age=300"}
    )


@router.get("/ui", response_class=HTMLResponse, response_model=None)
def dashboard_page(
    request: Request,
    session: SessionDep,
    principal: CasePagePrincipal,
    settings: SettingsDep,
    job: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse | RedirectResponse:
    """Counts per county, category and stage, measures, and the overdue follow-ups."""
    if principal.is_department:  # a department's work is its invited cases
        return RedirectResponse("/ui/enterprises", status_code=303)
    registry = request.app.state.runtime.registry
    counts = dashboard.dashboard_counts(session=session, principal=principal)
    categories = [(CATEGORIES.get(c, c), n) for c, n in counts.by_category]
    if counts.undiagnosed:
        categories.append(("未诊断", counts.undiagnosed))
    context: dict[str, Any] = {
        "counts": counts,
        "stages": dict(counts.by_stage),
        "county_bars": horizontal_bars(counts.by_county),
        "category_bars": horizontal_bars(categories),
        "stage_bars": horizontal_bars([(REVIEW_STATUSES[s], n) for s, n in counts.by_stage]),
        "signed_chart": column_chart(counts.signed_by_month),
        "job_id": job,
        "decisions": decision_report(session=session, principal=principal, registry=registry),
        **_follow_ups(session, principal, settings.follow_up_days),
    }
    return render(request, "dashboard.html", context)


FOLLOW_UPS_SHOWN = 10


def _follow_ups(session: SessionDep, principal: Principal, days: float) -> dict[str, Any]:
    """Open and overdue measures per department and county, and what is overdue now."""
    today = plan_board.local_today()
    reviews = dashboard.pipeline_cards(session=session, principal=principal, stale_days=days)
    measures, measures_total = plan_board.overdue_measures(
        session=session, principal=principal, today=today, limit=FOLLOW_UPS_SHOWN
    )
    return {
        "measures": plan_board.measure_summary(session=session, principal=principal, today=today),
        "overdue_reviews": reviews[:FOLLOW_UPS_SHOWN],
        "overdue_reviews_count": len(reviews),
        "overdue_measures": measures,
        "overdue_measures_count": measures_total,
        "follow_up_days": days,
        "today": today,
    }


@router.get("/ui/pipeline", response_class=HTMLResponse)
def pipeline_page(
    request: Request, session: SessionDep, principal: PagePrincipal, county: SearchText = None
) -> HTMLResponse:
    """The board: one column per lifecycle stage (入选 → 落地, and 不合适)."""
    cards = dashboard.pipeline_cards(session=session, principal=principal, county=county)
    columns = {status: [] for status in dashboard.BOARD_COLUMNS}
    for card in cards:
        columns.setdefault(card.status, []).append(card)
    context = {
        "columns": columns,
        "county": county or "",
        "counties": _counties(session, principal),
        "allowed_next": allowed_next,
    }
    return render(request, "pipeline.html", context)


def _counties(session: SessionDep, principal: Principal) -> list[str]:
    return sorted(set(dashboard.visible_counties(session, principal)) | set(principal.counties))


@router.post("/ui/rescore")
def rescore(
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    settings: SettingsDep,
    form: PostedForm,
) -> RedirectResponse:
    """Queue a re-score of one enterprise, or of every enterprise the caller may see."""
    raw = form_text(form, "enterprise_id")
    back = safe_next(form_text(form, "back"))
    ids = [int(raw)] if raw.isdigit() and 0 < int(raw) < 2**31 else None
    job = jobs.enqueue_rescore(
        session=session,
        principal=principal,
        enterprise_ids=ids,
        reason="requested (page)",
        limits=jobs.RescoreLimits(
            max_ids=settings.rescore_max_ids, queued_per_owner=settings.job_queue_per_owner
        ),
    )
    session.commit()
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()
    separator = "&" if "?" in back else "?"
    message = RESCORE_QUEUED.format(id=job.id, total=job.total)
    return redirect(f"{back}{separator}job={job.id}", message)


@router.get("/ui/jobs/{job_id}", response_model=JobOut)
def job_state(job_id: ObjectId, session: SessionDep, principal: PagePrincipal) -> JobOut:
    """The job's progress as JSON, for the page's progress bar (the cookie signs it in)."""
    return job_out(jobs.get_visible_job(session=session, job_id=job_id, principal=principal))


@router.post("/ui/jobs/{job_id}/cancel")
def cancel_job(
    job_id: ObjectId, session: SessionDep, principal: PagePrincipal, form: PostedForm
) -> RedirectResponse:
    """Cancel the job from its progress bar, then back to the page it was shown on."""
    back = safe_next(form_text(form, "back"))
    jobs.cancel_job(session=session, job_id=job_id, principal=principal)
    session.commit()
    return redirect(back, JOB_CANCELLED.format(id=job_id))
