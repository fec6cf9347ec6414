"""The linked consultation (会诊): an enterprise's case, the invited departments, opinions.

An officer opens the case and invites departments; each invited department
gives its reading (words, a recommended category, proposed measures).  An
opinion is never overwritten: the department's next one supersedes it and both
stay on file with who and when.  Opinions are listed beside the engine's own
primary category, each marked when it recommends something else.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.auth import Principal
from api.errors import ROLE_FORBIDDEN, FieldInvalid, Forbidden
from api.services.audit import record_audit
from api.services.departments import department_names, resolve_department
from api.services.diagnoses import find_latest_diagnosis
from api.services.enterprises import get_enterprise
from matcher.vocab import CATEGORIES
from models.consultation import CaseInvitation, Consultation, Department, Opinion
from models.consultation_schemas import CaseOut, InvitationOut, OpinionIn, OpinionList, OpinionOut

NOT_INVITED_DEPARTMENT = "部门“{name}”未受邀参加本企业会诊，请先邀请"
OWN_DEPARTMENT_ONLY = "部门令牌只能以本部门（{name}）的名义发表意见"
DEPARTMENT_REQUIRED = "请指明发表意见的部门"
NO_CASE = "企业 {id} 尚未发起会诊"


def require_officer(principal: Principal) -> None:
    """Opening cases, inviting and planning are the officers' (and admins') work."""
    if not principal.can_review:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))


def find_case(session: Session, enterprise_id: int) -> Consultation | None:
    return session.exec(
        select(Consultation).where(Consultation.enterprise_id == enterprise_id)
    ).first()


def invitations(session: Session, enterprise_id: int) -> list[CaseInvitation]:
    return list(
        session.exec(
            select(CaseInvitation)
            .where(CaseInvitation.enterprise_id == enterprise_id)
            .order_by(col(CaseInvitation.id))
        ).all()
    )


def case_out(session: Session, case: Consultation) -> CaseOut:
    rows = invitations(session, case.enterprise_id)
    names = department_names(session, {r.department_id for r in rows})
    return CaseOut(
        enterprise_id=case.enterprise_id,
        opened_by=case.opened_by,
        opened_at=case.opened_at,
        invitations=[
            InvitationOut(
                department_id=r.department_id,
                department=names.get(r.department_id, ""),
                note=r.note,
                invited_by=r.invited_by,
                invited_at=r.invited_at,
            )
            for r in rows
        ],
    )


def get_case(*, session: Session, enterprise_id: int, principal: Principal) -> Consultation | None:
    """The enterprise's case, or None when no officer has opened one."""
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    return find_case(session, enterprise_id)


def open_case(
    *, session: Session, enterprise_id: int, principal: Principal
) -> tuple[Consultation, bool]:
    """Open the enterprise's case (once); returns it and whether it was opened now."""
    require_officer(principal)
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    case = find_case(session, enterprise_id)
    if case is not None:
        return case, False
    case = Consultation(enterprise_id=enterprise_id, opened_by=principal.actor)
    session.add(case)
    session.flush()
    record_audit(
        session=session,
        actor=principal.actor,
        action="open",
        entity="consultation",
        entity_id=case.id,
        changes={"enterprise_id": enterprise_id},
    )
    return case, True


def invite_department(
    *,
    session: Session,
    enterprise_id: int,
    department: Department,
    note: str,
    principal: Principal,
) -> tuple[CaseInvitation, bool]:
    """Invite a department to the case (opening it if needed); inviting twice is a no-op."""
    open_case(session=session, enterprise_id=enterprise_id, principal=principal)
    existing = session.exec(
        select(CaseInvitation).where(
            CaseInvitation.enterprise_id == enterprise_id,
            CaseInvitation.department_id == department.id,
        )
    ).first()
    if existing is not None:
        return existing, False
    row = CaseInvitation(
        enterprise_id=enterprise_id,
        department_id=department.id or 0,
        note=note,
        invited_by=principal.actor,
    )
    session.add(row)
    session.flush()
    record_audit(
        session=session,
        actor=principal.actor,
        action="invite",
        entity="case_invitation",
        entity_id=row.id,
        changes={"enterprise_id": enterprise_id, "department": department.name, "note": note},
    )
    return row, True


