"""Departments: the list, an admin's edits, and naming one in a request.

The usual departments of a linked consultation are inserted by migration
0006p; `ensure_default_departments` adds any that are missing (the `ld seed`
command and tests call it), matching by name so that it is idempotent.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.auth import Principal
from api.errors import NOT_FOUND, ROLE_FORBIDDEN, Conflict, FieldInvalid, Forbidden, NotFound
from api.services.audit import record_audit, write_audited
from models.consultation import Department
from models.consultation_schemas import DepartmentCreate, DepartmentUpdate

DEFAULT_DEPARTMENTS: tuple[str, ...] = (
    "地方金融监管局",
    "工业和信息化局",
    "发展和改革委员会",
    "自然资源和规划局",
    "人力资源和社会保障局",
    "税务局",
    "人民法院",
    "债权银行",
    "县区人民政府",
    "招商局（投资促进局）",
)
UNKNOWN_DEPARTMENT = "未知的部门：{ref}（见 GET /departments）"
INACTIVE_DEPARTMENT = "部门“{name}”已停用"
DEPARTMENT_TAKEN = "已有名为“{name}”的部门（{id}）"


def ensure_default_departments(*, session: Session) -> int:
    """Add the default departments that are missing; returns how many were added."""
    present = set(session.exec(select(Department.name)).all())
    added = 0
    for position, name in enumerate(DEFAULT_DEPARTMENTS):
        if name not in present:
            session.add(Department(name=name, sort_order=(position + 1) * 10))
            added += 1
    session.flush()
    return added


def list_departments(*, session: Session, include_inactive: bool = False) -> list[Department]:
    query = select(Department)
    if not include_inactive:
        query = query.where(col(Department.active).is_(True))
    return list(session.exec(query.order_by(col(Department.sort_order), col(Department.id))))


def department_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(
        select(Department.id, Department.name).where(col(Department.id).in_(ids))
    ).all()
    return {i: n for i, n in rows if i is not None}


def resolve_department(
    *, session: Session, ref: int | str, loc: tuple[str | int, ...], active_only: bool = True
) -> Department:
    """The department a request names by id or exact name; 422 at `loc` when there is none."""
    if isinstance(ref, int):
        row = session.get(Department, ref)
    else:
        row = session.exec(select(Department).where(Department.name == ref.strip())).first()
    if row is None:
        raise FieldInvalid(loc, UNKNOWN_DEPARTMENT.format(ref=ref))
    if active_only and not row.active:
        raise FieldInvalid(loc, INACTIVE_DEPARTMENT.format(name=row.name))
    return row


def _require_admin(principal: Principal) -> None:
    if principal.role != "admin":
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))


def _check_name_free(session: Session, name: str, own_id: int | None) -> None:
    other = session.exec(select(Department).where(Department.name == name)).first()
    if other is not None and other.id != own_id:
        raise Conflict(DEPARTMENT_TAKEN.format(name=name, id=other.id))


def create_department(
    *, session: Session, data: DepartmentCreate, principal: Principal
) -> Department:
    _require_admin(principal)
    _check_name_free(session, data.name, None)
    row = Department(**data.model_dump())
    session.add(row)
    session.flush()
    record_audit(
        session=session,
        actor=principal.actor,
        action="create",
        entity="department",
        entity_id=row.id,
        changes=data.model_dump(),
    )
    return row


def update_department(
    *, session: Session, department_id: int, data: DepartmentUpdate, principal: Principal
) -> Department:
    """Rename, reorder or (de)activate; a department is never deleted (its history stays)."""
    _require_admin(principal)
    row = session.get(Department, department_id)
    if row is None:
        raise NotFound(NOT_FOUND.format(entity="部门", id=department_id))
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "name" in changes:
        _check_name_free(session, changes["name"], row.id)
    write_audited(
        session=session, row=row, changes=changes, actor=principal.actor, entity="department"
    )
    session.flush()
    return row
