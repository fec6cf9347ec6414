"""Issue 11, item 2: the reader's limits, on the hostile files of the report and an honest one.

Each hostile file must come back quickly with one Chinese error that names the limit it
broke, never as "检查通过：0 行"; the honest file must pass whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from api.services.spreadsheets.importing import parse_import
from api.services.spreadsheets.limits import NO_DATA_ROWS, ReadLimits
from tests.api import hostile_files as hostile

FAST_SECONDS = 5.0
"""Far above what each refusal costs here (well under a second), far below what the same
files cost before the limits (57 s for 10⁶ blank rows)."""


@pytest.mark.parametrize(
    ("build", "filename", "names"),
    [
        (hostile.blank_rows_xlsx, "blank.xlsx", ("10000 行", "空行也计入")),
        (hostile.far_row_xlsx, "far.xlsx", ("10000 行", "空行也计入")),
        (hostile.shared_strings_bomb, "bomb.xlsx", ("共享字符串", "16.0 MB 的上限")),
        (hostile.huge_cell_xlsx, "cell.xlsx", ("共享字符串", "200.0 MB", "16.0 MB 的上限")),
        (hostile.long_cell_xlsx, "long.xlsx", ("第 2 行第 1 列", "32767 个字符")),
    ],
)
def test_hostile_files_are_refused_naming_the_limit(
    build: Callable[[], bytes], filename: str, names: tuple[str, ...]
) -> None:
    content = build()
    started = time.monotonic()
    parsed = parse_import("enterprises", filename, content)
    assert time.monotonic() - started < FAST_SECONDS
    assert parsed.candidates == []
    [error] = parsed.errors
    for name in names:
        assert name in error.message, error.message


def test_many_tiny_shared_strings_are_refused_by_count() -> None:
    """Under the 16 MB size bound, but more strings than the file may have cells."""
    parsed = parse_import("enterprises", "x.xlsx", hostile.shared_strings_bomb(400_000))
    [error] = parsed.errors
    assert "400000 项" in error.message and "300000 项的上限" in error.message


def test_a_csv_cell_beyond_the_cell_limit() -> None:
    header = "企业名称,县区\n".encode()
    for size in (40_000, 200_000):  # under and over the csv module's own field limit
        parsed = parse_import("enterprises", "x.csv", header + b"a" * size + b",x\n")
        [error] = parsed.errors
        assert "32767 个字符" in error.message


def test_blank_csv_lines_count_toward_the_sheet_limit() -> None:
    content = "企业名称,县区\n".encode() + b",\n" * 20_000 + "东营市某公司,东营区\n".encode()
    [error] = parse_import("enterprises", "x.csv", content).errors
    assert "10000 行" in error.message and "空行也计入" in error.message


def test_data_beyond_the_last_column_is_refused() -> None:
    content = ("企业名称" + "," * 70 + "\n" + "某公司" + "," * 70 + "x\n").encode()
    [error] = parse_import("enterprises", "x.csv", content).errors
    assert "第 2 行在第 60 列之后还有数据" in error.message


def test_too_many_cells_in_the_file() -> None:
    limits = ReadLimits(max_cells=1000)
    rows = "\n".join(f"公司{i},东营区" for i in range(600))
    content = ("企业名称,县区\n" + rows + "\n").encode()
    [error] = parse_import("enterprises", "x.csv", content, limits=limits).errors
    assert "1000 个的上限" in error.message


def test_the_time_limit_stops_the_reader() -> None:
    limits = ReadLimits(max_seconds=0.0)
    [error] = parse_import("enterprises", "x.csv", hostile.honest_csv(1000), limits=limits).errors
    assert "0 秒的时间上限" in error.message


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("header.csv", "企业名称,县区\n".encode()),
        ("blank.csv", "企业名称,县区\n,\n , \n".encode()),
    ],
)
def test_a_file_without_data_rows_is_an_error(filename: str, content: bytes) -> None:
    parsed = parse_import("enterprises", filename, content)
    assert parsed.candidates == []
    assert [e.message for e in parsed.errors] == [NO_DATA_ROWS]


def test_an_honest_large_file_passes_whole() -> None:
    parsed = parse_import("enterprises", "list.csv", hostile.honest_csv(5000))
    assert parsed.errors == [] and len(parsed.candidates) == 5000
    assert all(not c.errors for c in parsed.candidates)
