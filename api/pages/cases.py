"""The consultation (会诊) and plan (一企一策) on the enterprise page, and the case document.

Forms post here, go through the same schemas and services as the JSON API,
and come back to the section they were sent from with a message: a refusal
names the field in Chinese, nothing typed is half-saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from api.auth import Principal
from api.deps import IndustriesDep, RuntimeDep, SessionDep
from api.errors import DomainError, FieldInvalid
from api.pages.common import (
    CasePagePrincipal,
    PagePrincipal,
    PageRoute,
    PostedForm,
    form_text,
    redirect,
)
from api.pages.common import render as render_page
from api.params import ObjectId
from api.routes.plan import docx_response
from api.services import consultation, departments, plan
from api.services.case_file import gather_case_file
from api.services.case_report import render_case_docx
from api.services.diagnoses import find_latest_diagnosis
from api.services.plan_board import local_today
from api.services.spreadsheets import error_text
from matcher.vocab import CATEGORIES, MEASURE_STATUSES, PLAN_CATEGORY_SOURCES
from models.consultation_schemas import (
    MeasureCreate,
    MeasureUpdate,
    OpinionIn,
    PlanCategoryIn,
    ProgressIn,
)

router = APIRouter(prefix="/ui", route_class=PageRoute)

FIELD_LABELS = {
    "title": "措施",
    "department": "部门",
    "due_date": "完成时限",
    "match_id": "对接合作主体",
    "opinion": "意见",
    "category": "建议类别",
    "proposed_measures": "建议措施",
    "note": "说明",
    "status": "状态",
    "source": "类别依据",
    "opinion_id": "部门意见",
}
INVITED = "已邀请“{name}”参加会诊"
OPINION_SAVED = "已记录“{name}”的意见"
MEASURE_ADDED = "已添加措施“{title}”"
STATUS_SET = "已将“{title}”标记为“{status}”"
PROGRESS_SAVED = "已记录进展"
CATEGORY_SET = "方案施策类别：{category}（依据：{source}）"


def _problem(error: ValidationError | FieldInvalid) -> str:
    """The first problem as “字段：说明”."""
    if isinstance(error, FieldInvalid):
        field = str(error.loc[-1])
        return f"{FIELD_LABELS.get(field, field)}：{error.message}"
    item = error.errors()[0]
    names = [p for p in item.get("loc", ()) if isinstance(p, str) and p in FIELD_LABELS]
    field = names[0] if names else ""
    kind = str(item.get("type", ""))
    text = "须为日期（如 2026-06-30）" if kind.startswith("date") else error_text(item)
    return f"{FIELD_LABELS.get(field, field)}：{text}" if field else text


def _parse(model: type[BaseModel], payload: Mapping[str, Any]) -> Any:
    return model.model_validate({k: v for k, v in payload.items() if v not in ("", None)})


def _department_ref(value: str) -> int | str | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else value or None


def _form(form: FormData, *names: str) -> dict[str, str]:
    return {name: form_text(form, name).strip() for name in names}


def _act(
    session: Session, back: str, done: str | Callable[[], str], action: Callable[[], None]
) -> RedirectResponse:
    """Run a write; commit and say so, or come back with the reason (403/404 become pages)."""
    try:
        action()
    except (ValidationError, FieldInvalid) as error:
        session.rollback()
        return redirect(back, _problem(error), "error")
    except DomainError as error:
        session.rollback()
        if error.status_code in (403, 404):
            raise
        return redirect(back, error.message, "error")
    session.commit()
    return redirect(back, done() if callable(done) else done)


@router.post("/enterprises/{enterprise_id}/case/invite")
def invite(
    enterprise_id: ObjectId, session: SessionDep, principal: PagePrincipal, posted: PostedForm
) -> RedirectResponse:
    """Invite a department to the consultation (opens it if needed)."""
    form = _form(posted, "department")
    ref = _department_ref(form["department"])
    names: list[str] = []

    def act() -> None:
        if ref is None:
            raise FieldInvalid(("body", "department"), "请选择部门")
        row, _ = consultation.invite_by_ref(
            session=session, enterprise_id=enterprise_id, ref=ref, note="", principal=principal
        )
        names.extend(departments.department_names(session, {row.department_id}).values())

    back = f"/ui/enterprises/{enterprise_id}#case"
    return _act(session, back, lambda: INVITED.format(name="".join(names)), act)


@router.post("/enterprises/{enterprise_id}/opinions")
def add_opinion(
    enterprise_id: ObjectId, session: SessionDep, principal: CasePagePrincipal, posted: PostedForm
) -> RedirectResponse:
    """Record a department's opinion (a department token gives its own)."""
    form = _form(posted, "department", "opinion", "category", "proposed_measures")
    saved: list[str] = []

    def act() -> None:
        data = _parse(OpinionIn, {**form, "department": _department_ref(form["department"])})
        row = consultation.add_opinion(
            session=session, enterprise_id=enterprise_id, data=data, principal=principal
        )
        saved.extend(departments.department_names(session, {row.department_id}).values())

    back = f"/ui/enterprises/{enterprise_id}#case"
    return _act(session, back, lambda: OPINION_SAVED.format(name="".join(saved)), act)


