"""The ASGI app (`api.main:app`): wiring of settings, storage, routes and error mapping."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool

from api import pages
from api.config import Settings, get_settings
from api.docs import add_offline_docs
from api.errors import DomainError, FieldInvalid
from api.guard import Guard, attempt_of
from api.methods import add_method_not_allowed_handler
from api.middleware import BodySizeLimit, SecurityHeaders
from api.routes import (
    admin,
    consultation,
    diagnoses,
    diagnosis_models,
    enterprises,
    health,
    industries,
    jobs,
    matcher_configs,
    matches,
    partners,
    pipeline,
    plan,
    security,
    status,
)
from api.runtime import Runtime, load_runtime
from api.services.match_pages import PageCache
from api.services.spreadsheets.runs import ImportRuns
from api.worker import Worker
from matcher.encoders.loading import start_loading
from models.db import make_engine, run_migrations

log = logging.getLogger("api")


class ErrorOut(BaseModel):
    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in [
        (400, "请求体无法解析（不是合法的 JSON 或表单）"),
        (401, "缺少或无效的令牌"),
        (403, "无权执行"),
        (404, "对象不存在"),
        (409, "与已有数据冲突"),
        (413, "请求体过大"),
        (429, "认证失败次数过多，暂时拒绝（带 Retry-After）"),
        (503, "数据库暂时不可用"),
    ]
}


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, runtime: Runtime | None = None
) -> FastAPI:
    """Build the app; tests pass their own settings, engine and runtime, `serve` the environment."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current = settings or get_settings()
        db = engine or make_engine(current.resolved_database_url)
        if current.run_migrations:
            run_migrations(db)
        app.state.settings = current
        app.state.engine = db
        app.state.guard = Guard(
            engine=db,
            limit=current.auth_failure_limit,
            window=current.auth_failure_window_seconds,
            lockout=current.auth_lockout_seconds,
        )
        app.state.runtime = runtime or load_runtime(current)
        app.state.industries = app.state.runtime.industries
        start_loading(app.state.runtime.encoder)  # the sentence model, in the background
        app.state.imports = ImportRuns(db, app.state.industries, current.data_dir)
        app.state.page_cache = PageCache()
        app.state.worker = None
        if current.start_worker:
            app.state.worker = Worker(
                db,
                app.state.runtime,
                stale_after=timedelta(seconds=current.job_stale_seconds),
                slice_size=current.job_slice,
            )
            app.state.worker.start()
        try:
            yield
        finally:
            app.state.imports.close()
            if app.state.worker is not None:
                app.state.worker.stop()
            if engine is None:
                db.dispose()

    app = FastAPI(
        title="联动诊疗匹配服务 Linked-diagnosis matching service",
        version="0.1.0",
        description="困难企业画像、分类施策诊断与合作主体匹配。",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    add_offline_docs(app)
    max_body = (settings or get_settings()).max_body_bytes
    app.add_middleware(BodySizeLimit, max_bytes=max_body)
    app.add_middleware(SecurityHeaders)  # outermost: the 413 above gets the headers too
    _add_error_handlers(app)
    app.include_router(health.router)
    routers = (
        partners,
        enterprises,
        diagnoses,
        matches,
        pipeline,
        jobs,
        admin,
        security,
        industries,
        status,
        matcher_configs,
        diagnosis_models,
    )
    for module in routers:
        app.include_router(module.router, responses=ERROR_RESPONSES)
    for module in (consultation, plan):  # 会诊 and 一企一策
        app.include_router(module.router, responses=ERROR_RESPONSES)
    app.include_router(pages.router)
    return app


def _validation_items(errors: Any) -> list[dict[str, Any]]:
    """Loc, message and type of each error; the offending input is not echoed (it may be NaN)."""
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in errors
    ]


def _record_refusal(request: Request, error: DomainError) -> None:
    """A 401 or 403 of the API as a security event (the token by its hash prefix only)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    principal = getattr(request.state, "principal", None)
    attempt = attempt_of(request, token.strip() if scheme.lower() == "bearer" else None, principal)
    kind = getattr(error, "kind", "forbidden")
    request.app.state.guard.record(
        attempt, kind=kind, status=error.status_code, detail=error.message
    )


def _add_error_handlers(app: FastAPI) -> None:
    add_method_not_allowed_handler(app)

    @app.exception_handler(FieldInvalid)
    async def _field(_: Request, error: FieldInvalid) -> JSONResponse:
        item = {"loc": list(error.loc), "msg": error.message, "type": "value_error"}
        return JSONResponse(status_code=422, content={"detail": [item]})

    @app.exception_handler(DomainError)
    async def _domain(request: Request, error: DomainError) -> JSONResponse:
        if error.status_code in (401, 403):
            await run_in_threadpool(_record_refusal, request, error)
        headers = dict(error.headers or {})
        if error.status_code == 401:
            headers["WWW-Authenticate"] = "Bearer"
        content = {"detail": error.message, **(error.extra or {})}
        return JSONResponse(status_code=error.status_code, content=content, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _validation_items(error.errors())})

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, error: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", error.orig)
        return JSONResponse(status_code=409, content={"detail": "与已有数据冲突（唯一性约束）"})

    @app.exception_handler(DataError)
    async def _data(_: Request, error: DataError) -> JSONResponse:
        log.warning("data refused by the database: %s", error.orig)
        item = {
            "loc": ["body"],
            "msg": "数据库拒绝了该值（格式或范围不合法）",
            "type": "value_error",
        }
        return JSONResponse(status_code=422, content={"detail": [item]})

    @app.exception_handler(OperationalError)
    async def _busy(_: Request, error: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", error.orig)
        return JSONResponse(status_code=503, content={"detail": "数据库暂时不可用，请稍后重试"})


app = create_app()
