"""Reading .xlsx/.csv files into sheets, within limits, and matching their headers to columns.

The reader is written for files nobody has checked yet: an .xlsx is refused before
openpyxl opens it when its parts would unpack beyond `ReadLimits`, and rows, cells and
time are counted while it reads, blank rows included, so a small file cannot make it
work for minutes (see limits.py).
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string

from api.services.spreadsheets import limits as messages
from api.services.spreadsheets.cells import _to_text, is_blank
from api.services.spreadsheets.labels import Column
from api.services.spreadsheets.limits import DEFAULT_LIMITS, ReadLimits

# Sheet names of the workbook layout (see the template's 说明 sheet).
ENTERPRISE_SHEET, ASSET_SHEET, PARTNER_SHEET, NOTES_SHEET = "企业", "资产", "合作主体", "说明"


class SheetFileError(Exception):
    """The file itself cannot be read (not a workbook, wrong encoding, beyond a limit)."""


Progress = Callable[[str, int, int | None], None]
"""(stage, done, total or None): how far a long step has come, for the page to show."""


def no_progress(stage: str, done: int, total: int | None) -> None:
    """A Progress that tells no one (the CLI, the tests)."""


@dataclass(frozen=True)
class Sheet:
    name: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as the officer sees it, cells)
    merged: dict[tuple[int, int], str] = field(default_factory=dict)
    """(row, column index from 0) of a cell a merged range covers below its first row → the
    range, e.g. "E2:E5": such a cell is blank in the file though the officer sees a value."""


@dataclass
class _Budget:
    """What the whole file may still cost: cells and time, shared by its sheets."""

    limits: ReadLimits
    progress: Progress
    deadline: float
    clock: Callable[[], float] = time.monotonic
    cells: int = 0
    rows: int = 0

    def row_read(self) -> None:
        self.rows += 1
        if self.rows % 250 == 0:
            if self.clock() > self.deadline:
                raise SheetFileError(messages.too_slow(self.limits))
            self.progress("read", self.rows, None)


def read_sheets(
    filename: str,
    content: bytes,
    limits: ReadLimits = DEFAULT_LIMITS,
    progress: Progress = no_progress,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Sheet]:
    """Every sheet of an .xlsx, or the single table of a .csv (key ``""``)."""
    budget = _Budget(limits, progress, clock() + limits.max_seconds, clock)
    lower = filename.lower()
    if lower.endswith(".csv"):
        return {"": _sheet_from_rows("", _csv_rows(content, limits), budget)}
    if not lower.endswith((".xlsx", ".xlsm")):
        raise SheetFileError("只支持 .xlsx 或 .csv 文件")
    archive = _open_archive(content, limits)
    _check_shared_strings(archive, limits)
    scans = _scan_sheets(archive, limits)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise SheetFileError(f"无法读取该 Excel 文件（{type(error).__name__}）") from None
    try:
        sheets = {}
        for ws in book.worksheets:
            title = ws.title.strip()
            if title == NOTES_SHEET:  # the template's notes: never imported, not read
                continue
            merged = scans.get(str(getattr(ws, "_worksheet_path", "")).lstrip("/"), {})
            ws.reset_dimensions()  # a forged <dimension> must not pad every row to 16384 cells
            rows = ws.iter_rows(values_only=True)
            sheets[title] = _sheet_from_rows(title, rows, budget, merged)
        return sheets
    except SheetFileError:
        raise
    except Exception as error:
        raise SheetFileError(f"无法读取该 Excel 文件（{type(error).__name__}）") from None
    finally:
        book.close()


def _open_archive(content: bytes, limits: ReadLimits) -> zipfile.ZipFile:
    """The .xlsx as a zip, refused when its parts would unpack beyond the limits.

    The sizes are the ones the zip declares; Python's zipfile never inflates a part beyond
    its declared size, so they bound what openpyxl can be made to read.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise SheetFileError(f"无法读取该 Excel 文件（{type(error).__name__}）") from None
    if len(parts) > limits.max_parts:
        raise SheetFileError(messages.too_many_parts(len(parts), limits))
    total = 0
    for part in parts:
        total += part.file_size
        if part.filename.lower().endswith("sharedstrings.xml"):
            if part.file_size > limits.max_shared_strings_bytes:
                raise SheetFileError(messages.too_big_shared_strings(part.file_size, limits))
        elif part.file_size > limits.max_part_bytes:
            raise SheetFileError(messages.too_big_part(part.filename, part.file_size, limits))
    if total > limits.max_unpacked_bytes:
        raise SheetFileError(messages.too_big_unpacked(total, limits))
    return archive


