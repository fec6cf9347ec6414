from __future__ import annotations

from fastapi import APIRouter

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.params import ObjectId
from api.presenters import diagnosis_out
from api.services import diagnoses as service
from models.results import DiagnosisOut, OverrideIn

router = APIRouter(prefix="/enterprises/{enterprise_id}/diagnosis", tags=["diagnosis"])


@router.post("", response_model=DiagnosisOut)
def diagnose_enterprise(
    enterprise_id: ObjectId, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> DiagnosisOut:
    """Classify the enterprise into treatment categories (分类施策), with reasons; stored."""
    view = service.run_diagnosis(
        session=session, enterprise_id=enterprise_id, runtime=runtime, principal=principal
    )
    session.commit()
    return diagnosis_out(view)


@router.get("", response_model=DiagnosisOut)
def read_diagnosis(
    enterprise_id: ObjectId, session: SessionDep, principal: PrincipalDep
) -> DiagnosisOut:
    """The latest stored diagnosis, with the officer's override if any."""
    view = service.latest_diagnosis(
        session=session, enterprise_id=enterprise_id, principal=principal
    )
    return diagnosis_out(view)


@router.post("/override", response_model=DiagnosisOut)
def override_diagnosis(
    enterprise_id: ObjectId, body: OverrideIn, session: SessionDep, principal: PrincipalDep
) -> DiagnosisOut:
    """Set the primary category by hand, with a reason (kept, audited, used in training)."""
    view = service.override_diagnosis(
        session=session,
        enterprise_id=enterprise_id,
        primary=body.primary,
        reason=body.reason.strip(),
        principal=principal,
    )
    session.commit()
    return diagnosis_out(view)
