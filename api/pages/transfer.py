"""Spreadsheet import (checked row by row, then all or the valid rows) and .xlsx exports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import Principal
from api.deps import RuntimeDep, SessionDep
from api.errors import ROLE_FORBIDDEN, Forbidden
from api.pages.common import PagePrincipal, PageRoute, form_text, render
from api.params import ObjectId, SearchText
from api.presenters import match_item
from api.services import dashboard, matching
from api.services import enterprises as enterprise_service
from api.services.spreadsheets import (
    IMPORT_MODES,
    matches_export_rows,
    table_workbook,
    template_csv,
    template_workbook,
)
from api.services.spreadsheets.runs import STAGES, ImportRuns
from matcher.vocab import PARTNER_KINDS, REVIEW_STATUSES

router = APIRouter(prefix="/ui", route_class=PageRoute)

Kind = Literal["enterprises", "partners"]
KIND_LABELS = {"enterprises": "企业", "partners": "合作主体"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_FILE = "请选择要导入的 .xlsx 或 .csv 文件"
STASH_GONE = "待导入的数据已失效（已导入或超过 1 小时），请重新上传文件"
RUN_GONE = "导入任务不存在或已过期，请重新上传文件"


def _require_import(kind: str, principal: Principal) -> None:
    allowed = (
        principal.can_write_enterprises if kind == "enterprises" else principal.can_write_partners
    )
    if not allowed:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))


def _attachment(content: bytes, filename: str, media_type: str) -> Response:
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    disposition = f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def get_import_runs(request: Request) -> ImportRuns:
    runs: ImportRuns = request.app.state.imports
    return runs


ImportRunsDep = Annotated[ImportRuns, Depends(get_import_runs)]


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, principal: PagePrincipal, runs: ImportRunsDep) -> HTMLResponse:
    """Upload forms and the templates to download; a reader process is started meanwhile."""
    runs.pool.warm()
    return render(request, "import.html", {"kind_labels": KIND_LABELS})


@router.get("/import/template/{name}")
def download_template(
    name: Annotated[str, PathParam(pattern=r"^(enterprises|partners)\.(xlsx|csv)$")],
    principal: PagePrincipal,
) -> Response:
    """The import template: Chinese headers, an example row, and a 说明 sheet."""
    kind, ext = name.split(".")
    label = KIND_LABELS[kind]
    if ext == "csv":
        return _attachment(template_csv(kind), f"{label}导入模板.csv", "text/csv; charset=utf-8")
    return _attachment(template_workbook(kind), f"{label}导入模板.xlsx", XLSX)


def _import_page(request: Request, error: str, status: int) -> HTMLResponse:
    return render(request, "import.html", {"kind_labels": KIND_LABELS, "error": error}, status)


@router.post("/import/{kind}", response_class=HTMLResponse)
async def upload(
    kind: Kind, request: Request, principal: PagePrincipal, runs: ImportRunsDep
) -> Response:
    """Start reading and checking the uploaded file in the background; show its progress.

    The file is read in a child process and checked in a worker thread
    (api/services/spreadsheets/runs.py): nothing of it runs on the event loop.
    """
    _require_import(kind, principal)
    form = await request.form()
    upload_file = form.get("file")
    mode = form_text(form, "mode") or "check"
    if (
        not isinstance(upload_file, UploadFile)
        or not upload_file.filename
        or mode not in IMPORT_MODES
    ):
        return _import_page(request, NO_FILE, 400)
    if reason := runs.busy(principal):
        return _import_page(request, reason, 429)
    content = await upload_file.read()
    filename = Path(upload_file.filename).name[:200]
    run = await run_in_threadpool(
        runs.start_upload, principal, kind=kind, filename=filename, content=content, mode=mode
    )
    return RedirectResponse(f"/ui/import/runs/{run.id}", status_code=303)


@router.post("/import/{kind}/confirm", response_class=HTMLResponse)
async def confirm(
    kind: Kind, request: Request, principal: PagePrincipal, runs: ImportRunsDep
) -> Response:
    """Import the rows a check kept: all of them, or the valid ones only."""
    _require_import(kind, principal)
    form = await request.form()
    stash, mode = form_text(form, "stash"), form_text(form, "mode")
    if mode not in ("all", "valid"):
        return _import_page(request, STASH_GONE, 400)
    if reason := runs.busy(principal):
        return _import_page(request, reason, 429)
    run = await run_in_threadpool(
        runs.start_confirm, principal, kind=kind, stash_id=stash, mode=mode
    )
    if run is None:
        return _import_page(request, STASH_GONE, 400)
    return RedirectResponse(f"/ui/import/runs/{run.id}", status_code=303)


@router.get("/import/runs/{run_id}", response_class=HTMLResponse)
def import_run(
    run_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")],
    request: Request,
    principal: PagePrincipal,
    runs: ImportRunsDep,
) -> HTMLResponse:
    """A run's progress (the page refreshes itself) until it is done, then its report."""
    run = runs.get(run_id, principal)
    if run is None:
        return _import_page(request, RUN_GONE, 404)
    context = {
        "run": run,
        "stages": STAGES,
        "kind": run.kind,
        "kind_label": KIND_LABELS[run.kind],
        "filename": run.filename,
    }
    if not run.finished:
        return render(request, "import_run.html", context)
    return render(
        request, "import_result.html", {**context, "report": run.report, "stash": run.stash}
    )


@router.get("/export/enterprises/{enterprise_id}/matches.xlsx")
def export_matches(
    enterprise_id: ObjectId, session: SessionDep, principal: PagePrincipal, runtime: RuntimeDep
) -> Response:
    """The enterprise's ranked partners, one row each with every score component."""
    row = enterprise_service.get_enterprise(
        session=session, enterprise_id=enterprise_id, principal=principal
    )
    _, views = matching.get_matches(
        session=session,
        enterprise_id=enterprise_id,
        runtime=runtime,
        principal=principal,
        limit=100,
        include_rejected=True,
    )
    header, rows = matches_export_rows(match_item(v) for v in views)
    content = table_workbook("推荐合作主体", header, rows)
    return _attachment(content, f"{row.name}-推荐合作主体.xlsx", XLSX)


PIPELINE_HEADER = [
    "阶段",
    "企业",
    "县区",
    "合作主体",
    "主体类型",
    "匹配得分",
    "说明",
    "最后操作人",
    "更新时间",
]


@router.get("/export/pipeline.xlsx")
def export_pipeline(
    session: SessionDep, principal: PagePrincipal, county: SearchText = None
) -> Response:
    """Every reviewed pair the caller may see, with its stage and last note."""
    cards = dashboard.pipeline_cards(session=session, principal=principal, county=county)
    rows = [
        [
            REVIEW_STATUSES.get(c.status, c.status),
            c.enterprise_name,
            c.county,
            c.partner_name,
            PARTNER_KINDS.get(c.partner_kind, c.partner_kind),
            None if c.score is None else round(c.score, 3),
            c.note,
            c.updated_by,
            c.updated_at.strftime("%Y-%m-%d %H:%M"),
        ]
        for c in cards
    ]
    return _attachment(table_workbook("项目进展", PIPELINE_HEADER, rows), "项目进展.xlsx", XLSX)