_MERGE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})\""
)


def _count(data: bytes, element: bytes) -> int:
    """How many `<element` tags the XML holds, with or without a namespace prefix."""
    prefixed = re.compile(rb"<[A-Za-z_][\w.-]*:" + element + rb"[\s/>]")
    return (
        data.count(b"<" + element + b">")
        + data.count(b"<" + element + b" ")
        + (data.count(b"<" + element + b"/") + len(prefixed.findall(data)))
    )


def _check_shared_strings(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """More strings than the file may have cells is refused before openpyxl loads them all."""
    for part in archive.infolist():
        if part.filename.lower().endswith("sharedstrings.xml"):
            try:
                count = _count(archive.read(part), b"si")
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
                raise SheetFileError(f"无法读取该 Excel 文件（{type(error).__name__}）") from None
            if count > limits.max_cells:
                raise SheetFileError(messages.too_many_shared_strings(count, limits))


def _scan_sheets(
    archive: zipfile.ZipFile, limits: ReadLimits
) -> dict[str, dict[tuple[int, int], str]]:
    """Part name → merged cells of each worksheet; a sheet of more row elements than it may
    span is refused here, before openpyxl opens it (it walks a whole sheet once to size it)."""
    scans = {}
    for part in archive.infolist():
        name = part.filename
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        try:
            data = archive.read(part)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise SheetFileError(f"无法读取该 Excel 文件（{type(error).__name__}）") from None
        if _count(data, b"row") > limits.max_row_span:
            raise SheetFileError(messages.too_long_sheet("", limits))
        scans[name] = _merged_cells(data, limits)
    return scans


def _merged_cells(data: bytes, limits: ReadLimits) -> dict[tuple[int, int], str]:
    """Cells below the first row of a merged range, within the columns and rows read.

    openpyxl's read-only mode does not report merged ranges; the <mergeCell> elements are
    found in the sheet's part directly (its size already bounded).  At most
    `max_merged_ranges` ranges and as many cells as the sheet may span are marked.
    """
    covered: dict[tuple[int, int], str] = {}
    budget = limits.max_row_span * limits.max_columns
    for count, match in enumerate(_MERGE.finditer(data)):
        if count >= limits.max_merged_ranges or len(covered) >= budget:
            break
        first_col, first_row, last_col, last_row = match.groups()
        top, bottom = int(first_row), min(int(last_row), limits.max_row_span)
        left = column_index_from_string(first_col.decode()) - 1
        right = min(column_index_from_string(last_col.decode()) - 1, limits.max_columns - 1)
        ref = f"{first_col.decode()}{top}:{last_col.decode()}{int(last_row)}"
        for row in range(top + 1, bottom + 1):
            for column in range(left, right + 1):
                covered.setdefault((row, column), ref)
                if len(covered) >= budget:
                    break
    return covered


def _csv_rows(content: bytes, limits: ReadLimits) -> Iterator[list[str]]:
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
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                message = messages.too_long_cell("", reader.line_num, None, limits)
                raise SheetFileError(message) from None
            raise SheetFileError(f"CSV 格式错误：{error}") from None
        yield row


def _sheet_from_rows(
    name: str,
    rows: Iterable[Iterable[Any]],
    budget: _Budget,
    merged: dict[tuple[int, int], str] | None = None,
) -> Sheet:
    limits = budget.limits
    header: list[str] | None = None
    body: list[tuple[int, list[Any]]] = []
    label = name or "CSV"
    for number, row in enumerate(rows, start=1):
        if number > limits.max_row_span:
            raise SheetFileError(messages.too_long_sheet(label, limits))
        budget.row_read()
        cells = list(row)
        if len(cells) > limits.max_columns:
            if any(not is_blank(c) for c in cells[limits.max_columns :]):
                raise SheetFileError(messages.too_wide_row(label, number, limits))
            cells = cells[: limits.max_columns]
        filled = 0
        for index, cell in enumerate(cells):
            if is_blank(cell):
                continue
            filled += 1
            if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
                raise SheetFileError(messages.too_long_cell(name, number, index + 1, limits))
        if not filled:
            continue
        budget.cells += filled
        if budget.cells > limits.max_cells:
            raise SheetFileError(messages.too_many_cells(limits))
        if header is None:
            header = [_to_text(c) if c is not None else "" for c in cells]
            continue
        if len(body) >= limits.max_rows:
            raise SheetFileError(messages.too_many_rows(label, limits))
        body.append((number, cells))
    return Sheet(name, header or [], body, merged or {})


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
