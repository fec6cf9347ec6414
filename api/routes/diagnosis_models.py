"""Diagnosis models trained with the officers' overrides (admins): list, activate, roll back."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.routes.admin import _require_admin
from api.services import diagnosis_models as service
from models.config_schemas import DiagnosisModelActivated, DiagnosisModelList, DiagnosisModelOut

router = APIRouter(tags=["diagnosis models"])

ModelVersion = Annotated[str, Path(max_length=80, pattern=r"^[A-Za-z0-9._-]+$")]


@router.get("/diagnosis/models", response_model=DiagnosisModelList)
def list_models(
    session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> DiagnosisModelList:
    """Every stored model (candidates of `ld train --with-overrides`, `base`) and the active one."""
    _require_admin(principal)
    active, entries = service.list_models(session=session, base=runtime.base_treatment_model)
    return DiagnosisModelList(
        active=active, items=[DiagnosisModelOut(**asdict(e)) for e in entries]
    )


@router.post("/diagnosis/models/{version}/activate", response_model=DiagnosisModelActivated)
def activate_model(
    version: ModelVersion, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> DiagnosisModelActivated:
    """Diagnose with `version` from now on (any earlier one, `base` included, rolls back).

    Audited; every ranked enterprise is diagnosed again and re-scored in the background.
    """
    _require_admin(principal)
    previous = service.active_version(session)
    job = service.activate(session=session, version=version, actor=principal.actor)
    session.commit()
    service.sync_diagnosis_model(session, runtime)
    return DiagnosisModelActivated(
        version=version, active=True, previous=previous, rescore_job_id=job.id if job else None
    )
