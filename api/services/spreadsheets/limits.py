"""What one uploaded spreadsheet may hold, and how a file that exceeds it is told.

Every bound is on what the *reader* does, not on the upload's size: a 147 KB .xlsx can
hold a header and a million blank rows, a 660 KB one a shared-strings table that unpacks
to hundreds of megabytes (issue 11).  The reader stops at the first bound it meets and
says which one, in Chinese, so the officer knows what to change.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    max_rows: int = 5000
    """Data rows (non-blank) per sheet."""
    max_row_span: int = 10_000
    """Rows read per sheet, counted from the top, blank ones too."""
    max_columns: int = 60
    """Columns that may hold data; a non-blank cell further right is refused."""
    max_cells: int = 300_000
    """Non-blank cells in the whole file."""
    max_cell_chars: int = 32_767
    """Characters in one cell (Excel's own limit)."""
    max_part_bytes: int = 32 * MB
    """One part (zip member) of an .xlsx, uncompressed."""
    max_shared_strings_bytes: int = 16 * MB
    """The shared-strings table (xl/sharedStrings.xml), uncompressed."""
    max_unpacked_bytes: int = 64 * MB
    """All parts of an .xlsx together, uncompressed."""
    max_parts: int = 500
    max_merged_ranges: int = 1000
    """Merged ranges looked at for the 合并单元格 hint; more are ignored, not refused."""
    max_seconds: float = 30.0
    """Reading and checking one file, wall clock."""


DEFAULT_LIMITS = ReadLimits()


NO_DATA_ROWS = "文件没有数据行"


def _mb(size: int) -> str:
    return f"{size / MB:.1f}"


def too_many_rows(sheet: str, limits: ReadLimits) -> str:
    return f"“{sheet}”工作表超过 {limits.max_rows} 行数据的上限，请分批导入"


def too_long_sheet(sheet: str, limits: ReadLimits) -> str:
    which = f"“{sheet}”工作表" if sheet else "文件中有工作表"
    return (
        f"{which}超过 {limits.max_row_span} 行的上限（空行也计入）："
        "请删除表末多余的空行，或分批导入"
    )


def too_wide_row(sheet: str, row: int, limits: ReadLimits) -> str:
    return (
        f"“{sheet}”工作表第 {row} 行在第 {limits.max_columns} 列之后还有数据"
        f"（上限 {limits.max_columns} 列）"
    )


def too_many_cells(limits: ReadLimits) -> str:
    return f"文件中非空单元格超过 {limits.max_cells} 个的上限，请分批导入"


def too_long_cell(sheet: str, row: int, column: int | None, limits: ReadLimits) -> str:
    where = f"“{sheet}”工作表第 {row} 行" if sheet else f"第 {row} 行"
    where += f"第 {column} 列" if column else ""
    return f"{where}的内容超过 {limits.max_cell_chars} 个字符的单元格上限"


def too_big_part(part: str, size: int, limits: ReadLimits) -> str:
    return (
        f"文件解压后过大：其中 {part} 有 {_mb(size)} MB，"
        f"超过每部分 {_mb(limits.max_part_bytes)} MB 的上限"
    )


def too_big_shared_strings(size: int, limits: ReadLimits) -> str:
    return (
        f"文件的共享字符串表（xl/sharedStrings.xml）解压后有 {_mb(size)} MB，"
        f"超过 {_mb(limits.max_shared_strings_bytes)} MB 的上限"
    )


def too_many_shared_strings(count: int, limits: ReadLimits) -> str:
    return (
        f"文件的共享字符串表有 {count} 项，超过 {limits.max_cells} 项的上限（不多于单元格的上限）"
    )


def too_big_unpacked(size: int, limits: ReadLimits) -> str:
    return f"文件解压后共 {_mb(size)} MB，超过 {_mb(limits.max_unpacked_bytes)} MB 的上限"


def too_many_parts(count: int, limits: ReadLimits) -> str:
    return f"文件包含 {count} 个部分，超过 {limits.max_parts} 个的上限，不像是正常的 Excel 文件"


def too_slow(limits: ReadLimits) -> str:
    return f"文件读取和检查超过 {limits.max_seconds:g} 秒的时间上限，已停止；请分批导入或检查文件"


def out_of_memory() -> str:
    return "读取文件时内存超过上限，已停止；请检查文件或分批导入"
