"""Downloadable templates (Chinese headers, an example row, notes) and exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from api.services.spreadsheets.importing import (
    ASSET_SHEET,
    ENTERPRISE_SHEET,
    NOTES_SHEET,
    PARTNER_SHEET,
)
from api.services.spreadsheets.labels import (
    ASSET_COLUMNS,
    ASSET_KEY,
    COMPONENT_LABELS,
    ENTERPRISE_COLUMNS,
    PARTNER_COLUMNS,
    Column,
)
from matcher.vocab import (
    PARTNER_KINDS,
    REVIEW_STATUSES,
)

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


FORMULA_STARTS = ("=", "+", "-", "@")
"""What makes a spreadsheet program read a typed cell as a formula (OWASP's CSV-injection list
without tab and carriage return, which openpyxl writes as plain text anyway)."""


def _write_row(ws: Worksheet, number: int, values: Iterable[Any]) -> None:
    """One row; text is always a text cell, so a name such as "=HYPERLINK(…)" or "-减债"
    is shown as it is, never run as a formula nor shown with a leading apostrophe.

    openpyxl would store a string beginning with "=" as a formula; the cell is set back to
    a string, and given Excel's quotePrefix style (what Excel itself stores when an officer
    types '=…): the apostrophe is not part of the value nor shown in the cell, and editing
    the cell does not turn it into a formula either.
    """
    for column, value in enumerate(values, start=1):
        cell = ws.cell(number, column, value)
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True


def table_workbook(title: str, header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """One sheet with a bold header row; used by the exports."""
    book = Workbook()
    ws = book.active
    ws.title = title[:31]
    _write_row(ws, 1, header)
    for number, row in enumerate(rows, start=2):
        _write_row(ws, number, row)
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
