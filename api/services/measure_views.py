"""Measures and plan decisions as the API and the pages show them (one batch of reads)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, col, select

from api.services.departments import department_names
from matcher.vocab import CATEGORIES, MEASURE_STATUSES, OPEN_MEASURE_STATUSES, PLAN_CATEGORY_SOURCES
from models.consultation import Measure, MeasureProgress, PlanDecision
from models.consultation_schemas import MeasureOut, PlanDecisionOut, ProgressOut
from models.tables import Engagement, Enterprise, Partner


def is_overdue(row: Measure, today: date) -> bool:
    """Open (未启动 or 推进中) and past its deadline."""
    return row.status in OPEN_MEASURE_STATUSES and row.due_date < today


def plan_decision_out(row: PlanDecision) -> PlanDecisionOut:
    assert row.id is not None
    return PlanDecisionOut(
        id=row.id,
        category=row.category,
        category_name=CATEGORIES.get(row.category, row.category),
        source=row.source,
        source_label=PLAN_CATEGORY_SOURCES.get(row.source, row.source),
        diagnosis_id=row.diagnosis_id,
        override_id=row.override_id,
        opinion_id=row.opinion_id,
        note=row.note,
        actor=row.actor,
        created_at=row.created_at,
    )


def _progress(session: Session, ids: list[int]) -> dict[int, list[ProgressOut]]:
    out: dict[int, list[ProgressOut]] = defaultdict(list)
    if not ids:
        return out
    rows = session.exec(
        select(MeasureProgress)
        .where(col(MeasureProgress.measure_id).in_(ids))
        .order_by(col(MeasureProgress.id))
    ).all()
    for p in rows:
        out[p.measure_id].append(ProgressOut(id=p.id or 0, note=p.note, actor=p.actor, at=p.at))
    return out


def measure_outs(session: Session, rows: list[Measure], *, today: date) -> list[MeasureOut]:
    """Each measure with its department, partner, pipeline stage and progress notes."""
    if not rows:
        return []
    enterprise_ids = {r.enterprise_id for r in rows}
    enterprises = {
        e.id: e
        for e in session.exec(select(Enterprise).where(col(Enterprise.id).in_(enterprise_ids)))
    }
    partner_ids = {r.partner_id for r in rows if r.partner_id is not None}
    partners = dict(
        session.exec(select(Partner.id, Partner.name).where(col(Partner.id).in_(partner_ids))).all()
        if partner_ids
        else []
    )
    stages = {
        (e, p): s
        for e, p, s in session.exec(
            select(Engagement.enterprise_id, Engagement.partner_id, Engagement.status).where(
                col(Engagement.enterprise_id).in_(enterprise_ids),
                col(Engagement.partner_id).in_(partner_ids or {0}),
            )
        ).all()
    }
    names = department_names(session, {r.department_id for r in rows})
    progress = _progress(session, [r.id for r in rows if r.id is not None])
    out = []
    for r in rows:
        assert r.id is not None
        enterprise = enterprises[r.enterprise_id]
        out.append(
            MeasureOut(
                id=r.id,
                enterprise_id=r.enterprise_id,
                enterprise_name=enterprise.name,
                county=enterprise.county,
                title=r.title,
                department_id=r.department_id,
                department=names.get(r.department_id, ""),
                match_id=r.match_id,
                partner_id=r.partner_id,
                partner_name=partners.get(r.partner_id) if r.partner_id else None,
                pipeline_status=stages.get((r.enterprise_id, r.partner_id or 0)),
                due_date=r.due_date,
                status=r.status,
                status_label=MEASURE_STATUSES.get(r.status, r.status),
                overdue=is_overdue(r, today),
                version=r.version,
                created_by=r.created_by,
                updated_by=r.updated_by,
                created_at=r.created_at,
                updated_at=r.updated_at,
                completed_at=r.completed_at,
                progress=progress.get(r.id, []),
            )
        )
    return out
