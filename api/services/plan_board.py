"""Measures across enterprises: the overdue list and the dashboard's counts.

Held to the caller's scope exactly like the enterprise list (counties for
officers and viewers, invited cases for departments, nothing archived).
Deadlines are dates in Beijing time: a measure due today is not overdue until
tomorrow.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.auth import Principal
from api.services.dashboard import _visible as visible_enterprises  # the one scope rule
from api.services.measure_views import is_overdue, measure_outs
from api.text_format import LOCAL_TZ
from matcher.vocab import OPEN_MEASURE_STATUSES
from models.consultation import Department, Measure
from models.consultation_schemas import MeasureOut
from models.tables import Enterprise


def local_today(now: datetime | None = None) -> date:
    """Today's date where the bureaus are (UTC+8)."""
    return (now or datetime.now(UTC)).astimezone(LOCAL_TZ).date()


def _open_measures(
    principal: Principal,
    *columns: Any,
    department_id: int | None = None,
    county: str | None = None,
):  # type: ignore[no-untyped-def]
    """Open measures of the enterprises the principal sees, with `columns` beside each."""
    query = (
        select(Measure, *columns)
        .join(Enterprise, col(Enterprise.id) == col(Measure.enterprise_id))
        .where(col(Measure.status).in_(OPEN_MEASURE_STATUSES))
    )
    query = visible_enterprises(principal, query)
    if department_id is not None:
        query = query.where(Measure.department_id == department_id)
    if county:
        query = query.where(Enterprise.county == county)
    return query


def overdue_measures(
    *,
    session: Session,
    principal: Principal,
    today: date,
    department_id: int | None = None,
    county: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[MeasureOut], int]:
    """A page of the open measures past their deadline, the longest overdue first; the total."""
    query = _open_measures(principal, department_id=department_id, county=county).where(
        col(Measure.due_date) < today
    )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = query.order_by(col(Measure.due_date), col(Measure.id)).offset(offset).limit(limit)
    return measure_outs(session, list(session.exec(page).all()), today=today), int(total)


@dataclass(frozen=True)
class MeasureTally:
    label: str
    open: int
    overdue: int


@dataclass(frozen=True)
class MeasureSummary:
    open: int
    overdue: int
    by_department: list[MeasureTally]
    by_county: list[MeasureTally]


def measure_summary(*, session: Session, principal: Principal, today: date) -> MeasureSummary:
    """Open and overdue measures per responsible department and per county."""
    rows = session.exec(
        _open_measures(principal, Enterprise.county, Department.name).join(
            Department, col(Department.id) == col(Measure.department_id)
        )
    ).all()
    open_by: dict[str, Counter[str]] = {"department": Counter(), "county": Counter()}
    late_by: dict[str, Counter[str]] = {"department": Counter(), "county": Counter()}
    overdue = 0
    for measure, county, department in rows:
        keys = {"department": department, "county": county or "（未填县区）"}
        late = is_overdue(measure, today)
        overdue += late
        for axis, key in keys.items():
            open_by[axis][key] += 1
            late_by[axis][key] += late

    def tallies(axis: str) -> list[MeasureTally]:
        return [
            MeasureTally(label, count, late_by[axis][label])
            for label, count in sorted(
                open_by[axis].items(), key=lambda kv: (-late_by[axis][kv[0]], -kv[1], kv[0])
            )
        ]

    return MeasureSummary(
        open=len(rows),
        overdue=overdue,
        by_department=tallies("department"),
        by_county=tallies("county"),
    )
