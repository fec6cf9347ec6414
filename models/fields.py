"""Reusable constrained field types for the API schemas.

Spec limits (names ≤ 200 chars, free text ≤ 20,000, money ≥ 0 and finite) are
declared once here so that every schema states them the same way and the
OpenAPI document shows them to clients.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

NAME_MAX = 200
TEXT_MAX = 20_000


def no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL, and no officer means to type one: refuse it early."""
    if "\x00" in value:
        raise ValueError("不能包含空字符（\\x00）")
    return value


BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embedding, override and isolate controls: they make a line display in another order than
it is stored, so that a name can pass for another one; refused in single-line fields."""
BIDI_REFUSED = (
    "不能包含双向文本控制字符（U+202A–U+202E、U+2066–U+2069），它们会使显示顺序与实际内容不同"
)
INVISIBLE_ONLY = "去除零宽字符、BOM 等不可见字符后不能为空"


def _no_bidi_controls(value: str) -> str:
    if any(c in BIDI_CONTROLS for c in value):
        raise ValueError(BIDI_REFUSED)
    return value


def strip_invisible(value: str) -> str:
    """The text without format characters (zero-width spaces and joiners, BOM, soft hyphen…).

    They are invisible, so two names that look the same could differ only by them;
    copies from word processors and spreadsheets often carry them.
    """
    return "".join(c for c in value if unicodedata.category(c) != "Cf")


def _single_line(value: str) -> str:
    return strip_invisible(_no_bidi_controls(no_nul(value)))


def _trimmed_nonempty(value: str) -> str:
    visible = _single_line(value).strip()
    if not visible:
        raise ValueError(INVISIBLE_ONLY if value.strip() else "不能为空")
    if len(visible) > NAME_MAX:
        raise ValueError(f"不能超过{NAME_MAX}个字符")
    return visible


# The same rules as JSON-schema patterns, so the OpenAPI document states them to clients and
# to generated tests; the validators above remain what checks them (with Chinese messages).
_NOT_IN_LINE = r"\u0000\u202a-\u202e\u2066-\u2069"
_INVISIBLE = r"\u00ad\u061c\u180e\u200b-\u200f\u2060-\u206f\ufeff"
SINGLE_LINE_PATTERN = f"^[^{_NOT_IN_LINE}]*$"
NAME_PATTERN = f"^[^{_NOT_IN_LINE}]*[^\\s{_NOT_IN_LINE}{_INVISIBLE}][^{_NOT_IN_LINE}]*$"
TEXT_PATTERN = r"^[^\u0000]*$"
REQUIRED_TEXT_PATTERN = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"

Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=NAME_MAX * 5,
        json_schema_extra={"maxLength": NAME_MAX, "pattern": NAME_PATTERN},
        description=f"1–{NAME_MAX} visible characters once invisible ones (zero-width, BOM…) "
        "are removed and blanks trimmed; no NUL or bidi controls",
    ),
    AfterValidator(_trimmed_nonempty),
]
"""A required name: invisible characters removed, trimmed, then 1–200 characters; no bidi
controls."""

ShortText = Annotated[
    str,
    Field(max_length=NAME_MAX, json_schema_extra={"pattern": SINGLE_LINE_PATTERN}),
    AfterValidator(_single_line),
]
"""A single-line field (county, location, region…): no bidi controls, invisible characters
removed; otherwise stored as given."""
LongText = Annotated[
    str,
    Field(max_length=TEXT_MAX, json_schema_extra={"pattern": TEXT_PATTERN}),
    AfterValidator(no_nul),
]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("不能为空")
    return value


RequiredText = Annotated[
    str,
    Field(min_length=1, max_length=TEXT_MAX, json_schema_extra={"pattern": REQUIRED_TEXT_PATTERN}),
    AfterValidator(no_nul),
    AfterValidator(_not_blank),
]
"""Free text that must say something (an opinion, a progress note): not blank, no NUL."""
INDUSTRY_CODE_PATTERN = r"^\s*([A-Ta-t]|[A-Ta-t]?\d{2,4})?\s*$"
"""A GB/T 4754-2017 code's shape (section letter, and/or 2–4 digits); whether the code exists
is checked against the table by the service (a 422 names an unknown one)."""
IndustryCode = Annotated[
    str, Field(max_length=20, json_schema_extra={"pattern": INDUSTRY_CODE_PATTERN})
]


def not_a_boolean(value: object) -> object:
    """Refuse true/false where a number is meant.

    Pydantic's lax mode reads `false` as 0 and `true` as 1 (a bool is an int in
    Python), so `"appraised_value": false` was stored as 0.  Numbers in strings
    stay accepted: spreadsheet cells arrive as text.  Put it after the `Field`
    constraints: it then wraps them (and still runs first), and the JSON schema
    keeps `minimum`/`maximum` instead of falling back to non-standard keywords.
    """
    if isinstance(value, bool):
        raise ValueError("须为数字，不能是 true/false")
    return value


NoBool = BeforeValidator(not_a_boolean)
Money = Annotated[float, Field(ge=0, allow_inf_nan=False), NoBool]
SignedMoney = Annotated[float, Field(allow_inf_nan=False), NoBool]
Area = Annotated[float, Field(ge=0, allow_inf_nan=False), NoBool]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), NoBool]
Count = Annotated[int, Field(ge=0, le=10_000_000), NoBool]


def _as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC, so say so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
