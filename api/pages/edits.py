"""Edit forms that never overwrite another officer's change.

An edit form carries the version it was loaded at and a fingerprint of every
field as it was shown.  On save each field the officer posts is compared with
its fingerprint: only the fields the officer changed are written, and against
the version the form was loaded at (the service refuses a stale one, see
api/services/versions.py).  When somebody saved in between, nothing is
written: the form comes back with the record as it is now, the officer's own
changes laid over it, and every field that both changed shown with both values.

Fields are compared as the form posts them, normalised per kind (line breaks,
surrounding blanks, checkbox and multi-select forms), so that an untouched
field always compares equal to its fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from api.services.spreadsheets.labels import Column

VERSION_FIELD = "_version"
BASE_FIELD = "_base"
NO_CHANGE = "没有需要保存的改动"
CHANGED_MEANWHILE = (
    "该{entity}在您编辑期间已被他人修改（您打开时为第 {loaded} 版，现为第 {current} 版），"
    "本次未保存。下方已载入最新内容并保留了您的修改{conflicts}，请核对后再保存。"
)
BOTH_CHANGED = "；其中 {count} 处您和他人都改了，两个值都列在该项下"
THEIRS_AND_MINE = "{label}：他人已改为“{theirs}”，您填写的是“{mine}”（再次保存将以您填写的为准）"
FORM_EXPIRED = "表单缺少版本信息（可能是过期的页面）：已载入最新内容，请重新修改后保存"
_TRUE = {"1", "on", "是", "true", "yes"}
_SHOWN_MAX = 60


def normalise(column: Column, raw: Any) -> str:
    """A field's value as one comparable string, from a stored value or from a form post."""
    if column.kind == "bool":
        return "1" if raw is True or str(raw).strip().lower() in _TRUE else ""
    if raw is None:
        return ""
    if column.kind == "enum_list":
        items = raw if isinstance(raw, list | tuple) else str(raw).split("、")
        return "、".join(sorted({str(i).strip() for i in items if str(i).strip()}))
    return str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()


def field_strings(
    columns: Iterable[Column], values: Mapping[str, Any], prefix: str = ""
) -> dict[str, str]:
    """`prefix + field` → normalised value, for each column."""
    return {prefix + c.field: normalise(c, values.get(c.field)) for c in columns}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint(strings: Mapping[str, str]) -> str:
    """The hidden form field: a digest of each field as loaded."""
    return json.dumps({k: digest(v) for k, v in strings.items()}, separators=(",", ":"))


def read_fingerprint(raw: str) -> dict[str, str] | None:
    try:
        loaded = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
        return None
    return {str(k): v for k, v in loaded.items()}


def read_version(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@dataclass(frozen=True)
class Comparison:
    changed: frozenset[str]
    """Fields the officer changed since the form was loaded."""
    conflicts: dict[str, tuple[str, str]]
    """Fields somebody else changed too, to another value: (the officer's, the stored)."""


def compare(
    base: Mapping[str, str], mine: Mapping[str, str], theirs: Mapping[str, str]
) -> Comparison:
    """Three-way comparison of the loaded form (`base`), the post and the stored record."""
    changed = frozenset(k for k, v in mine.items() if base.get(k) != digest(v))
    conflicts = {
        k: (mine[k], theirs.get(k, ""))
        for k in sorted(changed)
        if base.get(k) != digest(theirs.get(k, "")) and mine[k] != theirs.get(k, "")
    }
    return Comparison(changed, conflicts)


def changed_meanwhile(entity: str, loaded: int, current: int, conflicts: int) -> str:
    """The notice of a form that was not saved because somebody saved first."""
    detail = BOTH_CHANGED.format(count=conflicts) if conflicts else ""
    return CHANGED_MEANWHILE.format(entity=entity, loaded=loaded, current=current, conflicts=detail)


def both_values(column: Column, label: str, conflict: tuple[str, str]) -> str:
    """The message at a field both changed: the stored value and the officer's."""
    mine, theirs = conflict
    return THEIRS_AND_MINE.format(
        label=label, theirs=shown(column, theirs), mine=shown(column, mine)
    )


def shown(column: Column, value: str) -> str:
    """A normalised value as an officer reads it in a message."""
    if column.kind == "bool":
        return "是" if value else "否"
    if not value:
        return "（空）"
    if column.vocab and column.kind in ("enum", "enum_list"):
        value = "、".join(column.vocab.get(v, v) for v in value.split("、"))
    return value if len(value) <= _SHOWN_MAX else value[:_SHOWN_MAX] + "…"
