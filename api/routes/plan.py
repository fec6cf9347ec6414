"""The plan of one enterprise (一企一策): category, measures, progress, the overdue list."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Response
from sqlmodel import Session

from api.deps import CasePrincipalDep, IfMatchDep, PrincipalDep, RuntimeDep, SessionDep
from api.etags import etag_for
from api.params import Limit, ObjectId, Offset, SearchText
from api.services import plan as service
from api.services.case_file import gather_case_file
from api.services.case_report import DOCX_MEDIA_TYPE, render_case_docx
from api.services.departments import resolve_department
from api.services.measure_views import plan_decision_out
from api.services.plan_board import local_today, overdue_measures
from models.consultation import Measure
from models.consultation_schemas import (
    MeasureCreate,
    MeasureOut,
    MeasurePage,
    MeasureUpdate,
    PlanCategoryIn,
    PlanDecisionOut,
    PlanOut,
    ProgressIn,
    ProgressOut,
)

router = APIRouter(tags=["plan"])

PLAN_RESPONSES: dict[int | str, dict[str, str]] = {
    412: {"description": "措施已被他人修改（If-Match 或 version 已过时）"},
}


def get_today() -> date:
    """Today in Beijing time; a dependency so a test can move the clock."""
    return local_today()


TodayDep = Annotated[date, Depends(get_today)]


def _measure(session: Session, row: Measure, today: date, response: Response) -> MeasureOut:
    out = service.measure_out(session, row, today=today)
    response.headers["ETag"] = etag_for(out.version)
    return out


@router.get("/enterprises/{enterprise_id:int}/plan", response_model=PlanOut)
def read_plan(
    enterprise_id: ObjectId, session: SessionDep, principal: CasePrincipalDep, today: TodayDep
) -> PlanOut:
    """The plan: its category (and how it was decided), measures with progress, counts."""
    return service.get_plan(
        session=session, enterprise_id=enterprise_id, principal=principal, today=today
    )


@router.put("/enterprises/{enterprise_id:int}/plan/category", response_model=PlanDecisionOut)
def decide_category(
    enterprise_id: ObjectId, body: PlanCategoryIn, session: SessionDep, principal: PrincipalDep
) -> PlanDecisionOut:
    """Set the plan's category from the diagnosis, the override or a department's opinion."""
    row = service.decide_category(
        session=session, enterprise_id=enterprise_id, data=body, principal=principal
    )
    session.commit()
    return plan_decision_out(row)


@router.post(
    "/enterprises/{enterprise_id:int}/plan/measures", status_code=201, response_model=MeasureOut
)
def add_measure(
    enterprise_id: ObjectId,
    body: MeasureCreate,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    response: Response,
) -> MeasureOut:
    """Add a measure (owner department, deadline, optional match); status 未启动."""
    row = service.add_measure(
        session=session, enterprise_id=enterprise_id, data=body, principal=principal
    )
    session.commit()
    return _measure(session, row, today, response)


@router.get("/measures/overdue", response_model=MeasurePage)
def list_overdue(
    session: SessionDep,
    principal: CasePrincipalDep,
    today: TodayDep,
    department: SearchText = None,
    county: SearchText = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> MeasurePage:
    """Open measures past their deadline within the caller's scope, longest overdue first.

    `department` (its id or name) keeps those it is responsible for; `county` one county's.
    """
    owner = (
        resolve_department(
            session=session,
            ref=int(department) if re.fullmatch(r"[0-9]{1,9}", department) else department,
            loc=("query", "department"),
            active_only=False,
        )
        if department
        else None
    )
    rows, total = overdue_measures(
        session=session,
        principal=principal,
        today=today,
        department_id=owner.id if owner else None,
        county=county,
        offset=offset,
        limit=limit,
    )
    return MeasurePage(data=rows, count=total)


@router.get("/measures/{measure_id:int}", response_model=MeasureOut, responses=PLAN_RESPONSES)
def read_measure(
    measure_id: ObjectId,
    session: SessionDep,
    principal: CasePrincipalDep,
    today: TodayDep,
    response: Response,
) -> MeasureOut:
    """One measure with its progress notes; the ETag is what a PATCH sends back in If-Match."""
    row = service.get_measure(session=session, measure_id=measure_id, principal=principal)
    return _measure(session, row, today, response)


@router.patch("/measures/{measure_id:int}", response_model=MeasureOut, responses=PLAN_RESPONSES)
def update_measure(
    measure_id: ObjectId,
    body: MeasureUpdate,
    session: SessionDep,
    principal: CasePrincipalDep,
    today: TodayDep,
    response: Response,
    if_match: IfMatchDep,
) -> MeasureOut:
    """Change status, deadline, title or department; 412 if it changed since you read it."""
    row = service.update_measure(
        session=session,
        measure_id=measure_id,
        data=body,
        if_match=if_match,
        principal=principal,
    )
    session.commit()
    return _measure(session, row, today, response)


@router.post("/measures/{measure_id:int}/progress", status_code=201, response_model=ProgressOut)
def add_progress(
    measure_id: ObjectId, body: ProgressIn, session: SessionDep, principal: CasePrincipalDep
) -> ProgressOut:
    """Append a dated progress note (never edited afterwards)."""
    row = service.add_progress(
        session=session, measure_id=measure_id, note=body.note, principal=principal
    )
    session.commit()
    return ProgressOut(id=row.id or 0, note=row.note, actor=row.actor, at=row.at)


@router.get(
    "/enterprises/{enterprise_id:int}/report.docx",
    response_class=Response,
    responses={200: {"content": {DOCX_MEDIA_TYPE: {}}, "description": "the case document"}},
)
def case_report(
    enterprise_id: ObjectId,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    today: TodayDep,
) -> Response:
    """The case document (Word): profile, diagnosis and opinions, plan, partners, progress."""
    case = gather_case_file(
        session=session,
        enterprise_id=enterprise_id,
        principal=principal,
        runtime=runtime,
        industries=runtime.industries,
        today=today,
    )
    return docx_response(render_case_docx(case), case.enterprise.name)


def docx_response(content: bytes, enterprise_name: str) -> Response:
    """An attachment named after the enterprise (UTF-8 name, with an ASCII fallback)."""
    filename = f"{enterprise_name}-联动诊疗报告.docx"
    disposition = f"attachment; filename=case-report.docx; filename*=UTF-8''{quote(filename)}"
    return Response(
        content, media_type=DOCX_MEDIA_TYPE, headers={"Content-Disposition": disposition}
    )
