"""Request and response schemas of the consultation (会诊) and the plan (一企一策).

A department is named by its id or by its exact name (`"department": 3` or
`"department": "税务局"`), so that a client need not look ids up first.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool

from models.enums import Category, MeasureStatus, PlanSource
from models.fields import LongText, Name, NoBool, RequiredText, UtcDatetime
from models.results import ObjectRef
from models.schemas import Strict

DepartmentRef = Annotated[int, Field(ge=1, le=2**31 - 1), NoBool] | Name
"""A department's id, or its name exactly as listed by GET /departments."""
DueDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2099, 12, 31))]
SortOrder = Annotated[int, Field(ge=0, le=1_000_000), NoBool]


class DepartmentCreate(Strict):
    name: Name
    active: StrictBool = True
    sort_order: SortOrder = 0


class DepartmentUpdate(Strict):
    name: Name | None = None
    active: StrictBool | None = None
    sort_order: SortOrder | None = None


class DepartmentPublic(BaseModel):
    id: int
    name: str
    active: bool
    sort_order: int


class InvitationIn(Strict):
    department: DepartmentRef
    note: LongText = ""


class InvitationOut(BaseModel):
    department_id: int
    department: str
    note: str
    invited_by: str
    invited_at: UtcDatetime


class CaseOut(BaseModel):
    enterprise_id: int
    opened_by: str
    opened_at: UtcDatetime
    invitations: list[InvitationOut]


class OpinionIn(Strict):
    department: DepartmentRef | None = Field(
        default=None, description="required unless the token belongs to a department"
    )
    opinion: RequiredText
    category: Category | None = Field(default=None, description="the category it recommends")
    proposed_measures: LongText = Field(default="", description="the measures it proposes")


class OpinionOut(BaseModel):
    id: int
    enterprise_id: int
    department_id: int
    department: str
    opinion: str
    category: str | None
    category_name: str | None
    proposed_measures: str
    author: str
    created_at: UtcDatetime
    superseded_by: int | None = Field(description="the department's later opinion, if any")
    differs_from_engine: bool = Field(
        description="it recommends a category other than the engine's primary"
    )


class OpinionList(BaseModel):
    enterprise_id: int
    engine_primary: str | None = Field(description="the latest diagnosis's own primary")
    effective_primary: str | None = Field(description="with the officer's override, if any")
    diagnosis_id: int | None
    data: list[OpinionOut] = Field(description="newest first")
    count: int


class PlanCategoryIn(Strict):
    source: PlanSource
    opinion_id: ObjectRef | None = Field(default=None, description="required for `opinion`")
    note: LongText = ""


class PlanDecisionOut(BaseModel):
    id: int
    category: str
    category_name: str
    source: str
    source_label: str
    diagnosis_id: int | None
    override_id: int | None
    opinion_id: int | None
    note: str
    actor: str
    created_at: UtcDatetime


class MeasureCreate(Strict):
    title: Name
    department: DepartmentRef
    due_date: DueDate
    match_id: ObjectRef | None = Field(default=None, description="a match of this enterprise")


class MeasureUpdate(Strict):
    """PATCH body; send the version read (or an If-Match header) so no edit is lost."""

    title: Name | None = None
    department: DepartmentRef | None = None
    due_date: DueDate | None = None
    status: MeasureStatus | None = None
    version: Annotated[int, Field(ge=1, le=2**31 - 1), NoBool] | None = Field(
        default=None, description="the version you read; alternative to If-Match"
    )


class ProgressIn(Strict):
    note: RequiredText


class ProgressOut(BaseModel):
    id: int
    note: str
    actor: str
    at: UtcDatetime


class MeasureOut(BaseModel):
    id: int
    enterprise_id: int
    enterprise_name: str
    county: str
    title: str
    department_id: int
    department: str
    match_id: int | None
    partner_id: int | None
    partner_name: str | None
    pipeline_status: str | None = Field(description="the partner's lifecycle stage, if reviewed")
    due_date: date
    status: str
    status_label: str
    overdue: bool
    version: int
    created_by: str
    updated_by: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    completed_at: UtcDatetime | None
    progress: list[ProgressOut]


class PlanOut(BaseModel):
    enterprise_id: int
    enterprise_name: str
    category: PlanDecisionOut | None = Field(description="the current decision")
    decisions: list[PlanDecisionOut] = Field(description="every decision, newest first")
    measures: list[MeasureOut]
    counts: dict[str, int] = Field(description="status → number of measures")
    overdue: int


class MeasurePage(BaseModel):
    data: list[MeasureOut]
    count: int
