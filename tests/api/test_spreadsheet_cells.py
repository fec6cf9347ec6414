"""Issue 11, item 10: merged cells in an import, and names that look like formulas in an export."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import load_workbook
from sqlalchemy import Engine

from api.auth import Principal
from api.services.spreadsheets import table_workbook
from matcher.industry import IndustryTable
from tests.api import hostile_files as hostile
from tests.api.test_spreadsheets import ADMIN, run_import

OFFICER = Principal(name="东营区招商局", role="officer", counties=("东营区",))
ROWS = [
    {"企业名称": "东营市合并一号有限公司", "县区": "东营区"},
    {"企业名称": "东营市合并二号有限公司"},
    {"企业名称": "东营市合并三号有限公司"},
]


def test_rows_under_a_merged_county_cell_are_told_the_county_is_required(
    engine: Engine, industries: IndustryTable
) -> None:
    content = hostile.merged_county_xlsx(ROWS, "E2:E4")  # 县区 is column E
    for principal in (OFFICER, ADMIN):
        report = run_import(engine, industries, content, mode="all", principal=principal)
        assert not report.committed and report.valid_rows == [2]
        found = {(e.row, e.column): e.message for e in report.errors}
        assert set(found) == {(3, "县区"), (4, "县区")}
        for message in found.values():
            assert message.startswith("必填") and "合并单元格 E2:E4" in message
            assert "令牌" not in message


def test_an_officers_row_without_a_county_is_missing_a_field(
    engine: Engine, industries: IndustryTable
) -> None:
    content = hostile.merged_county_xlsx(ROWS[:2], "A10:A11")  # a merge away from the data
    report = run_import(engine, industries, content, principal=OFFICER)
    [error] = report.errors
    assert (error.row, error.column) == (3, "县区")
    assert error.message == "必填（当前令牌只能导入 东营区 的企业）"


def test_formula_like_names_are_exported_as_text_cells() -> None:
    names = ['=HYPERLINK("http://evil.example","点击")', "-减债重组", "+86 公司", "@某公司"]
    content = table_workbook("导出", ["名称", "数字"], [[n, -3] for n in names])
    sheet = load_workbook(io.BytesIO(content)).active
    for number, name in enumerate(names, start=2):
        cell = sheet.cell(number, 1)
        assert cell.value == name  # no leading apostrophe in the value
        assert cell.data_type == "s" and cell.quotePrefix
        assert sheet.cell(number, 2).value == -3  # numbers stay numbers
    xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # nothing Excel would calculate
    assert not re.search(r"<t>'", xml)
