"""Reusable constrained field types for the API schemas.

Spec limits (names ≤ 200 chars, free text ≤ 20,000, money ≥ 0 and finite) are
declared once here so that every schema states them the same way and the
OpenAPI document shows them to clients.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

NAME_MAX = 200
TEXT_MAX = 20_000


def no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL, and no officer means to type one: refuse it early."""
    if "\x00" in value:
        raise ValueError("不能包含空字符（\\x00）")
    return value


def _trimmed_nonempty(value: str) -> str:
    value = no_nul(value).strip()
    if not value:
        raise ValueError("不能为空")
    if len(value) > NAME_MAX:
        raise ValueError(f"不能超过{NAME_MAX}个字符")
    return value


Name = Annotated[
    str, Field(min_length=1, max_length=NAME_MAX + 100), AfterValidator(_trimmed_nonempty)
]
"""A required name: trimmed, 1–200 characters after trimming."""

ShortText = Annotated[str, Field(max_length=NAME_MAX), AfterValidator(no_nul)]
LongText = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(no_nul)]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]
SignedMoney = Annotated[float, Field(allow_inf_nan=False)]
Area = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]


def _as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC, so say so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
