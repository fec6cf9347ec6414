"""Spreadsheet import (checked row by row, then all or the valid rows) and .xlsx exports."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from api.auth import Principal
from api.deps import IndustriesDep, RuntimeDep, SessionDep, SettingsDep
from api.errors import ROLE_FORBIDDEN, Forbidden
from api.pages.common import PagePrincipal, PageRoute, form_text, render
from api.params import ObjectId, SearchText
from api.presenters import match_item
from api.services import dashboard, matching
from api.services import enterprises as enterprise_service
from api.services.spreadsheets import (
    IMPORT_MODES,
    import_spreadsheet,
    matches_export_rows,
    table_workbook,
    template_csv,
    template_workbook,
)
from matcher.vocab import PARTNER_KINDS, REVIEW_STATUSES

router = APIRouter(prefix="/ui", route_class=PageRoute)

Kind = Literal["enterprises", "partners"]
KIND_LABELS = {"enterprises": "企业", "partners": "合作主体"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_STASH_ID = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")
NO_FILE = "请选择要导入的 .xlsx 或 .csv 文件"
STASH_GONE = "上传的文件已失效，请重新上传"


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


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, principal: PagePrincipal) -> HTMLResponse:
    """Upload forms and the templates to download."""
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


STASH_HOURS = 24


def _stash_dir(settings: SettingsDep) -> Path:
    """Where a checked file waits for the officer's "import" click (unguessable names)."""
    path = settings.data_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stash(settings: SettingsDep, filename: str, content: bytes) -> str:
    folder = _stash_dir(settings)
    cutoff = time.time() - STASH_HOURS * 3600
    for old in folder.iterdir():
        if _STASH_ID.match(old.name) and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    name = f"{secrets.token_hex(16)}.{'csv' if filename.lower().endswith('.csv') else 'xlsx'}"
    (folder / name).write_bytes(content)
    return name


def _run_import(
    request: Request,
    *,
    session: SessionDep,
    settings: SettingsDep,
    principal: Principal,
    industries: IndustriesDep,
    kind: str,
    filename: str,
    content: bytes,
    mode: str,
    stash: str | None,
) -> HTMLResponse:
    report = import_spreadsheet(
        session=session,
        kind=kind,
        filename=filename,
        content=content,
        principal=principal,
        industries=industries,
        mode=mode,
    )
    if report.committed:
        session.commit()
        if stash:
            (_stash_dir(settings) / stash).unlink(missing_ok=True)
        stash = None
    else:
        session.rollback()
        if stash is None and report.valid_rows:
            stash = _stash(settings, filename, content)
    context = {
        "report": report,
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "filename": filename,
        "mode": mode,
        "stash": stash,
    }
    return render(
        request, "import_result.html", context, 200 if report.clean or report.committed else 422
    )


@router.post("/import/{kind}", response_class=HTMLResponse)
async def upload(
    kind: Kind,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
) -> HTMLResponse:
    """Check the uploaded file row by row; import it when asked and allowed."""
    _require_import(kind, principal)
    form = await request.form()
    upload_file = form.get("file")
    mode = form_text(form, "mode") or "check"
    if (
        not isinstance(upload_file, UploadFile)
        or not upload_file.filename
        or mode not in IMPORT_MODES
    ):
        return render(request, "import.html", {"kind_labels": KIND_LABELS, "error": NO_FILE}, 400)
    content = await upload_file.read()
    filename = Path(upload_file.filename).name[:200]
    return _run_import(
        request,
        session=session,
        settings=settings,
        principal=principal,
        industries=industries,
        kind=kind,
        filename=filename,
        content=content,
        mode=mode,
        stash=None,
    )


@router.post("/import/{kind}/confirm", response_class=HTMLResponse)
async def confirm(
    kind: Kind,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipal,
    industries: IndustriesDep,
) -> HTMLResponse:
    """Import the file checked a moment ago: all of it, or its valid rows only."""
    _require_import(kind, principal)
    form = await request.form()
    stash, mode = form_text(form, "stash"), form_text(form, "mode")
    path = _stash_dir(settings) / stash
    if not _STASH_ID.match(stash) or mode not in ("all", "valid") or not path.is_file():
        return render(
            request, "import.html", {"kind_labels": KIND_LABELS, "error": STASH_GONE}, 400
        )
    return _run_import(
        request,
        session=session,
        settings=settings,
        principal=principal,
        industries=industries,
        kind=kind,
        filename=form_text(form, "filename")[:200] or stash,
        content=path.read_bytes(),
        mode=mode,
        stash=stash,
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
