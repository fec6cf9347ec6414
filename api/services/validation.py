"""Checks that need reference data, raised as field errors like schema errors are."""

from __future__ import annotations

from api.errors import UNKNOWN_INDUSTRY, FieldInvalid
from matcher.industry import IndustryTable


def normalize_industry_code(
    raw: str, industries: IndustryTable, loc: tuple[str | int, ...] = ("body", "industry_code")
) -> str:
    """The canonical GB/T 4754 code, or "" for an empty one; unknown codes are a 422."""
    if not raw.strip():
        return ""
    code = industries.normalize(raw)
    if code is None:
        raise FieldInvalid(loc, UNKNOWN_INDUSTRY.format(code=raw))
    return code


def normalize_industry_list(raw: list[str], industries: IndustryTable, field: str) -> list[str]:
    """Canonical codes in input order, duplicates dropped."""
    seen: dict[str, None] = {}
    for index, item in enumerate(raw):
        seen[normalize_industry_code(item, industries, loc=("body", field, index)) or ""] = None
    seen.pop("", None)
    return list(seen)
