"""Spreadsheets built to cost the reader as much as possible (issue 11, item 2), and an
honest large one.

Each hostile .xlsx is written part by part with zipfile, as an attacker would: openpyxl
would never write a million blank rows or a 200 MB cell.  The sizes are those of the
issue's report: a 147 KB file holding a header and 10⁶ blank rows, a shared-strings table
of a few hundred KB that unpacks to ~85 MB, a single cell of 200 MB.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

from api.services.spreadsheets import ENTERPRISE_COLUMNS

HEADER = [c.label for c in ENTERPRISE_COLUMNS]

_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="' + _OOXML + '.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="' + _OOXML + '.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="' + _OOXML + '.sharedStrings+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="' + _REL + '/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="企业" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="' + _REL + '/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="' + _REL + '/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"
_STRINGS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _inline_row(number: int, values: Iterable[str]) -> str:
    cells = "".join(
        f'<c r="{_column(i)}{number}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        for i, v in enumerate(values)
        if v
    )
    return f'<row r="{number}">{cells}</row>'


def _xlsx(sheet_chunks: Iterable[str], string_chunks: Iterable[str] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, chunks in (
            ("xl/worksheets/sheet1.xml", sheet_chunks),
            ("xl/sharedStrings.xml", string_chunks or [_STRINGS_HEAD, "</sst>"]),
        ):
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in chunks:
                    part.write(chunk.encode())
    return buffer.getvalue()


def blank_rows_xlsx(blank_rows: int = 1_000_000) -> bytes:
    """A header, then `blank_rows` empty rows, each a `<row>` element (no data at all)."""

    def sheet() -> Iterable[str]:
        yield _SHEET_HEAD + _inline_row(1, HEADER)
        step = 10_000
        for start in range(2, blank_rows + 2, step):
            yield "".join("<row/>" for n in range(start, min(start + step, blank_rows + 2)))
        yield _SHEET_TAIL

    return _xlsx(sheet())


def far_row_xlsx(row: int = 1_048_576) -> bytes:
    """A header and one cell in the sheet's last row: every row between is read as blank."""
    return _xlsx(
        [_SHEET_HEAD, _inline_row(1, HEADER), _inline_row(row, ["远处的公司"]), _SHEET_TAIL]
    )


def shared_strings_bomb(strings: int = 5_000_000) -> bytes:
    """A few hundred KB whose shared-strings table unpacks to ~85 MB of tiny strings."""

    def table() -> Iterable[str]:
        yield _STRINGS_HEAD
        for _ in range(strings // 10_000):
            yield "<si><t>a</t></si>" * 10_000
        yield "</sst>"

    return _xlsx([_SHEET_HEAD, _inline_row(1, HEADER), _SHEET_TAIL], table())


def huge_cell_xlsx(megabytes: int = 200) -> bytes:
    """One shared string of `megabytes` MB, referenced by the first data row's name cell."""

    def table() -> Iterable[str]:
        yield _STRINGS_HEAD + "<si><t>"
        chunk = "公" * (1024 * 1024 // 3)
        for _ in range(megabytes):
            yield chunk
        yield "</t></si></sst>"

    sheet = [
        _SHEET_HEAD,
        _inline_row(1, HEADER),
        '<row r="2"><c r="A2" t="s"><v>0</v></c></row>',
        _SHEET_TAIL,
    ]
    return _xlsx(sheet, table())


def long_cell_xlsx(characters: int = 100_000) -> bytes:
    """A name of `characters` characters: small unpacked, but more than a cell may hold."""
    return _xlsx(
        [_SHEET_HEAD, _inline_row(1, HEADER), _inline_row(2, ["长" * characters]), _SHEET_TAIL]
    )


def merged_county_xlsx(rows: list[dict[str, str]], merge: str) -> bytes:
    """A 企业 sheet of `rows` (label → value) with one merged range, e.g. "E2:E4"."""
    body = [_inline_row(1, HEADER)]
    for number, row in enumerate(rows, start=2):
        body.append(_inline_row(number, [row.get(label, "") for label in HEADER]))
    merged = f'<mergeCells count="1"><mergeCell ref="{merge}"/></mergeCells>'
    return _xlsx([_SHEET_HEAD, *body, "</sheetData>", merged, "</worksheet>"])


def honest_csv(rows: int = 5000) -> bytes:
    """`rows` valid enterprises of 东营区, as an officer's export from another system."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["企业名称", "县区", "行业代码", "经营状态", "职工人数", "主要困难", "总资产（万元）"]
    )
    for i in range(rows):
        writer.writerow(
            [f"东营市第{i}号测试有限公司", "东营区", "C2614", "半停产", 100 + i, "逾期贷款", 30000]
        )
    return out.getvalue().encode("utf-8-sig")
