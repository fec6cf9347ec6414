"""Path and query parameter types shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from models.fields import INDUSTRY_CODE_PATTERN, no_nul


def _optional_no_nul(value: str | None) -> str | None:
    return None if value is None else no_nul(value)


MAX_ID = 2**31 - 1  # ids are 32-bit integers on every backend

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
SearchText = Annotated[str | None, Query(max_length=200), AfterValidator(_optional_no_nul)]
IndustryFilter = Annotated[
    str | None,
    Query(
        max_length=20,
        description="a GB/T 4754-2017 code or prefix (C, C29, 2911…); an unknown code is a 422",
        json_schema_extra={"pattern": INDUSTRY_CODE_PATTERN},
    ),
    AfterValidator(_optional_no_nul),
]
