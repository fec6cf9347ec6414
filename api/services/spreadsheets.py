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

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import BaseModel, ValidationError
from sqlalchemy import text as sql_text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from api.auth import Principal
from api.errors import DomainError, FieldInvalid
from api.services.enterprises import create_enterprise
from api.services.partners import create_partners
from matcher.industry import IndustryTable
from matcher.vocab import (
    ASSET_TYPES,
    CATEGORIES,
    ENCUMBRANCES,
    OPERATING_STATUSES,
    PARTNER_KINDS,
    REVIEW_STATUSES,
)
from models.schemas import EnterpriseCreate, PartnerCreate

# ---------------------------------------------------------------- labels


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    kind: str = "text"  # text | float | int | share | bool | enum | enum_list | list
    vocab: Mapping[str, str] | None = None
    hint: str = ""


MONEY = "万元，数字"
ENTERPRISE_COLUMNS: tuple[Column, ...] = (
    Column("name", "企业名称", hint="必填，1–200 字"),
    Column("credit_code", "统一社会信用代码", hint="18 位，可空"),
    Column("province", "省份", hint="默认 山东省"),
    Column("city", "城市", hint="默认 东营市"),
    Column("county", "县区", hint="如 广饶县、东营区"),
    Column("industry_code", "行业代码", hint="GB/T 4754-2017，如 C2911 或 2911"),
    Column("operating_status", "经营状态", "enum", OPERATING_STATUSES),
    Column("capacity_utilization", "产能利用率", "share", hint="0–1 的小数或百分数，如 55%"),
    Column("employees", "职工人数", "int", hint="整数"),
    Column("description", "主营业务"),
    Column("problems", "主要困难"),
    Column("demands", "诉求"),
    Column("strengths", "核心优势"),
    Column("financials.total_assets", "总资产（万元）", "float", hint=MONEY),
    Column("financials.total_liabilities", "总负债（万元）", "float", hint=MONEY),
    Column("financials.overdue_debt", "逾期债务（万元）", "float", hint=MONEY),
    Column("financials.guarantee_exposure", "对外担保（万元）", "float", hint=MONEY),
    Column("financials.annual_revenue", "营业收入（万元）", "float", hint=MONEY),
    Column("financials.prior_revenue", "上年营业收入（万元）", "float", hint=MONEY),
    Column("financials.net_profit", "净利润（万元）", "float", hint="万元，可为负"),
    Column("financials.wage_arrears", "欠薪金额（万元）", "float", hint=MONEY),
)
ASSET_KEY = Column("enterprise", "企业名称", hint="与 企业 表中的企业名称一致")
ASSET_COLUMNS: tuple[Column, ...] = (
    Column("type", "资产类型", "enum", ASSET_TYPES),
    Column("description", "资产描述"),
    Column("area_m2", "面积（平方米）", "float", hint="数字"),
    Column("book_value", "账面价值（万元）", "float", hint=MONEY),
    Column("appraised_value", "评估价值（万元）", "float", hint=MONEY),
    Column("encumbrance", "权利限制", "enum", ENCUMBRANCES),
    Column("idle", "是否闲置", "bool", hint="是 / 否"),
    Column("location", "坐落位置"),
)
LIST_HINT = "多个用顿号、逗号或换行分隔"
PARTNER_COLUMNS: tuple[Column, ...] = (
    Column("name", "合作主体名称", hint="必填"),
    Column("credit_code", "统一社会信用代码", hint="18 位，可空"),
    Column("kind", "主体类型", "enum", PARTNER_KINDS),
    Column("industries", "投资/经营行业", "list", hint="行业代码，" + LIST_HINT),
    Column("capabilities", "业务与能力"),
    Column("interests", "投资/合作意向"),
    Column("treatment_types", "参与的施策类别", "enum_list", CATEGORIES, hint=LIST_HINT),
    Column("asset_interests", "关注的资产类型", "enum_list", ASSET_TYPES, hint=LIST_HINT),
    Column("preferred_regions", "偏好地区", "list", hint="省/市/县区，" + LIST_HINT),
    Column("ticket_min", "规模下限（万元）", "float", hint=MONEY),
    Column("ticket_max", "规模上限（万元）", "float", hint=MONEY),
    Column("excluded_industries", "排除行业", "list", hint="行业代码，" + LIST_HINT),
    Column("track_record", "过往案例"),
    Column("active", "是否启用", "bool", hint="是 / 否，默认 是"),
)
OTHER_LABELS = {"status": "状态", "note": "说明", "primary": "主要类别", "reason": "改判理由"}

