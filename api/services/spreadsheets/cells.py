"""Spreadsheet cells → API values: numbers, shares, codes, booleans, lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from api.services.spreadsheets.labels import Column

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
