"""The plan of one enterprise (一企一策): its treatment category and its measures.

The category is the officer's decision, traced to what it came from (the
engine's diagnosis, the officer's override of it, or a department's opinion);
each decision is kept.  A measure has an owner department, a deadline and a
status; its edits are compare-and-swap on `version` (an UPDATE … WHERE
version = the one the editor read), so of two officers editing at once the
second is told (412) instead of silently overwriting the first.  Progress
notes are appended only.  Assigning a measure to a department invites it to the
case, so the department can see what it owns.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.auth import Principal
from api.errors import (
    NOT_FOUND,
    ROLE_FORBIDDEN,
    STALE_VERSION,
    FieldInvalid,
    Forbidden,
    NotFound,
    PreconditionFailed,
)
from api.etags import etag_for
from api.services.audit import diff_fields, record_audit
from api.services.consultation import invite_department, require_officer
from api.services.departments import resolve_department
from api.services.diagnoses import find_latest_diagnosis
from api.services.enterprises import get_enterprise
from api.services.measure_views import measure_outs, plan_decision_out
from matcher.vocab import MEASURE_STATUSES
from models.consultation import Measure, MeasureProgress, Opinion, PlanDecision
from models.consultation_schemas import (
    MeasureCreate,
    MeasureOut,
    MeasureUpdate,
    PlanCategoryIn,
    PlanOut,
)
from models.tables import Match, utcnow

MATCH_NOT_FOUND = "匹配 {id} 不存在"
MATCH_OF_OTHER = "匹配 {id} 不属于企业 {enterprise}"
NO_DIAGNOSIS_YET = "企业尚未诊断，不能采用诊断结果"
NO_OVERRIDE_YET = "企业的诊断尚无人工改判"
OPINION_REQUIRED = "采用部门意见时须给出 opinion_id"
OPINION_OF_OTHER = "意见 {id} 不存在或不属于本企业"
OPINION_HAS_NO_CATEGORY = "意见 {id} 未推荐类别"
DEPARTMENT_STATUS_ONLY = "部门令牌只能更新本部门负责的措施的状态和进展"


def decide_category(
    *, session: Session, enterprise_id: int, data: PlanCategoryIn, principal: Principal
) -> PlanDecision:
    """Set the plan's category from the diagnosis, the override or an opinion."""
    require_officer(principal)
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    diagnosis = find_latest_diagnosis(session, enterprise_id)
    row = PlanDecision(
        enterprise_id=enterprise_id,
        category="",
        source=data.source,
        note=data.note,
        actor=principal.actor,
    )
    if data.source == "diagnosis":
        if diagnosis is None:
            raise FieldInvalid(("body", "source"), NO_DIAGNOSIS_YET)
        row.category, row.diagnosis_id = diagnosis.record.primary, diagnosis.record.id
    elif data.source == "override":
        if diagnosis is None or diagnosis.override is None:
            raise FieldInvalid(("body", "source"), NO_OVERRIDE_YET)
        row.category, row.override_id = diagnosis.override.primary, diagnosis.override.id
        row.diagnosis_id = diagnosis.record.id
    else:
        row.category = _opinion_category(session, enterprise_id, data)
        row.opinion_id = data.opinion_id
    session.add(row)
    session.flush()
    record_audit(
        session=session,
        actor=principal.actor,
        action="decide",
        entity="plan",
        entity_id=enterprise_id,
        changes={"category": row.category, **data.model_dump()},
    )
    return row


def _opinion_category(session: Session, enterprise_id: int, data: PlanCategoryIn) -> str:
    if data.opinion_id is None:
        raise FieldInvalid(("body", "opinion_id"), OPINION_REQUIRED)
    opinion = session.get(Opinion, data.opinion_id)
    if opinion is None or opinion.enterprise_id != enterprise_id:
        raise FieldInvalid(("body", "opinion_id"), OPINION_OF_OTHER.format(id=data.opinion_id))
    if not opinion.category:
        raise FieldInvalid(
            ("body", "opinion_id"), OPINION_HAS_NO_CATEGORY.format(id=data.opinion_id)
        )
    return opinion.category


def _check_match(session: Session, enterprise_id: int, match_id: int) -> Match:
    match = session.get(Match, match_id)
    loc = ("body", "match_id")
    if match is None:
        raise FieldInvalid(loc, MATCH_NOT_FOUND.format(id=match_id))
    if match.enterprise_id != enterprise_id:
        raise FieldInvalid(loc, MATCH_OF_OTHER.format(id=match_id, enterprise=enterprise_id))
    return match


def add_measure(
    *, session: Session, enterprise_id: int, data: MeasureCreate, principal: Principal
) -> Measure:
    """Add a measure to the plan; its department is invited to the case if it was not."""
    require_officer(principal)
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    department = resolve_department(
        session=session, ref=data.department, loc=("body", "department")
    )
    match = _check_match(session, enterprise_id, data.match_id) if data.match_id else None
    invite_department(
        session=session,
        enterprise_id=enterprise_id,
        department=department,
        note="",
        principal=principal,
    )
    row = Measure(
        enterprise_id=enterprise_id,
        title=data.title,
        department_id=department.id or 0,
        match_id=match.id if match else None,
        partner_id=match.partner_id if match else None,
        due_date=data.due_date,
        created_by=principal.actor,
        updated_by=principal.actor,
    )
    session.add(row)
    session.flush()
    record_audit(
        session=session,
        actor=principal.actor,
        action="create",
        entity="measure",
        entity_id=row.id,
        changes={
            "enterprise_id": enterprise_id,
            "title": row.title,
            "department": department.name,
            "due_date": row.due_date,
            "match_id": row.match_id,
        },
    )
    return row