FIELD_LABELS: dict[str, dict[str, str]] = {
    "enterprise": {c.field: c.label for c in ENTERPRISE_COLUMNS} | OTHER_LABELS,
    "asset": {c.field: c.label for c in ASSET_COLUMNS},
    "partner": {c.field: c.label for c in PARTNER_COLUMNS} | OTHER_LABELS,
    "review": OTHER_LABELS,
}
"""The one mapping field → 中文标签 (forms, error messages, templates, exports)."""

COMPONENT_LABELS: dict[str, str] = {
    "treatment": "施策类别",
    "industry": "行业关联",
    "deal_size": "交易规模",
    "region": "地区",
    "asset": "资产偏好",
    "kind": "主体类型",
    "dense": "语义相似",
    "lexical": "关键词相似",
}
VOCABS: dict[str, Mapping[str, str]] = {
    c.field.split(".")[-1]: c.vocab
    for c in (*ENTERPRISE_COLUMNS, *ASSET_COLUMNS, *PARTNER_COLUMNS)
    if c.vocab is not None
} | {"status": REVIEW_STATUSES, "primary": CATEGORIES}


def field_label(entity: str, loc: Iterable[str | int]) -> str:
    """The Chinese label of an error location, e.g. ('financials', 'total_assets') → 总资产."""
    parts = [p for p in loc if p != "body"]
    if entity == "enterprise" and len(parts) >= 2 and parts[0] == "assets":
        index = parts[1]
        rest = [p for p in parts[2:] if isinstance(p, str)]
        label = FIELD_LABELS["asset"].get(rest[0], rest[0]) if rest else "资产"
        return f"资产{index + 1 if isinstance(index, int) else ''}·{label}"
    names = [p for p in parts if isinstance(p, str)]
    key = ".".join(names)
    labels = FIELD_LABELS.get(entity, {})
    return labels.get(key) or labels.get(names[-1] if names else "", key or "（整行）")


_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过 {max_length} 个字符",
    "too_long": "最多 {max_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "须大于 {gt}",
    "less_than": "须小于 {lt}",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "finite_number": "须为有限的数字",
    "bool_parsing": "须为“是”或“否”",
    "bool_type": "须为“是”或“否”",
    "string_type": "须为文字",
    "list_type": "须为列表",
    "extra_forbidden": "未知字段",
}


def error_text(error: Mapping[str, Any]) -> str:
    """A pydantic error (or the API's 422 item) in Chinese."""
    kind = str(error.get("type") or "")
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (error.get("ctx") or {}).items()}
    loc = [p for p in error.get("loc", ()) if isinstance(p, str)]
    if kind in ("literal_error", "enum"):
        vocab = VOCABS.get(loc[-1] if loc else "", {})
        return "须为以下之一：" + "、".join(vocab.values()) if vocab else "取值不在允许范围内"
    if kind in _MESSAGES:
        try:
            return _MESSAGES[kind].format(**ctx)
        except (KeyError, IndexError):
            return _MESSAGES[kind].split("{")[0].strip()
    message = str(error.get("msg") or "取值不合法")
    return localize_message(message.removeprefix("Value error, "))


_CODE_LABELS = {
    c.field.split(".")[-1]: c.label
    for c in (*PARTNER_COLUMNS, *ENTERPRISE_COLUMNS, *ASSET_COLUMNS)
    if "_" in c.field.split(".")[-1]
}
_CODE_PATTERN = re.compile(r"\b(" + "|".join(sorted(_CODE_LABELS, key=len, reverse=True)) + r")\b")


def localize_message(message: str) -> str:
    """Field codes in a service's message (e.g. ticket_max) replaced by their Chinese labels."""
    return _CODE_PATTERN.sub(lambda m: _CODE_LABELS[m.group(1)], message)


def validation_errors(entity: str, error: ValidationError) -> list[tuple[tuple, str, str]]:
    """(loc, 中文标签, 中文说明) of each problem, in the order pydantic reports them."""
    out = []
    for item in error.errors():
        loc = tuple(item.get("loc", ()))
        out.append((loc, field_label(entity, loc), error_text(item)))
    return out


