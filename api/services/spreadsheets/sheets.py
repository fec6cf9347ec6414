"""Reading .xlsx/.csv files into sheets, and matching their headers to columns."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook

from api.services.spreadsheets.cells import _to_text, is_blank
from api.services.spreadsheets.labels import Column

# Sheet names of the workbook layout (see the template's 说明 sheet).
ENTERPRISE_SHEET, ASSET_SHEET, PARTNER_SHEET, NOTES_SHEET = "企业", "资产", "合作主体", "说明"


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
