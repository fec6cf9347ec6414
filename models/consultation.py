"""Tables of the linked consultation (会诊) and of each enterprise's plan (一企一策).

Departments are actors: they are invited to an enterprise's case, give
opinions, and own the plan's measures.  Nothing here is overwritten: a new
opinion supersedes the department's previous one (both stay), a new plan
decision supersedes the previous one, progress notes are only appended, and a
measure's edits are checked against its `version` so that two officers editing
at once cannot silently overwrite each other.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import utcnow


def _timestamp() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def _enterprise_fk() -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey("enterprise.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


def _department_fk() -> Any:
    return Field(sa_column=Column(Integer, ForeignKey("department.id"), nullable=False, index=True))


class Department(SQLModel, table=True):
    """A department that takes part in consultations (地方金融监管局、税务局、人民法院…)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    active: bool = Field(default=True)
    sort_order: int = Field(default=0)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Consultation(SQLModel, table=True):
    """An enterprise's case (会诊), opened by an officer; one per enterprise."""

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("enterprise.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    opened_by: str = Field(max_length=200)
    opened_at: datetime = _timestamp()


class CaseInvitation(SQLModel, table=True):
    """A department invited to an enterprise's case: what a department token may see."""

    __tablename__ = "case_invitation"
    __table_args__ = (UniqueConstraint("enterprise_id", "department_id"),)
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = _enterprise_fk()
    department_id: int = _department_fk()
    note: str = Field(default="", sa_type=Text)
    invited_by: str = Field(max_length=200)
    invited_at: datetime = _timestamp()


class Opinion(SQLModel, table=True):
    """A department's reading of the case; its newest opinion supersedes the earlier ones."""

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = _enterprise_fk()
    department_id: int = _department_fk()
    opinion: str = Field(sa_type=Text)
    category: str | None = Field(default=None, max_length=40)
    proposed_measures: str = Field(default="", sa_type=Text)
    author: str = Field(max_length=200)
    created_at: datetime = _timestamp()


class PlanDecision(SQLModel, table=True):
    """The officer's choice of the plan's treatment category, and where it came from."""

    __tablename__ = "plan_decision"
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = _enterprise_fk()
    category: str = Field(max_length=40)
    source: str = Field(max_length=20)
    diagnosis_id: int | None = None
    override_id: int | None = None
    opinion_id: int | None = Field(default=None, foreign_key="opinion.id")
    note: str = Field(default="", sa_type=Text)
    actor: str = Field(max_length=200)
    created_at: datetime = _timestamp()


class Measure(SQLModel, table=True):
    """One measure of the plan: what, who is responsible, by when, and where it stands."""

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = _enterprise_fk()
    title: str = Field(max_length=200)
    department_id: int = _department_fk()
    match_id: int | None = None
    """The match named when the measure was set (matches are replaced by re-scores)."""
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    due_date: date = Field(sa_type=Date, index=True)
    status: str = Field(default="not_started", max_length=20, index=True)
    version: int = Field(default=1)
    created_by: str = Field(max_length=200)
    updated_by: str = Field(max_length=200)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class MeasureProgress(SQLModel, table=True):
    """A dated progress note on a measure; appended, never edited."""

    __tablename__ = "measure_progress"
    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("measure.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    note: str = Field(sa_type=Text)
    actor: str = Field(max_length=200)
    at: datetime = _timestamp()
