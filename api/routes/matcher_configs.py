"""Learned matcher configs (admins) and what the decisions say (GET /matcher/decisions)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import PrincipalDep, RuntimeDep, SessionDep, SettingsDep
from api.routes.admin import _require_admin
from api.services import matcher_configs as service
from api.services.decision_report import decision_report
from models.config_schemas import (
    ConfigActivated,
    ConfigLearned,
    ConfigList,
    ConfigOut,
    DecisionReportOut,
)

router = APIRouter(tags=["matcher configs"])

Version = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]


@router.post("/matcher/configs/learn", status_code=201, response_model=ConfigLearned)
def learn_config(
    session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep, settings: SettingsDep
) -> ConfigLearned:
    """Fit a candidate from the officers' decisions; it ranks nothing until activated.

    409 with `count` and `needed` when fewer pairs were reviewed than LD_LEARN_MIN_DECISIONS.
    """
    _require_admin(principal)
    row = service.learn_candidate(
        session=session,
        runtime=runtime,
        settings=service.learn_settings(settings),
        actor=principal.actor,
    )
    session.commit()
    return ConfigLearned(
        version=row.version,
        metrics=row.metrics,
        active=False,
        config_hash=row.config_hash,
        compared_with=row.compared_with,
        data=row.data,
        held_out=row.held_out,
        overlay=row.overlay,
    )


@router.get("/matcher/configs", response_model=ConfigList)
def list_configs(session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep) -> ConfigList:
    """Every version (learned candidates and the shipped `base`) and which one ranks."""
    _require_admin(principal)
    active, entries = service.list_configs(session=session, runtime=runtime)
    return ConfigList(active=active, items=[ConfigOut(**asdict(e)) for e in entries])


@router.post("/matcher/configs/{version}/activate", response_model=ConfigActivated)
def activate_config(
    version: Version, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> ConfigActivated:
    """Rank with `version` from now on (any earlier one, `base` included, rolls back).

    Audited; every stored ranking becomes stale and a background re-score is queued.
    """
    _require_admin(principal)
    previous = service.active_version(session)
    config, job = service.activate(
        session=session, runtime=runtime, version=version, actor=principal.actor
    )
    session.commit()
    service.sync_runtime(session, runtime)
    return ConfigActivated(
        version=version,
        active=True,
        previous=previous,
        config_hash=config.config_hash(),
        rescore_job_id=job.id if job else None,
    )


@router.get("/matcher/decisions", response_model=DecisionReportOut)
def read_decisions(
    session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> DecisionReportOut:
    """What the decisions say: overrides by from → to, rejections by component, landed in top 5."""
    report = decision_report(session=session, principal=principal, registry=runtime.registry)
    return DecisionReportOut(
        overrides=[asdict(o) for o in report.overrides],  # type: ignore[misc]
        rejections=[asdict(r) for r in report.rejections],  # type: ignore[misc]
        landed=report.landed,
        landed_in_top5=report.landed_in_top5,
        landed_rank_unknown=report.landed_rank_unknown,
        landed_top5_share=report.landed_top5_share,
    )