def invite_by_ref(
    *, session: Session, enterprise_id: int, ref: int | str, note: str, principal: Principal
) -> tuple[CaseInvitation, bool]:
    """As invite_department, with the department named in a request (checked after access)."""
    require_officer(principal)
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    department = resolve_department(session=session, ref=ref, loc=("body", "department"))
    return invite_department(
        session=session,
        enterprise_id=enterprise_id,
        department=department,
        note=note,
        principal=principal,
    )


def _opinion_department(session: Session, data: OpinionIn, principal: Principal) -> Department:
    loc = ("body", "department")
    if principal.is_department:
        own = resolve_department(
            session=session, ref=principal.department_id or 0, loc=loc, active_only=False
        )
        if data.department is not None:
            named = resolve_department(session=session, ref=data.department, loc=loc)
            if named.id != own.id:
                raise Forbidden(OWN_DEPARTMENT_ONLY.format(name=own.name))
        return own
    if not principal.can_review:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))
    ref = data.department if data.department is not None else principal.department_id
    if ref is None:
        raise FieldInvalid(loc, DEPARTMENT_REQUIRED)
    return resolve_department(session=session, ref=ref, loc=loc)


def add_opinion(
    *, session: Session, enterprise_id: int, data: OpinionIn, principal: Principal
) -> Opinion:
    """Record a department's opinion; its earlier ones stay, marked as superseded."""
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    department = _opinion_department(session, data, principal)
    invited = session.exec(
        select(CaseInvitation.id).where(
            CaseInvitation.enterprise_id == enterprise_id,
            CaseInvitation.department_id == department.id,
        )
    ).first()
    if invited is None:
        raise FieldInvalid(
            ("body", "department"), NOT_INVITED_DEPARTMENT.format(name=department.name)
        )
    row = Opinion(
        enterprise_id=enterprise_id,
        department_id=department.id or 0,
        opinion=data.opinion,
        category=data.category,
        proposed_measures=data.proposed_measures,
        author=principal.actor,
    )
    session.add(row)
    session.flush()
    record_audit(
        session=session,
        actor=principal.actor,
        action="create",
        entity="opinion",
        entity_id=row.id,
        changes={
            "enterprise_id": enterprise_id,
            "department": department.name,
            **data.model_dump(),
        },
    )
    return row


def list_opinions(*, session: Session, enterprise_id: int, principal: Principal) -> OpinionList:
    """Every opinion, newest first, beside the engine's primary category."""
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    return opinion_list(session, enterprise_id)


def opinion_list(session: Session, enterprise_id: int) -> OpinionList:
    rows = list(
        session.exec(
            select(Opinion)
            .where(Opinion.enterprise_id == enterprise_id)
            .order_by(col(Opinion.id).desc())
        ).all()
    )
    diagnosis = find_latest_diagnosis(session, enterprise_id)
    engine = diagnosis.record.primary if diagnosis else None
    names = department_names(session, {r.department_id for r in rows})
    later: dict[int, int] = {}  # department → the id of its newest opinion seen so far
    out = []
    for row in rows:  # newest first: the opinion seen before this one supersedes it
        assert row.id is not None
        out.append(
            OpinionOut(
                id=row.id,
                enterprise_id=row.enterprise_id,
                department_id=row.department_id,
                department=names.get(row.department_id, ""),
                opinion=row.opinion,
                category=row.category,
                category_name=CATEGORIES.get(row.category) if row.category else None,
                proposed_measures=row.proposed_measures,
                author=row.author,
                created_at=row.created_at,
                superseded_by=later.get(row.department_id),
                differs_from_engine=bool(row.category and engine and row.category != engine),
            )
        )
        later[row.department_id] = row.id
    return OpinionList(
        enterprise_id=enterprise_id,
        engine_primary=engine,
        effective_primary=diagnosis.effective_primary if diagnosis else None,
        diagnosis_id=diagnosis.record.id if diagnosis else None,
        data=out,
        count=len(out),
    )
