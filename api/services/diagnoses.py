"""Diagnoses: run the engine on a stored enterprise, keep every result, take overrides.

A diagnosis is stored with the model and rules versions that produced it, so
an answer can always be traced.  An officer's override is kept separately (the
engine's answer is never rewritten) and applies from then on, until another
override replaces it; the training command reads overrides as labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from api.auth import SYSTEM_ACTOR, Principal
from api.errors import ROLE_FORBIDDEN, FieldInvalid, Forbidden, NotFound
from api.runtime import Runtime
from api.services.audit import record_audit
from api.services.enterprises import get_enterprise, list_assets
from api.services.mapping import enterprise_profile
from matcher.diagnosis import diagnose
from matcher.diagnosis.engine import model_version_of
from models.tables import DiagnosisOverride, DiagnosisRecord, Enterprise

OVERRIDE_REASON_REQUIRED = "改判须填写理由"
NO_DIAGNOSIS = "企业 {id} 尚未诊断：请先 POST /enterprises/{id}/diagnosis"


@dataclass(frozen=True)
class DiagnosisView:
    record: DiagnosisRecord
    override: DiagnosisOverride | None

    @property
    def effective_primary(self) -> str:
        return self.override.primary if self.override else self.record.primary

    def categories_for_matching(self) -> dict[str, float]:
        """Category → probability with the effective primary first (the matcher's input)."""
        probabilities = {c["code"]: float(c["probability"]) for c in self.record.categories}
        primary = self.effective_primary
        top = max(probabilities.values(), default=1.0)
        ordered = {primary: max(probabilities.get(primary, 0.0), top)}
        ordered.update({c: p for c, p in probabilities.items() if c != primary})
        return ordered


def run_diagnosis(
    *, session: Session, enterprise_id: int, runtime: Runtime, principal: Principal
) -> DiagnosisView:
    """Diagnose the enterprise as it is now and store the result (audited: who asked, when).

    The diagnoses matching makes by itself (`current_diagnosis`, actor "system") are
    not audited: nobody asked for them, and each is stored with its versions anyway.
    """
    if not principal.can_review:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))
    row = get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    view = _diagnose_row(session=session, row=row, runtime=runtime, actor=principal.actor)
    record_audit(
        session=session,
        actor=principal.actor,
        action="diagnose",
        entity="diagnosis",
        entity_id=view.record.id,
        changes={
            "enterprise_id": enterprise_id,
            "primary": view.record.primary,
            "needs_review": view.record.needs_review,
            "model_version": view.record.model_version,
            "rules_version": view.record.rules_version,
        },
    )
    return view


def _diagnose_row(
    *, session: Session, row: Enterprise, runtime: Runtime, actor: str
) -> DiagnosisView:
    assert row.id is not None
    profile = enterprise_profile(row, list_assets(session=session, enterprise_id=row.id))
    result = diagnose(profile, lexicon=runtime.lexicon, model=runtime.treatment_model)
    record = DiagnosisRecord(
        enterprise_id=row.id,
        primary=result.primary,
        categories=[
            {"code": c.code, "probability": c.probability, "reasons": list(c.reasons)}
            for c in result.categories
        ],
        needs_review=result.needs_review,
        review_reasons=list(result.review_reasons),
        # JSON has no NaN: an unknown signal is left out, never stored as 0.
        signals={k: v for k, v in result.signals.items() if v is not None and math.isfinite(v)},
        findings=[dict(f) for f in result.findings],
        missing=list(result.missing),
        model_version=result.model_version,
        rules_version=result.rules_version,
        created_by=actor,
    )
    session.add(record)
    session.flush()
    return DiagnosisView(record, _current_override(session, row.id))


def _current_override(session: Session, enterprise_id: int) -> DiagnosisOverride | None:
    query = (
        select(DiagnosisOverride)
        .where(DiagnosisOverride.enterprise_id == enterprise_id)
        .order_by(col(DiagnosisOverride.id).desc())
    )
    return session.exec(query).first()


def latest_diagnosis(
    *, session: Session, enterprise_id: int, principal: Principal
) -> DiagnosisView:
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    view = find_latest_diagnosis(session, enterprise_id)
    if view is None:
        raise NotFound(NO_DIAGNOSIS.format(id=enterprise_id))
    return view


def find_latest_diagnosis(session: Session, enterprise_id: int) -> DiagnosisView | None:
    query = (
        select(DiagnosisRecord)
        .where(DiagnosisRecord.enterprise_id == enterprise_id)
        .order_by(col(DiagnosisRecord.id).desc())
    )
    record = session.exec(query).first()
    return (
        None if record is None else DiagnosisView(record, _current_override(session, enterprise_id))
    )


def current_diagnosis(*, session: Session, row: Enterprise, runtime: Runtime) -> DiagnosisView:
    """The diagnosis matching should use: the latest, or a fresh one if the profile changed
    or another diagnosis model is active now than the one that made it."""
    assert row.id is not None
    view = find_latest_diagnosis(session, row.id)
    if (
        view is None
        or _as_naive(view.record.created_at) < _as_naive(row.updated_at)
        or view.record.model_version != model_version_of(runtime.treatment_model)
    ):
        view = _diagnose_row(session=session, row=row, runtime=runtime, actor=SYSTEM_ACTOR)
    return view


def _as_naive(moment: datetime) -> datetime:
    """SQLite returns naive UTC and PostgreSQL aware UTC; compare them as naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def override_diagnosis(
    *, session: Session, enterprise_id: int, primary: str, reason: str, principal: Principal
) -> DiagnosisView:
    """Record an officer's primary category; the engine's own answer stays on file."""
    if not principal.can_review:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))
    if not reason.strip():
        raise FieldInvalid(("body", "reason"), OVERRIDE_REASON_REQUIRED)
    view = latest_diagnosis(session=session, enterprise_id=enterprise_id, principal=principal)
    assert view.record.id is not None
    override = DiagnosisOverride(
        enterprise_id=enterprise_id,
        diagnosis_id=view.record.id,
        primary=primary,
        reason=reason,
        actor=principal.actor,
    )
    session.add(override)
    session.flush()
    record_audit(
        session=session,
        actor=principal.actor,
        action="override",
        entity="diagnosis",
        entity_id=view.record.id,
        changes={"primary": [view.effective_primary, primary], "reason": reason},
    )
    return DiagnosisView(view.record, override)


def list_override_labels(*, session: Session) -> list[tuple[int, str]]:
    """(enterprise id, primary) of each enterprise's latest override, for training."""
    rows = session.exec(select(DiagnosisOverride).order_by(col(DiagnosisOverride.id))).all()
    latest = {row.enterprise_id: row.primary for row in rows}
    return sorted(latest.items())
