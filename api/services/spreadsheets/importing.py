"""Spreadsheets in and out: the officers' Excel/CSV lists, checked row by row.

Every imported row goes through the API's own schemas (`EnterpriseCreate`,
`PartnerCreate`) and services, each in a savepoint of the caller's transaction,
so a row fails here exactly when the API would refuse it, and with the same
message.  The caller commits only when the file was clean or the officer asked
for the valid rows alone; a dry run is rolled back.

The field → Chinese label mapping used by the forms, the error messages, the
template and the exports lives here, once.

Encoding of a workbook (documented in the template's 说明 sheet):
- enterprises: sheet 企业, one row per enterprise; optional sheet 资产, one row
  per asset, tied to its enterprise by the 企业名称 column.  A CSV file holds
  the 企业 columns only (no assets).
- partners: sheet 合作主体 (or the first sheet); list cells separate items with
  、 , ； or line breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import text as sql_text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from api.auth import Principal
from api.errors import DomainError, FieldInvalid
from api.services.enterprises import create_enterprise
from api.services.partners import create_partners
from api.services.spreadsheets.cells import _to_text, build_payload, is_blank
from api.services.spreadsheets.labels import (
    ASSET_COLUMNS,
    ASSET_KEY,
    ENTERPRISE_COLUMNS,
    PARTNER_COLUMNS,
    Column,
    field_label,
    localize_message,
    validation_errors,
)
from api.services.spreadsheets.limits import DEFAULT_LIMITS, NO_DATA_ROWS, ReadLimits
from api.services.spreadsheets.sheets import (
    ASSET_SHEET,
    ENTERPRISE_SHEET,
    NOTES_SHEET,
    PARTNER_SHEET,
    CellError,
    Progress,
    Sheet,
    SheetFileError,
    map_header,
    no_progress,
    read_sheets,
    row_values,
)
from matcher.industry import IndustryTable
from models.schemas import EnterpriseCreate, PartnerCreate


@dataclass
class ImportReport:
    kind: str
    total: int = 0
    valid_rows: list[int] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    imported_ids: list[int] = field(default_factory=list)
    committed: bool = False

    @property
    def clean(self) -> bool:
        return not self.errors

    @property
    def invalid_count(self) -> int:
        return self.total - len(self.valid_rows)


IMPORT_MODES = ("check", "all", "valid")


"""check: validate only; all: import only if every row is valid; valid: import the valid rows."""


@dataclass
class Candidate:
    """One row of the file as the payload the API's schema takes, with what is wrong with it."""

    row: int
    payload: dict[str, Any]
    asset_rows: list[int] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)


@dataclass
class ParsedImport:
    """A file read and checked against the schemas, before the database has a say.

    Made of plain values only (it crosses from the reading process to the service), and
    what a confirmed import needs, not the file: see stash.py.
    """

    kind: str
    candidates: list[Candidate] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    """About the file or a header; a row's own errors are on its Candidate."""
    total: int | None = None
    """Rows of the file, when the candidates are only some of them (a confirmed stash)."""