@router.post("/enterprises/{enterprise_id}/plan/category")
def decide_category(
    enterprise_id: ObjectId, session: SessionDep, principal: PagePrincipal, posted: PostedForm
) -> RedirectResponse:
    """Take the plan's category from the diagnosis, the override or an opinion."""
    form = _form(posted, "source", "opinion_id")
    decided: list[str] = []

    def act() -> None:
        row = plan.decide_category(
            session=session,
            enterprise_id=enterprise_id,
            data=_parse(PlanCategoryIn, form),
            principal=principal,
        )
        source = PLAN_CATEGORY_SOURCES.get(row.source, row.source)
        decided.append(CATEGORY_SET.format(category=CATEGORIES[row.category], source=source))

    return _act(session, f"/ui/enterprises/{enterprise_id}#plan", lambda: decided[0], act)


@router.post("/enterprises/{enterprise_id}/plan/measures")
def add_measure(
    enterprise_id: ObjectId, session: SessionDep, principal: PagePrincipal, posted: PostedForm
) -> RedirectResponse:
    """Add a measure to the plan."""
    form = _form(posted, "title", "department", "due_date", "match_id")

    def act() -> None:
        data = _parse(MeasureCreate, {**form, "department": _department_ref(form["department"])})
        plan.add_measure(
            session=session, enterprise_id=enterprise_id, data=data, principal=principal
        )

    back = f"/ui/enterprises/{enterprise_id}#plan"
    return _act(session, back, MEASURE_ADDED.format(title=form["title"][:200]), act)


@router.post("/measures/{measure_id}/status")
def set_status(
    measure_id: ObjectId, session: SessionDep, principal: CasePagePrincipal, posted: PostedForm
) -> RedirectResponse:
    """Move a measure (推进中, 已完成, 已取消…), based on the version the page showed."""
    form = _form(posted, "status", "version")
    row = plan.get_measure(session=session, measure_id=measure_id, principal=principal)
    title, back = row.title, f"/ui/enterprises/{row.enterprise_id}#measure-{measure_id}"

    def act() -> None:
        data = _parse(MeasureUpdate, form)
        plan.update_measure(
            session=session, measure_id=measure_id, data=data, if_match=None, principal=principal
        )

    label = MEASURE_STATUSES.get(form["status"], form["status"])
    return _act(session, back, STATUS_SET.format(title=title, status=label), act)


@router.post("/measures/{measure_id}/progress")
def add_progress(
    measure_id: ObjectId, session: SessionDep, principal: CasePagePrincipal, posted: PostedForm
) -> RedirectResponse:
    """Append a progress note to a measure."""
    form = _form(posted, "note")
    row = plan.get_measure(session=session, measure_id=measure_id, principal=principal)
    back = f"/ui/enterprises/{row.enterprise_id}#measure-{measure_id}"

    def act() -> None:
        note = _parse(ProgressIn, form).note
        plan.add_progress(session=session, measure_id=measure_id, note=note, principal=principal)

    return _act(session, back, PROGRESS_SAVED, act)


@router.get("/enterprises/{enterprise_id}/report", response_class=HTMLResponse)
def print_view(
    enterprise_id: ObjectId,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    runtime: RuntimeDep,
    industries: IndustriesDep,
) -> HTMLResponse:
    """The case document as a page laid out for printing (A4)."""
    case = gather_case_file(
        session=session,
        enterprise_id=enterprise_id,
        principal=principal,
        runtime=runtime,
        industries=industries,
        today=local_today(),
    )
    return render_page(request, "case_print.html", {"c": case})


@router.get("/enterprises/{enterprise_id}/report.docx")
def download_report(
    enterprise_id: ObjectId,
    session: SessionDep,
    principal: PagePrincipal,
    runtime: RuntimeDep,
    industries: IndustriesDep,
) -> Response:
    """The case document (Word) for the signed-in officer."""
    case = gather_case_file(
        session=session,
        enterprise_id=enterprise_id,
        principal=principal,
        runtime=runtime,
        industries=industries,
        today=local_today(),
    )
    return docx_response(render_case_docx(case), case.enterprise.name)


def case_sections(
    *, session: Session, enterprise_id: int, principal: Principal, today: date
) -> dict[str, Any]:
    """What the 会诊 section and the plan board of the enterprise page show."""
    case = consultation.get_case(session=session, enterprise_id=enterprise_id, principal=principal)
    opinions = consultation.opinion_list(session, enterprise_id)
    invited = consultation.case_out(session, case).invitations if case else []
    invited_ids = {i.department_id for i in invited}
    answered = {o.department_id for o in opinions.data}
    the_plan = plan.get_plan(
        session=session, enterprise_id=enterprise_id, principal=principal, today=today
    )
    lanes: dict[str, list[Any]] = {status: [] for status in MEASURE_STATUSES}
    for measure in the_plan.measures:
        lanes[measure.status].append(measure)
    diagnosis = find_latest_diagnosis(session, enterprise_id)
    return {
        "case": case,
        "invited": invited,
        "waiting": [i for i in invited if i.department_id not in answered],
        "opinions": opinions,
        "current_opinions": [o for o in opinions.data if o.superseded_by is None],
        "superseded_opinions": [o for o in opinions.data if o.superseded_by is not None],
        "departments": departments.list_departments(session=session),
        "uninvited": [
            d for d in departments.list_departments(session=session) if d.id not in invited_ids
        ],
        "plan": the_plan,
        "lanes": lanes,
        "has_override": bool(diagnosis and diagnosis.override),
        "today": today,
    }
