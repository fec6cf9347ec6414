"""Versioned diagnosis models: a candidate trained with the overrides, compared, activated.

The same flow as the matcher configs (api/services/matcher_configs.py):
`ld train --with-overrides` stores a candidate (the artifact, what it was fitted
on, and how often it and the active model agree with the officers on the most
recent overrides, held out); it diagnoses nothing until an admin activates it.
Activation writes the one state row, audits it and queues the re-score of every
ranked enterprise; every process follows the state row (`sync_diagnosis_model`,
one primary-key read per request and per job block, the artifact read only when
the version changed), and a stored diagnosis made by another model is made again
before it is ranked (api/services/diagnoses.py `current_diagnosis`).  Activating
`base` (the shipped model) or any earlier version brings back exactly its
diagnoses, and so its rankings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from api.errors import NOT_FOUND, Conflict, NotFound
from api.runtime import Runtime
from api.services.active_versions import ActiveVersion
from api.services.audit import record_audit
from api.services.triggers import queue_automatic_rescore
from matcher.diagnosis import ProbabilityModel
from matcher.diagnosis.engine import model_version_of
from matcher.diagnosis.model import TreatmentModel, treatment_model_from_bytes
from models.config_tables import BASE_VERSION, DiagnosisModelState, DiagnosisModelVersion
from models.tables import Job

MODEL_LABEL = "诊断模型"
ALREADY_ACTIVE = "诊断模型 {version} 已是当前生效版本"
ALREADY_STORED = "诊断模型 {version} 已保存过（同样的训练数据得到同一版本），无需再存"
ACTIVATION_REASON = "diagnosis model activated"


STATE = ActiveVersion(DiagnosisModelState, entity="diagnosis_model", already_active=ALREADY_ACTIVE)
"""The row naming the active diagnosis model (read on every request and job block)."""


def active_version(session: Session) -> str:
    return STATE.read(session)


def _row(session: Session, version: str) -> DiagnosisModelVersion | None:
    return session.exec(
        select(DiagnosisModelVersion).where(DiagnosisModelVersion.version == version)
    ).first()


def _stored(session: Session, version: str) -> bool:
    """Whether `version` is stored, without reading its artifact (a few hundred KB)."""
    query = select(DiagnosisModelVersion.id).where(DiagnosisModelVersion.version == version)
    return session.exec(query).first() is not None


def model_of(
    session: Session, base: ProbabilityModel | None, version: str
) -> ProbabilityModel | None:
    """The model of `version`: the shipped one (`base`) for `base`, else the stored artifact.

    Raises:
        NotFound: for an unknown version.
    """
    if version == BASE_VERSION:
        return base
    row = _row(session, version)
    if row is None:
        raise NotFound(NOT_FOUND.format(entity=MODEL_LABEL, id=version))
    return treatment_model_from_bytes(row.artifact, name=f"{MODEL_LABEL} {version}")


def sync_diagnosis_model(session: Session, runtime: Runtime, version: str | None = None) -> None:
    """Make `runtime.treatment_model` the active version's model (a no-op when it is).

    `version`: the active version as the caller read it (a column of its own query);
    None reads it here.
    """
    version = active_version(session) if version is None else version
    if version == runtime.active_diagnosis_version:
        return
    model = model_of(session, runtime.base_treatment_model, version)
    runtime.treatment_model, runtime.active_diagnosis_version = model, version


def store_candidate(
    *,
    session: Session,
    model: TreatmentModel,
    data: dict[str, Any],
    held_out: dict[str, Any],
    compared_with: str,
    actor: str,
) -> DiagnosisModelVersion:
    """Keep a trained model as an inactive candidate (not committed).

    Raises:
        Conflict: when this version is already stored.
    """
    if model.model_version == BASE_VERSION or _stored(session, model.model_version):
        raise Conflict(ALREADY_STORED.format(version=model.model_version))
    row = DiagnosisModelVersion(
        version=model.model_version,
        artifact=model.to_bytes(),
        model_metadata=dict(model.metadata),
        data=data,
        held_out=held_out,
        compared_with=compared_with,
        created_by=actor,
    )
    session.add(row)
    record_audit(
        session=session,
        actor=actor,
        action="create",
        entity="diagnosis_model",
        entity_id=model.model_version,
        changes={"data": data, "compared_with": compared_with},
    )
    session.flush()
    return row


@dataclass(frozen=True)
class ModelEntry:
    version: str
    active: bool
    model_version: str
    """What its diagnoses record as `model_version`."""
    metrics: dict[str, Any]
    """The model's own cross-validated figures (from its metadata)."""
    data: dict[str, Any]
    held_out: dict[str, Any]
    compared_with: str
    created_by: str
    created_at: datetime | None


def _cross_validated(metadata: Any) -> dict[str, Any]:
    """The model's own cross-validated figures, without the per-weight table."""
    cv = dict(metadata.get("cv", {})) if metadata else {}
    cv.pop("macro_f1_by_weight", None)
    return cv


def list_models(*, session: Session, base: ProbabilityModel | None) -> tuple[str, list[ModelEntry]]:
    """(the active version, every stored version newest first, the shipped `base` last);
    the artifacts are not read."""
    active = active_version(session)
    rows = session.exec(
        select(DiagnosisModelVersion)
        .options(defer(DiagnosisModelVersion.artifact))
        .order_by(col(DiagnosisModelVersion.id).desc())
    ).all()
    entries = [
        ModelEntry(
            version=r.version,
            active=r.version == active,
            model_version=r.version,
            metrics=_cross_validated(r.model_metadata),
            data=r.data,
            held_out=r.held_out,
            compared_with=r.compared_with,
            created_by=r.created_by,
            created_at=r.created_at,
        )
        for r in rows
    ]
    entries.append(
        ModelEntry(
            version=BASE_VERSION,
            active=active == BASE_VERSION,
            model_version=model_version_of(base),
            metrics=_cross_validated(getattr(base, "metadata", {})),
            data={},
            held_out={},
            compared_with="",
            created_by="",
            created_at=None,
        )
    )
    return active, entries


def activate(*, session: Session, version: str, actor: str) -> Job | None:
    """Make `version` the active diagnosis model, audit it, queue the re-score (not committed).

    The caller commits, then calls `sync_diagnosis_model` (this process follows at
    once; the others at their next read of the state row).

    Raises:
        NotFound: for an unknown version.
        Conflict: when it is already active.
    """
    if version != BASE_VERSION and not _stored(session, version):
        raise NotFound(NOT_FOUND.format(entity=MODEL_LABEL, id=version))
    STATE.switch(session, version, actor=actor)
    job = queue_automatic_rescore(session=session, enterprise_ids=None, reason=ACTIVATION_REASON)
    session.flush()
    return job