def get_measure(*, session: Session, measure_id: int, principal: Principal) -> Measure:
    row = session.get(Measure, measure_id)
    if row is None:
        raise NotFound(NOT_FOUND.format(entity="措施", id=measure_id))
    get_enterprise(session=session, enterprise_id=row.enterprise_id, principal=principal)
    return row


def _require_measure_writer(principal: Principal, row: Measure, fields: set[str]) -> None:
    """Officers change anything; a department only the status of a measure it owns."""
    if principal.can_review:
        return
    if principal.is_department:
        if row.department_id == principal.department_id and fields <= {"status"}:
            return
        raise Forbidden(DEPARTMENT_STATUS_ONLY)
    raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))


def update_measure(
    *,
    session: Session,
    measure_id: int,
    data: MeasureUpdate,
    if_match: frozenset[int] | None,
    principal: Principal,
) -> Measure:
    """Change a measure if it is still at a version the editor read (412 otherwise).

    `if_match` holds the versions an If-Match header accepts (api.etags); a form
    sends its `version` instead.  Without either, the change is based on the
    version read here; the UPDATE below is still conditional on it, so a write
    that lands in between is never silently overwritten — the same rule as for
    enterprises and partners.
    """
    row = get_measure(session=session, measure_id=measure_id, principal=principal)
    sent = data.model_dump(exclude_unset=True, exclude={"version"})
    changes = {k: v for k, v in sent.items() if v is not None}
    _require_measure_writer(principal, row, set(changes))
    accepted = (
        if_match
        if if_match is not None
        else (None if data.version is None else frozenset({data.version}))
    )
    expected = row.version

    def stale(current: int) -> PreconditionFailed:
        tags = ", ".join(etag_for(v) for v in sorted(accepted or {expected}))
        return PreconditionFailed(
            STALE_VERSION.format(entity="措施", id=measure_id, current=current, expected=tags),
            current_version=current,
        )

    if accepted is not None and expected not in accepted:
        raise stale(expected)
    if "department" in changes:
        department = resolve_department(
            session=session, ref=changes["department"], loc=("body", "department")
        )
        invite_department(
            session=session,
            enterprise_id=row.enterprise_id,
            department=department,
            note="",
            principal=principal,
        )
        changes["department_id"] = department.id
        changes.pop("department")
    before = row.model_dump()
    values = {**changes, "updated_by": principal.actor, "updated_at": utcnow()}
    if "status" in changes:
        values["completed_at"] = utcnow() if changes["status"] == "done" else None
    result = session.execute(
        update(Measure)
        .where(col(Measure.id) == measure_id, col(Measure.version) == expected)
        .values(**values, version=expected + 1)
        .execution_options(synchronize_session=False)  # refreshed below, only if it took
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise stale(expected + 1)  # another writer committed between our read and our write
    session.refresh(row)
    record_audit(
        session=session,
        actor=principal.actor,
        action="update",
        entity="measure",
        entity_id=measure_id,
        changes={**diff_fields(before, changes), "version": [expected, expected + 1]},
    )
    return row


def add_progress(
    *, session: Session, measure_id: int, note: str, principal: Principal
) -> MeasureProgress:
    """Append a dated progress note (officers, or the department that owns the measure)."""
    row = get_measure(session=session, measure_id=measure_id, principal=principal)
    _require_measure_writer(principal, row, set())
    progress = MeasureProgress(measure_id=measure_id, note=note, actor=principal.actor)
    session.add(progress)
    session.flush()
    record_audit(
        session=session,
        actor=principal.actor,
        action="progress",
        entity="measure",
        entity_id=measure_id,
        changes={"note": note},
    )
    return progress


def plan_decisions(session: Session, enterprise_id: int) -> list[PlanDecision]:
    return list(
        session.exec(
            select(PlanDecision)
            .where(PlanDecision.enterprise_id == enterprise_id)
            .order_by(col(PlanDecision.id).desc())
        ).all()
    )


def get_plan(*, session: Session, enterprise_id: int, principal: Principal, today: date) -> PlanOut:
    """The plan: its category decisions, measures with progress, counts per status."""
    enterprise = get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    rows = list(
        session.exec(
            select(Measure)
            .where(Measure.enterprise_id == enterprise_id)
            .order_by(col(Measure.due_date), col(Measure.id))
        ).all()
    )
    measures = measure_outs(session, rows, today=today)
    decisions = [plan_decision_out(d) for d in plan_decisions(session, enterprise_id)]
    counts = dict.fromkeys(MEASURE_STATUSES, 0)
    for m in measures:
        counts[m.status] = counts.get(m.status, 0) + 1
    return PlanOut(
        enterprise_id=enterprise_id,
        enterprise_name=enterprise.name,
        category=decisions[0] if decisions else None,
        decisions=decisions,
        measures=measures,
        counts=counts,
        overdue=sum(m.overdue for m in measures),
    )


def measure_out(session: Session, row: Measure, *, today: date) -> MeasureOut:
    return measure_outs(session, [row], today=today)[0]