# ---------------------------------------------------------------- cells → payload

_SEPARATORS = re.compile(r"[、,，;；\n]+")
_TRUE = {"是", "true", "1", "y", "yes", "√", "启用", "闲置"}
_FALSE = {"否", "false", "0", "n", "no", "×", "停用"}


def _number_text(raw: str) -> str:
    return raw.replace(",", "").replace("，", "").replace(" ", "")


def _to_number(raw: Any, integer: bool) -> Any:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return int(raw) if integer and float(raw).is_integer() else raw
    text = _number_text(str(raw))
    try:
        value = float(text)
    except ValueError:
        return str(raw)  # pydantic names the problem
    if integer:
        return int(value) if value.is_integer() else value
    return value


def _to_share(raw: Any) -> Any:
    if isinstance(raw, str) and raw.strip().endswith(("%", "％")):
        number = _to_number(raw.strip()[:-1], integer=False)
        return number / 100 if isinstance(number, float) else raw
    return _to_number(raw, integer=False)


def _to_code(raw: Any, vocab: Mapping[str, str]) -> Any:
    text = str(raw).strip()
    for code, label in vocab.items():
        if text in (code, label):
            return code
    return text


def _to_bool(raw: Any) -> Any:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return text


def _to_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def convert_cell(column: Column, raw: Any) -> Any:
    """One cell to the value the schema expects; anything unreadable is passed on for pydantic."""
    if column.kind == "float":
        return _to_number(raw, integer=False)
    if column.kind == "int":
        return _to_number(raw, integer=True)
    if column.kind == "share":
        return _to_share(raw)
    if column.kind == "bool":
        return _to_bool(raw)
    if column.kind == "enum":
        return _to_code(raw, column.vocab or {})
    if column.kind in ("list", "enum_list"):
        items = [s.strip() for s in _SEPARATORS.split(_to_text(raw)) if s.strip()]
        if column.kind == "enum_list":
            return [_to_code(s, column.vocab or {}) for s in items]
        return items
    return _to_text(raw)


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def build_payload(
    columns: Iterable[Column], values: Mapping[str, Any], *, clear_blanks: bool = False
) -> dict[str, Any]:
    """Flat `field → raw cell` to the nested dict the schema validates.

    Blank cells are left out (the schema's default applies); with `clear_blanks`
    (an edit form) a blank text becomes "" and any other blank None.
    """
    payload: dict[str, Any] = {}
    for column in columns:
        if column.field not in values:
            continue
        raw = values[column.field]
        if is_blank(raw):
            if not clear_blanks:
                continue
            value: Any = "" if column.kind == "text" and column.field != "credit_code" else None
            if column.kind in ("list", "enum_list"):
                value = []
        else:
            value = convert_cell(column, raw)
        head, _, tail = column.field.partition(".")
        if tail:
            payload.setdefault(head, {})[tail] = value
        else:
            payload[head] = value
    return payload


# ---------------------------------------------------------------- reading files


class SheetFileError(Exception):
    """The file itself cannot be read (not a workbook, wrong encoding, too large)."""


MAX_ROWS = 5000
MAX_COLUMNS = 60


@dataclass(frozen=True)
class Sheet:
    name: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as the officer sees it, cells)


def read_sheets(filename: str, content: bytes) -> dict[str, Sheet]:
    """Every sheet of an .xlsx, or the single table of a .csv (key ``""``)."""
    lower = filename.lower()
    if lower.endswith(".csv"):
        return {"": _sheet_from_rows("", _csv_rows(content))}
    if not lower.endswith((".xlsx", ".xlsm")):
        raise SheetFileError("只支持 .xlsx 或 .csv 文件")
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise SheetFileError(f"无法读取该 Excel 文件（{type(error).__name__}）") from None
    try:
        sheets = {}
        for ws in book.worksheets:
            rows = ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)
            sheets[ws.title.strip()] = _sheet_from_rows(ws.title.strip(), rows)
        return sheets
    except SheetFileError:
        raise
    except Exception as error:
        raise SheetFileError(f"无法读取该 Excel 文件（{type(error).__name__}）") from None
    finally:
        book.close()


