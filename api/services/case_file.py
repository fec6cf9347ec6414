"""Everything the case document shows, gathered once for the .docx and the print view.

The Word document and the printable page read the same CaseFile, so what an
officer prints and what a leader receives say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from api.auth import Principal
from api.presenters import diagnosis_out
from api.runtime import Runtime
from api.services import consultation, diagnoses, matching, plan
from api.services.enterprises import get_enterprise, list_assets
from api.services.mapping import enterprise_public
from matcher.industry import IndustryTable
from models.consultation_schemas import CaseOut, OpinionList, PlanOut
from models.results import DiagnosisOut
from models.schemas import EnterprisePublic
from models.tables import utcnow

TOP_PARTNERS = 10


@dataclass(frozen=True)
class PartnerLine:
    rank: int
    name: str
    kind: str
    score: float
    reasons: tuple[str, ...]
    stage: str | None


@dataclass(frozen=True)
class CaseFile:
    enterprise: EnterprisePublic
    diagnosis: DiagnosisOut | None
    case: CaseOut | None
    opinions: OpinionList
    plan: PlanOut
    partners: tuple[PartnerLine, ...]
    generated_by: str
    generated_at: datetime


def gather_case_file(
    *,
    session: Session,
    enterprise_id: int,
    principal: Principal,
    runtime: Runtime,
    industries: IndustryTable,
    today: date,
) -> CaseFile:
    """The profile, diagnosis, opinions, plan and partners (top 10 plus any in the pipeline)."""
    row = get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    _, views = matching.get_matches(
        session=session,
        enterprise_id=enterprise_id,
        runtime=runtime,
        principal=principal,
        limit=matching.STORED_PER_RUN,
    )
    partners = tuple(
        PartnerLine(
            rank=v.match.rank,
            name=v.partner.name,
            kind=v.partner.kind,
            score=v.match.score,
            reasons=tuple(v.match.reasons),
            stage=v.status,
        )
        for v in views
        if v.match.rank <= TOP_PARTNERS or v.status is not None
    )
    found = diagnoses.find_latest_diagnosis(session, enterprise_id)
    case = consultation.find_case(session, enterprise_id)
    return CaseFile(
        enterprise=enterprise_public(
            row, list_assets(session=session, enterprise_id=enterprise_id), industries
        ),
        diagnosis=diagnosis_out(found) if found else None,
        case=consultation.case_out(session, case) if case else None,
        opinions=consultation.opinion_list(session, enterprise_id),
        plan=plan.get_plan(
            session=session, enterprise_id=enterprise_id, principal=principal, today=today
        ),
        partners=partners,
        generated_by=principal.name,
        generated_at=utcnow(),
    )