def import_spreadsheet(
    *,
    session: Session,
    kind: str,
    filename: str,
    content: bytes,
    principal: Principal,
    industries: IndustryTable,
    mode: str = "check",
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """Read the file, check every row through the API's schemas and services, keep what
    `mode` allows (see `apply_import`).  The pages do the two halves apart: the reading in
    a child process (isolation.py), the database half in a worker thread (runs.py)."""
    parsed = parse_import(kind, filename, content, limits=limits)
    return apply_import(
        session=session, parsed=parsed, principal=principal, industries=industries, mode=mode
    )


def parse_import(
    kind: str,
    filename: str,
    content: bytes,
    *,
    limits: ReadLimits = DEFAULT_LIMITS,
    progress: Progress = no_progress,
) -> ParsedImport:
    """Read the file within `limits` and check each row against the schema; no database.

    A file that cannot be read, or goes beyond a limit, or has no data row, comes back
    with one file-level error and no candidates.
    """
    if kind not in ("enterprises", "partners"):
        raise ValueError(f"bad import kind: {kind}")
    parsed = ParsedImport(kind=kind)
    try:
        sheets = read_sheets(filename, content, limits, progress)
        parsed.candidates = (
            _enterprise_candidates(sheets, parsed.errors, progress)
            if kind == "enterprises"
            else _partner_candidates(sheets, parsed.errors, progress)
        )
    except SheetFileError as error:
        parsed.candidates = []
        parsed.errors = [CellError("", 0, "", str(error))]
        return parsed
    if not parsed.candidates:
        parsed.errors.append(CellError("", 0, "", NO_DATA_ROWS))
    return parsed


def apply_import(
    *,
    session: Session,
    parsed: ParsedImport,
    principal: Principal,
    industries: IndustryTable,
    mode: str = "check",
    progress: Progress = no_progress,
) -> ImportReport:
    """Create every schema-valid row through the API's services, then keep what `mode` allows.

    Each row is created in its own savepoint of the caller's transaction.  The
    report says whether the caller should commit (`committed`); otherwise the
    caller rolls back and nothing of the file is kept.
    """
    if mode not in IMPORT_MODES:
        raise ValueError(f"bad import mode: {mode}")
    kind = parsed.kind
    report = ImportReport(kind=kind, errors=list(parsed.errors))
    report.total = len(parsed.candidates) if parsed.total is None else parsed.total
    sheet = ENTERPRISE_SHEET if kind == "enterprises" else PARTNER_SHEET
    create = _create_enterprise if kind == "enterprises" else _create_partner
    if parsed.candidates:
        _open_transaction(session)
    for done, original in enumerate(parsed.candidates, start=1):
        candidate = Candidate(
            original.row, original.payload, original.asset_rows, list(original.errors)
        )
        if not candidate.errors and kind == "enterprises":
            _check_county_given(candidate, sheet, principal)
        if not candidate.errors:
            _try_create(session, candidate, sheet, create, principal, industries, report)
        report.errors.extend(candidate.errors)
        progress("database", done, report.total)
    report.errors.sort(key=lambda e: (e.sheet != sheet, e.sheet, e.row))
    keep = mode == "valid" or (mode == "all" and report.clean)
    report.committed = keep and bool(report.valid_rows)
    if not report.committed:
        report.imported_ids = []
    return report


def _check_county_given(candidate: Candidate, sheet: str, principal: Principal) -> None:
    """A county-bound officer's row with no 县区 is missing a field, not out of scope."""
    county = str(candidate.payload.get("county") or "").strip()
    if not county and not principal.sees_county(county):
        scope = "、".join(principal.counties)
        message = f"必填（当前令牌只能导入 {scope} 的企业）"
        candidate.errors.append(
            CellError(sheet, candidate.row, field_label("enterprise", ["county"]), message)
        )


def _open_transaction(session: Session) -> None:
    """Make sure the savepoints below nest in a real transaction.

    pysqlite opens a transaction only before a write; a SAVEPOINT issued outside
    one starts its own, and its RELEASE commits.  A write that changes nothing
    opens the transaction first, so a dry run really is rolled back.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sql_text("UPDATE enterprise SET id = id WHERE 1 = 0"))


def _try_create(
    session: Session,
    candidate: Candidate,
    sheet: str,
    create: Callable[..., int],
    principal: Principal,
    industries: IndustryTable,
    report: ImportReport,
) -> None:
    entity = "enterprise" if sheet == ENTERPRISE_SHEET else "partner"
    savepoint = session.begin_nested()
    try:
        new_id = create(session, candidate.payload, principal, industries)
    except FieldInvalid as error:
        savepoint.rollback()
        column = field_label(entity, error.loc)
        message = localize_message(error.message)
        candidate.errors.append(CellError(sheet, candidate.row, column, message))
    except DomainError as error:
        savepoint.rollback()
        candidate.errors.append(CellError(sheet, candidate.row, _column_for(error), error.message))
    except SQLAlchemyError as error:
        savepoint.rollback()
        message = f"数据库拒绝了该行（{type(error).__name__}）"
        candidate.errors.append(CellError(sheet, candidate.row, "", message))
    else:
        savepoint.commit()
        report.valid_rows.append(candidate.row)
        report.imported_ids.append(new_id)


def _column_for(error: DomainError) -> str:
    if "信用代码" in error.message:
        return "统一社会信用代码"
    if "令牌无权访问" in error.message:
        return "县区"
    return ""


def _create_enterprise(
    session: Session, payload: dict[str, Any], principal: Principal, industries: IndustryTable
) -> int:
    data = EnterpriseCreate.model_validate(payload)
    row = create_enterprise(session=session, data=data, industries=industries, principal=principal)
    return row.id or 0


def _create_partner(
    session: Session, payload: dict[str, Any], principal: Principal, industries: IndustryTable
) -> int:
    data = PartnerCreate.model_validate(payload)
    [row] = create_partners(
        session=session, items=[data], industries=industries, principal=principal
    )
    return row.id or 0


def _main_sheet(sheets: dict[str, Sheet], name: str) -> Sheet:
    if name in sheets:
        return sheets[name]
    for title, sheet in sheets.items():
        if title not in (ASSET_SHEET, NOTES_SHEET):
            return sheet
    raise SheetFileError(f"文件中没有“{name}”工作表")


def _read_rows(
    sheet: Sheet, columns: tuple[Column, ...], sheet_label: str, errors: list[CellError]
) -> list[tuple[int, dict[str, Any], list[CellError]]]:
    """Each data row as `field → cell`, with a 合并单元格 error for each mapped cell that a
    merged range covers (blank in the file, though the officer sees the range's value)."""
    if not sheet.header:
        raise SheetFileError(f"“{sheet_label}”工作表是空的")
    mapping, unknown = map_header(sheet.header, columns)
    for text in unknown:
        errors.append(CellError(sheet_label, 1, text, "无法识别的列名（请使用模板中的列名）"))
    if not mapping:
        raise SheetFileError(f"“{sheet_label}”工作表的第一行不是模板的列名")
    rows = []
    for number, cells in sheet.rows:
        values = row_values(cells, mapping)
        merged = [
            CellError(sheet_label, number, column.label, merged_blank(column.label, ref))
            for index, column in mapping.items()
            if (ref := sheet.merged.get((number, index))) and is_blank(values[column.field])
        ]
        rows.append((number, values, merged))
    return rows


def merged_blank(label: str, ref: str) -> str:
    return (
        f"必填：本行的{label}为空，该格在合并单元格 {ref} 中，只有首行有值；"
        f"请取消合并，在每一行填写{label}"
    )


def _schema_errors(
    model: type[BaseModel], entity: str, payload: dict[str, Any]
) -> list[tuple[tuple, str, str]]:
    try:
        model.model_validate(payload)
    except ValidationError as error:
        return validation_errors(entity, error)
    return []


def _add_schema_errors(
    candidate: Candidate, found: list[tuple[tuple, str, str]], label: str
) -> None:
    """The schema's errors of a row, but not a second one for a cell already reported
    as a blank part of a merged range."""
    merged = {(e.sheet, e.row, e.column) for e in candidate.errors}
    for loc, column, message in found:
        if len(loc) >= 2 and loc[0] == "assets" and isinstance(loc[1], int):
            error = CellError(
                ASSET_SHEET, candidate.asset_rows[loc[1]], column.split("·", 1)[-1], message
            )
        else:
            error = CellError(label, candidate.row, column, message)
        if (error.sheet, error.row, error.column) not in merged:
            candidate.errors.append(error)


def _validate(
    candidates: list[Candidate], model: type[BaseModel], entity: str, label: str, progress: Progress
) -> None:
    for done, candidate in enumerate(candidates, start=1):
        _add_schema_errors(candidate, _schema_errors(model, entity, candidate.payload), label)
        if done % 250 == 0 or done == len(candidates):
            progress("validate", done, len(candidates))


def _enterprise_candidates(
    sheets: dict[str, Sheet], errors: list[CellError], progress: Progress
) -> list[Candidate]:
    main = _main_sheet(sheets, ENTERPRISE_SHEET)
    label = main.name or ENTERPRISE_SHEET
    candidates = [
        Candidate(n, build_payload(ENTERPRISE_COLUMNS, v), errors=merged)
        for n, v, merged in _read_rows(main, ENTERPRISE_COLUMNS, label, errors)
    ]
    by_name: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_name.setdefault(str(candidate.payload.get("name", "")).strip(), []).append(candidate)
    if ASSET_SHEET in sheets and sheets[ASSET_SHEET].header:
        _attach_assets(sheets[ASSET_SHEET], by_name, errors, label)
    _validate(candidates, EnterpriseCreate, "enterprise", label, progress)
    return candidates


def _attach_assets(
    sheet: Sheet, by_name: dict[str, list[Candidate]], errors: list[CellError], label: str
) -> None:
    columns = (ASSET_KEY, *ASSET_COLUMNS)
    for number, values, merged in _read_rows(sheet, columns, ASSET_SHEET, errors):
        if merged:
            errors.extend(merged)
            continue
        name = _to_text(values.pop("enterprise", None) or "")
        owners = by_name.get(name, [])
        if not owners:
            problem = "在企业表中找不到该企业"
            errors.append(CellError(ASSET_SHEET, number, ASSET_KEY.label, problem))
            continue
        if len(owners) > 1:
            for owner in owners:
                problem = "企业表中有多行同名企业，资产无法对应"
                error = CellError(label, owner.row, ASSET_KEY.label, problem)
                if error not in owner.errors:
                    owner.errors.append(error)
            continue
        owner = owners[0]
        owner.payload.setdefault("assets", []).append(build_payload(ASSET_COLUMNS, values))
        owner.asset_rows.append(number)


def _partner_candidates(
    sheets: dict[str, Sheet], errors: list[CellError], progress: Progress
) -> list[Candidate]:
    main = _main_sheet(sheets, PARTNER_SHEET)
    label = main.name or PARTNER_SHEET
    candidates = [
        Candidate(number, build_payload(PARTNER_COLUMNS, values), errors=merged)
        for number, values, merged in _read_rows(main, PARTNER_COLUMNS, label, errors)
    ]
    _validate(candidates, PartnerCreate, "partner", label, progress)
    return candidates