def _csv_rows(content: bytes) -> Iterable[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetFileError("无法识别 CSV 文件的编码（请用 UTF-8 或 GBK）")
    if "\x00" in text:
        raise SheetFileError("CSV 文件含有空字符，不是文本文件")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise SheetFileError(f"CSV 格式错误：{error}") from None


def _sheet_from_rows(name: str, rows: Iterable[Iterable[Any]]) -> Sheet:
    header: list[str] | None = None
    body: list[tuple[int, list[Any]]] = []
    for number, row in enumerate(rows, start=1):
        cells = list(row)[:MAX_COLUMNS]
        if header is None:
            if all(is_blank(c) for c in cells):
                continue
            header = [_to_text(c) if c is not None else "" for c in cells]
            continue
        if all(is_blank(c) for c in cells):
            continue
        if len(body) >= MAX_ROWS:
            raise SheetFileError(f"行数超过上限 {MAX_ROWS}，请分批导入")
        body.append((number, cells))
    return Sheet(name, header or [], body)


def _header_key(text: str) -> str:
    return re.sub(r"[\s*＊]", "", text)


def map_header(header: list[str], columns: Iterable[Column]) -> tuple[dict[int, Column], list[str]]:
    """Column index → Column, matched by Chinese label or field code; and unknown headers."""
    by_key: dict[str, Column] = {}
    for column in columns:
        for key in (column.label, column.field, column.field.split(".")[-1]):
            by_key.setdefault(_header_key(key), column)
    mapping: dict[int, Column] = {}
    unknown = []
    for index, text in enumerate(header):
        if not text.strip():
            continue
        column = by_key.get(_header_key(text))
        if column is None:
            unknown.append(text)
        elif column not in mapping.values():
            mapping[index] = column
    return mapping, unknown


def row_values(cells: list[Any], mapping: Mapping[int, Column]) -> dict[str, Any]:
    return {col.field: cells[i] if i < len(cells) else None for i, col in mapping.items()}


# ---------------------------------------------------------------- importing


@dataclass(frozen=True)
class CellError:
    sheet: str
    row: int
    """The row number the officer sees (the header is row 1); 0 for the file as a whole."""
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet} 表" if self.sheet else ""
        where += f"第 {self.row} 行" if self.row else ""
        column = f"「{self.column}」" if self.column else ""
        return f"{where}{column}：{self.message}" if where or column else self.message


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

ENTERPRISE_SHEET, ASSET_SHEET, PARTNER_SHEET, NOTES_SHEET = "企业", "资产", "合作主体", "说明"


@dataclass
class _Candidate:
    row: int
    payload: dict[str, Any]
    asset_rows: list[int] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)


def import_spreadsheet(
    *,
    session: Session,
    kind: str,
    filename: str,
    content: bytes,
    principal: Principal,
    industries: IndustryTable,
    mode: str = "check",
) -> ImportReport:
    """Check every row through the API's schemas and services, then keep what `mode` allows.

    Each row is created in its own savepoint of the caller's transaction.  The
    report says whether the caller should commit (`committed`); otherwise the
    caller rolls back and nothing of the file is kept.
    """
    if kind not in ("enterprises", "partners") or mode not in IMPORT_MODES:
        raise ValueError(f"bad import kind or mode: {kind} {mode}")
    report = ImportReport(kind=kind)
    try:
        sheets = read_sheets(filename, content)
        candidates = (
            _enterprise_candidates(sheets, report)
            if kind == "enterprises"
            else _partner_candidates(sheets, report)
        )
    except SheetFileError as error:
        report.errors = [CellError("", 0, "", str(error))]
        return report
    report.total = len(candidates)
    _open_transaction(session)
    sheet = ENTERPRISE_SHEET if kind == "enterprises" else PARTNER_SHEET
    create = _create_enterprise if kind == "enterprises" else _create_partner
    for candidate in candidates:
        if not candidate.errors:
            _try_create(session, candidate, sheet, create, principal, industries, report)
        report.errors.extend(candidate.errors)
    report.errors.sort(key=lambda e: (e.sheet != sheet, e.sheet, e.row))
    keep = mode == "valid" or (mode == "all" and report.clean)
    report.committed = keep and bool(report.valid_rows)
    if not report.committed:
        report.imported_ids = []
    return report


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
    candidate: _Candidate,
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
    sheet: Sheet, columns: tuple[Column, ...], sheet_label: str, report: ImportReport
) -> list[tuple[int, dict[str, Any]]]:
    if not sheet.header:
        raise SheetFileError(f"“{sheet_label}”工作表是空的")
    mapping, unknown = map_header(sheet.header, columns)
    for text in unknown:
        report.errors.append(
            CellError(sheet_label, 1, text, "无法识别的列名（请使用模板中的列名）")
        )
    if not mapping:
        raise SheetFileError(f"“{sheet_label}”工作表的第一行不是模板的列名")
    return [(number, row_values(cells, mapping)) for number, cells in sheet.rows]


