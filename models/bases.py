"""Columns declared once for a table and the request schema that fills it (the sqlmodel pattern).

`AssetBase` holds the fields an asset has both as a row (`tables.Asset`) and as
the body that creates one (`schemas.AssetCreate`): their types carry the API's
limits (money ≥ 0, single-line text without bidi controls…), and `sa_type` says
how each is stored, so neither the OpenAPI document nor the database schema
depends on which of the two declared it.  Validation happens in the schema;
a table model does not validate (sqlmodel), so the row takes the checked values.

Only fields whose API limit and column agree are shared.  A name, for instance,
is accepted longer than its column (it is trimmed of invisible characters first)
and so stays declared twice, on purpose.
"""

from __future__ import annotations

from typing import Any

from pydantic import StrictBool
from sqlalchemy import JSON, Column, Text
from sqlmodel import AutoString, Field, SQLModel

from matcher.vocab import DEFAULT_CITY, DEFAULT_PROVINCE
from models.enums import AssetType, Category, Encumbrance, OperatingStatus, PartnerKind
from models.fields import Area, Count, IndustryCode, LongText, Money, Share, ShortText

CODE_COLUMN = AutoString(length=20)
"""A vocabulary code's column: VARCHAR(20), with no length shown in the API (its enum says)."""


def _json_list(max_length: int) -> Any:
    """A list kept whole as a JSON column (never NULL), at most `max_length` items in the API."""
    return Field(
        default_factory=list, max_length=max_length, sa_column=Column(JSON, nullable=False)
    )


class EnterpriseBase(SQLModel):
    """An enterprise's own columns after its name, codes and references (`industry_code` is
    accepted longer than stored, before normalisation: the table narrows it)."""

    province: ShortText = DEFAULT_PROVINCE
    city: ShortText = DEFAULT_CITY
    county: ShortText = Field(default="", index=True)
    industry_code: IndustryCode = ""
    description: LongText = Field(default="", sa_type=Text)
    problems: LongText = Field(default="", sa_type=Text)
    demands: LongText = Field(default="", sa_type=Text)
    strengths: LongText = Field(default="", sa_type=Text)
    operating_status: OperatingStatus = Field(default="normal", sa_type=CODE_COLUMN, index=True)
    capacity_utilization: Share | None = None
    employees: Count | None = None


class PartnerBase(SQLModel):
    """A partner's columns after its name, codes and references."""

    kind: PartnerKind = Field(default="other", sa_type=CODE_COLUMN, index=True)
    industries: list[IndustryCode] = _json_list(500)
    capabilities: LongText = Field(default="", sa_type=Text)
    interests: LongText = Field(default="", sa_type=Text)
    treatment_types: list[Category] = _json_list(8)
    asset_interests: list[AssetType] = _json_list(9)
    preferred_regions: list[ShortText] = _json_list(500)
    ticket_min: Money | None = None
    ticket_max: Money | None = None
    excluded_industries: list[IndustryCode] = _json_list(500)
    track_record: LongText = Field(default="", sa_type=Text)
    active: StrictBool = Field(default=True, index=True)


class AssetBase(SQLModel):
    type: AssetType = Field(sa_type=CODE_COLUMN)
    description: LongText = Field(default="", sa_type=Text)
    area_m2: Area | None = None
    book_value: Money | None = None
    appraised_value: Money | None = None
    encumbrance: Encumbrance = Field(default="none", sa_type=CODE_COLUMN)
    idle: StrictBool = False
    location: ShortText = ""
