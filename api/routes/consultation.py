"""Departments and the linked consultation (会诊): cases, invitations, opinions."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CasePrincipalDep, PrincipalDep, SessionDep
from api.errors import NotFound
from api.params import ObjectId
from api.services import consultation as service
from api.services import departments
from models.consultation import Department
from models.consultation_schemas import (
    CaseOut,
    DepartmentCreate,
    DepartmentPublic,
    DepartmentUpdate,
    InvitationIn,
    OpinionIn,
    OpinionList,
    OpinionOut,
)

router = APIRouter(tags=["consultation"])


def _department(row: Department) -> DepartmentPublic:
    return DepartmentPublic.model_validate(row.model_dump())


@router.get("/departments", response_model=list[DepartmentPublic])
def list_departments(
    session: SessionDep, principal: CasePrincipalDep, include_inactive: bool = False
) -> list[DepartmentPublic]:
    """The departments that take part in consultations (active ones unless asked)."""
    rows = departments.list_departments(session=session, include_inactive=include_inactive)
    return [_department(r) for r in rows]


@router.post("/departments", status_code=201, response_model=DepartmentPublic)
def create_department(
    body: DepartmentCreate, session: SessionDep, principal: PrincipalDep
) -> DepartmentPublic:
    """Add a department (admin)."""
    row = departments.create_department(session=session, data=body, principal=principal)
    session.commit()
    return _department(row)


@router.patch("/departments/{department_id:int}", response_model=DepartmentPublic)
def update_department(
    department_id: ObjectId, body: DepartmentUpdate, session: SessionDep, principal: PrincipalDep
) -> DepartmentPublic:
    """Rename, reorder or deactivate a department (admin); departments are never deleted."""
    row = departments.update_department(
        session=session, department_id=department_id, data=body, principal=principal
    )
    session.commit()
    return _department(row)


ALREADY = {200: {"model": CaseOut, "description": "已存在：未重复创建"}}


@router.post(
    "/enterprises/{enterprise_id:int}/case",
    status_code=201,
    response_model=CaseOut,
    responses=ALREADY,
)
def open_case(
    enterprise_id: ObjectId, session: SessionDep, principal: PrincipalDep, response: Response
) -> CaseOut:
    """Open the enterprise's consultation (201), or return the open one (200)."""
    case, created = service.open_case(
        session=session, enterprise_id=enterprise_id, principal=principal
    )
    session.commit()
    response.status_code = 201 if created else 200
    return service.case_out(session, case)


@router.get("/enterprises/{enterprise_id:int}/case", response_model=CaseOut)
def read_case(enterprise_id: ObjectId, session: SessionDep, principal: CasePrincipalDep) -> CaseOut:
    """The consultation: who opened it, which departments are invited."""
    case = service.get_case(session=session, enterprise_id=enterprise_id, principal=principal)
    if case is None:
        raise NotFound(service.NO_CASE.format(id=enterprise_id))
    return service.case_out(session, case)


@router.post(
    "/enterprises/{enterprise_id:int}/case/invitations",
    status_code=201,
    response_model=CaseOut,
    responses=ALREADY,
)
def invite(
    enterprise_id: ObjectId,
    body: InvitationIn,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> CaseOut:
    """Invite a department (201; 200 when it already was); opens the case if needed."""
    _, created = service.invite_by_ref(
        session=session,
        enterprise_id=enterprise_id,
        ref=body.department,
        note=body.note,
        principal=principal,
    )
    session.commit()
    response.status_code = 201 if created else 200
    case = service.find_case(session, enterprise_id)
    assert case is not None
    return service.case_out(session, case)


@router.post(
    "/enterprises/{enterprise_id:int}/opinions", status_code=201, response_model=OpinionOut
)
def add_opinion(
    enterprise_id: ObjectId, body: OpinionIn, session: SessionDep, principal: CasePrincipalDep
) -> OpinionOut:
    """A department's opinion; its earlier opinions stay on file, superseded."""
    row = service.add_opinion(
        session=session, enterprise_id=enterprise_id, data=body, principal=principal
    )
    session.commit()
    listed = service.opinion_list(session, enterprise_id)
    return next(o for o in listed.data if o.id == row.id)


@router.get("/enterprises/{enterprise_id:int}/opinions", response_model=OpinionList)
def list_opinions(
    enterprise_id: ObjectId, session: SessionDep, principal: CasePrincipalDep
) -> OpinionList:
    """Every opinion, newest first, beside the engine's primary category."""
    return service.list_opinions(session=session, enterprise_id=enterprise_id, principal=principal)
