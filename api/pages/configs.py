"""The matcher config and diagnosis model versions (admins): their comparison, learning a
config, activating either."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import RuntimeDep, SessionDep, SettingsDep
from api.pages.common import PagePrincipal, PageRoute, redirect, render
from api.routes.admin import _require_admin
from api.routes.diagnosis_models import ModelVersion
from api.routes.matcher_configs import Version
from api.services import diagnosis_models
from api.services import matcher_configs as service

router = APIRouter(route_class=PageRoute)

LEARNED = "已学习候选版本 {version}（尚未启用，不影响排名）"
ACTIVATED = "已启用 {version}：全部已存排名将重新评分{job}"
MODEL_ACTIVATED = "已启用诊断模型 {version}：已排名的企业将按新模型重新诊断并重新评分{job}"


@router.get("/ui/configs", response_class=HTMLResponse)
def configs_page(
    request: Request, session: SessionDep, principal: PagePrincipal, runtime: RuntimeDep
) -> HTMLResponse:
    _require_admin(principal)
    _, entries = service.list_configs(session=session, runtime=runtime)
    return render(request, "matcher_configs.html", {"configs": entries})


@router.post("/ui/configs/learn")
def learn_page(
    session: SessionDep, principal: PagePrincipal, runtime: RuntimeDep, settings: SettingsDep
) -> RedirectResponse:
    _require_admin(principal)
    row = service.learn_candidate(
        session=session,
        runtime=runtime,
        settings=service.learn_settings(settings),
        actor=principal.actor,
    )
    session.commit()
    return redirect("/ui/configs", LEARNED.format(version=row.version))


@router.post("/ui/configs/{version}/activate")
def activate_page(
    version: Version,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    runtime: RuntimeDep,
) -> RedirectResponse:
    _require_admin(principal)
    _, job = service.activate(
        session=session, runtime=runtime, version=version, actor=principal.actor
    )
    session.commit()
    service.sync_runtime(session, runtime)
    worker = getattr(request.app.state, "worker", None)
    if worker is not None and job is not None:
        worker.wake()
    suffix = f"（任务 #{job.id}）" if job else ""
    return redirect("/ui/configs", ACTIVATED.format(version=version, job=suffix))


@router.get("/ui/diagnosis-models", response_class=HTMLResponse)
def diagnosis_models_page(
    request: Request, session: SessionDep, principal: PagePrincipal, runtime: RuntimeDep
) -> HTMLResponse:
    _require_admin(principal)
    _, entries = diagnosis_models.list_models(session=session, base=runtime.base_treatment_model)
    return render(request, "diagnosis_models.html", {"models": entries})


@router.post("/ui/diagnosis-models/{version}/activate")
def activate_model_page(
    version: ModelVersion,
    request: Request,
    session: SessionDep,
    principal: PagePrincipal,
    runtime: RuntimeDep,
) -> RedirectResponse:
    _require_admin(principal)
    job = diagnosis_models.activate(session=session, version=version, actor=principal.actor)
    session.commit()
    diagnosis_models.sync_diagnosis_model(session, runtime)
    worker = getattr(request.app.state, "worker", None)
    if worker is not None and job is not None:
        worker.wake()
    suffix = f"（任务 #{job.id}）" if job else ""
    return redirect("/ui/diagnosis-models", MODEL_ACTIVATED.format(version=version, job=suffix))