def _schema_errors(
    model: type[BaseModel], entity: str, payload: dict[str, Any]
) -> list[tuple[tuple, str, str]]:
    try:
        model.model_validate(payload)
    except ValidationError as error:
        return validation_errors(entity, error)
    return []


def _enterprise_candidates(sheets: dict[str, Sheet], report: ImportReport) -> list[_Candidate]:
    main = _main_sheet(sheets, ENTERPRISE_SHEET)
    label = main.name or ENTERPRISE_SHEET
    rows = _read_rows(main, ENTERPRISE_COLUMNS, label, report)
    candidates = [_Candidate(n, build_payload(ENTERPRISE_COLUMNS, v)) for n, v in rows]
    by_name: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        by_name.setdefault(str(candidate.payload.get("name", "")).strip(), []).append(candidate)
    if ASSET_SHEET in sheets and sheets[ASSET_SHEET].header:
        _attach_assets(sheets[ASSET_SHEET], by_name, report, label)
    for candidate in candidates:
        asset_rows = candidate.asset_rows
        for loc, column, message in _schema_errors(
            EnterpriseCreate, "enterprise", candidate.payload
        ):
            if len(loc) >= 2 and loc[0] == "assets" and isinstance(loc[1], int):
                column = column.split("·", 1)[-1]
                candidate.errors.append(CellError(ASSET_SHEET, asset_rows[loc[1]], column, message))
            else:
                candidate.errors.append(CellError(label, candidate.row, column, message))
    return candidates


def _attach_assets(
    sheet: Sheet, by_name: dict[str, list[_Candidate]], report: ImportReport, label: str
) -> None:
    for number, values in _read_rows(sheet, (ASSET_KEY, *ASSET_COLUMNS), ASSET_SHEET, report):
        name = _to_text(values.pop("enterprise", None) or "")
        owners = by_name.get(name, [])
        if not owners:
            problem = "在企业表中找不到该企业"
            report.errors.append(CellError(ASSET_SHEET, number, ASSET_KEY.label, problem))
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


def _partner_candidates(sheets: dict[str, Sheet], report: ImportReport) -> list[_Candidate]:
    main = _main_sheet(sheets, PARTNER_SHEET)
    label = main.name or PARTNER_SHEET
    candidates = []
    for number, values in _read_rows(main, PARTNER_COLUMNS, label, report):
        candidate = _Candidate(number, build_payload(PARTNER_COLUMNS, values))
        for _, column, message in _schema_errors(PartnerCreate, "partner", candidate.payload):
            candidate.errors.append(CellError(label, number, column, message))
        candidates.append(candidate)
    return candidates


# ---------------------------------------------------------------- templates and exports

_EXAMPLE_ENTERPRISE = {
    "name": "东营市瑞垦橡胶有限公司（示例，导入前请删除）",
    "county": "广饶县",
    "industry_code": "C2911",
    "operating_status": "半停产",
    "capacity_utilization": "55%",
    "employees": 420,
    "description": "全钢子午线轮胎，产能120万条/年",
    "problems": "银行抽贷3000万元，担保链代偿压力大",
    "demands": "希望引入战略投资者，协调银行展期",
    "strengths": "省级企业技术中心，专利18项",
    "financials.total_assets": 52000,
    "financials.total_liabilities": 46800,
    "financials.overdue_debt": 6500,
}
_EXAMPLE_ASSET = {
    "enterprise": _EXAMPLE_ENTERPRISE["name"],
    "type": "厂房",
    "description": "闲置厂房两栋",
    "area_m2": 18000,
    "encumbrance": "抵押",
    "idle": "是",
    "location": "广饶县大王镇",
}
_EXAMPLE_PARTNER = {
    "name": "山东黄河资产管理有限公司（示例，导入前请删除）",
    "kind": "资产管理公司",
    "industries": "C29、C26",
    "capabilities": "不良资产收购与处置、债务重组、破产重整投资",
    "interests": "东营市内负债较重但有经营价值的制造业企业",
    "treatment_types": "债务重组、破产重整",
    "asset_interests": "土地、厂房",
    "preferred_regions": "山东省",
    "ticket_min": 3000,
    "ticket_max": 200000,
    "active": "是",
}


def _allowed(column: Column) -> str:
    if column.vocab:
        return "可选：" + "、".join(column.vocab.values())
    return column.hint


def template_workbook(kind: str) -> bytes:
    """An empty import template with Chinese headers, an example row and a 说明 sheet."""
    book = Workbook()
    sheets: list[tuple[str, tuple[Column, ...], dict[str, Any]]]
    if kind == "enterprises":
        sheets = [
            (ENTERPRISE_SHEET, ENTERPRISE_COLUMNS, _EXAMPLE_ENTERPRISE),
            (ASSET_SHEET, (ASSET_KEY, *ASSET_COLUMNS), _EXAMPLE_ASSET),
        ]
    else:
        sheets = [(PARTNER_SHEET, PARTNER_COLUMNS, _EXAMPLE_PARTNER)]
    book.remove(book.active)
    notes = [["工作表", "列名", "字段", "填写说明"]]
    for title, columns, example in sheets:
        ws = book.create_sheet(title)
        ws.append([c.label for c in columns])
        ws.append([example.get(c.field, "") for c in columns])
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[ws.cell(1, index).column_letter].width = max(
                12, len(column.label) * 2 + 2
            )
            notes.append([title, column.label, column.field, _allowed(column)])
        ws.freeze_panes = "A2"
    ws = book.create_sheet(NOTES_SHEET)
    for line in (*_notes(kind), [], *notes):
        ws.append(line)
    for letter, width in zip("ABCD", (12, 22, 32, 60), strict=True):
        ws.column_dimensions[letter].width = width
    return _save(book)


def _notes(kind: str) -> list[list[str]]:
    lines = [
        ["第一行是列名，请勿修改；第二行是示例，导入前请删除。金额单位均为万元，面积为平方米。"],
        ["先“检查”：每一行都按接口的规则校验，问题按行号和列名列出；文件无误才会导入，"],
        ["或选择“仅导入有效行”。同一文件的导入在一个事务内完成。"],
    ]
    if kind == "enterprises":
        lines.append(["资产写在“资产”工作表，每行一项，用“企业名称”与企业表对应；"])
        lines.append(["CSV 文件只含企业表的列，不含资产。"])
    return lines


def template_csv(kind: str) -> bytes:
    columns = ENTERPRISE_COLUMNS if kind == "enterprises" else PARTNER_COLUMNS
    example = _EXAMPLE_ENTERPRISE if kind == "enterprises" else _EXAMPLE_PARTNER
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in columns])
    writer.writerow([example.get(c.field, "") for c in columns])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _safe_cell(value: Any) -> Any:
    """Text that Excel would run as a formula is written as plain text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def table_workbook(title: str, header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """One sheet with a bold header row; used by the exports."""
    book = Workbook()
    ws = book.active
    ws.title = title[:31]
    ws.append(header)
    for row in rows:
        ws.append([_safe_cell(v) for v in row])
    for index, text in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(1, index).column_letter].width = max(10, len(text) * 2 + 2)
    ws.freeze_panes = "A2"
    return _save(book)


def matches_export_rows(items: Iterable[Any]) -> tuple[list[str], list[list[Any]]]:
    """Ranked partners (MatchItem) as a table: rank, partner, score, each component, reasons."""
    header = ["排名", "合作主体", "主体类型", "总分", *COMPONENT_LABELS.values(), "理由", "状态"]
    rows = [
        [
            item.rank,
            item.partner_name,
            PARTNER_KINDS.get(item.partner_kind, item.partner_kind),
            round(item.score, 3),
            *(round(item.components.get(c, 0.0), 3) for c in COMPONENT_LABELS),
            "；".join(item.reasons),
            REVIEW_STATUSES.get(item.status or "", "未处理"),
        ]
        for item in items
    ]
    return header, rows
