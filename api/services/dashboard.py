"""Aggregates for the officers' page: counts per county, category and stage, and the pipeline.

Everything is held to the caller's counties, like the enterprise list: a
county-scoped officer sees neither the enterprises nor the deals of other
counties in any total.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from api.auth import Principal
from api.services.case_scope import restrict_to_cases
from api.services.reviews import STAGES
from models.tables import (
    DiagnosisOverride,
    DiagnosisRecord,
    Engagement,
    EngagementEvent,
    Enterprise,
    Match,
    MatchRun,
    Partner,
    utcnow,
)

BOARD_COLUMNS = (*STAGES, "rejected")


def _visible(principal: Principal, query):  # type: ignore[no-untyped-def]
    query = query.where(col(Enterprise.archived).is_(False))
    if principal.role != "admin" and principal.counties:
        query = query.where(col(Enterprise.county).in_(principal.counties))
    return restrict_to_cases(principal, query)


def visible_enterprise_ids(session: Session, principal: Principal) -> list[int]:
    rows = session.exec(_visible(principal, select(Enterprise.id))).all()
    return [r for r in rows if r is not None]


def visible_counties(session: Session, principal: Principal) -> list[str]:
    """The counties of the enterprises the caller may see (for filter lists)."""
    rows = session.exec(_visible(principal, select(Enterprise.county)).distinct()).all()
    return sorted(c for c in rows if c)


def effective_primaries(session: Session, enterprise_ids: list[int]) -> dict[int, str]:
    """Enterprise → its effective primary category (the latest override, else the latest run)."""
    if not enterprise_ids:
        return {}
    out: dict[int, str] = {}
    records = session.exec(
        select(DiagnosisRecord.enterprise_id, DiagnosisRecord.primary)
        .where(col(DiagnosisRecord.enterprise_id).in_(enterprise_ids))
        .order_by(col(DiagnosisRecord.id))
    ).all()
    out.update(dict(records))
    overrides = session.exec(
        select(DiagnosisOverride.enterprise_id, DiagnosisOverride.primary)
        .where(col(DiagnosisOverride.enterprise_id).in_(enterprise_ids))
        .order_by(col(DiagnosisOverride.id))
    ).all()
    out.update(dict(overrides))
    return out


@dataclass(frozen=True)
class DashboardCounts:
    enterprises: int
    partners: int
    by_county: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    undiagnosed: int
    by_stage: list[tuple[str, int]]
    signed_by_month: list[tuple[str, int]]


def dashboard_counts(*, session: Session, principal: Principal) -> DashboardCounts:
    """Counts of what the caller may see, for the dashboard."""
    rows = session.exec(_visible(principal, select(Enterprise.id, Enterprise.county))).all()
    ids = [r[0] for r in rows if r[0] is not None]
    counties = Counter(county or "（未填县区）" for _, county in rows)
    categories = Counter(effective_primaries(session, ids).values())
    stages = Counter(card.status for card in pipeline_cards(session=session, principal=principal))
    partners = session.exec(
        select(Partner.id).where(col(Partner.archived).is_(False), col(Partner.active).is_(True))
    ).all()
    return DashboardCounts(
        enterprises=len(ids),
        partners=len(partners),
        by_county=counties.most_common(),
        by_category=sorted(categories.items(), key=lambda kv: -kv[1]),
        undiagnosed=len(ids) - sum(categories.values()),
        by_stage=[(s, stages.get(s, 0)) for s in BOARD_COLUMNS],
        signed_by_month=_signed_by_month(session, ids),
    )


def _signed_by_month(session: Session, enterprise_ids: list[int]) -> list[tuple[str, int]]:
    """Pairs that reached 签约 per month (the first time each pair did)."""
    if not enterprise_ids:
        return [(m, 0) for m in _month_window(Counter(), MONTHS_SHOWN)]
    events = session.exec(
        select(EngagementEvent.engagement_id, EngagementEvent.at)
        .join(Engagement, col(Engagement.id) == col(EngagementEvent.engagement_id))
        .where(
            col(Engagement.enterprise_id).in_(enterprise_ids),
            col(EngagementEvent.to_status).in_(("signed", "landed")),
        )
        .order_by(col(EngagementEvent.id))
    ).all()
    first: dict[int, datetime] = {}
    for engagement_id, at in events:
        first.setdefault(engagement_id, at)
    months = Counter(at.strftime("%Y-%m") for at in first.values())
    return [(m, months.get(m, 0)) for m in _month_window(months, MONTHS_SHOWN)]


MONTHS_SHOWN = 6


def _month_window(months: Counter[str], size: int) -> list[str]:
    """The last `size` months up to now (or the latest signing), so quiet months show as 0."""
    latest = max([utcnow().strftime("%Y-%m"), *months])
    year, month = (int(part) for part in latest.split("-"))
    window = []
    for _ in range(size):
        window.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    earlier = sorted(m for m in months if m < window[-1])
    return earlier + window[::-1]


@dataclass(frozen=True)
class PipelineCard:
    engagement_id: int
    status: str
    note: str
    updated_by: str
    updated_at: datetime
    enterprise_id: int
    enterprise_name: str
    county: str
    partner_id: int
    partner_name: str
    partner_kind: str
    match_id: int | None
    score: float | None


def pipeline_cards(
    *,
    session: Session,
    principal: Principal,
    county: str | None = None,
    status: str | None = None,
    category: str | None = None,
    partner_kind: str | None = None,
    officer: str | None = None,
    stale_days: float | None = None,
) -> list[PipelineCard]:
    """Reviewed enterprise–partner pairs the caller may see, most recently moved first.

    Args:
        county, status, partner_kind: exact filters.
        category: the enterprise's effective primary category (override first).
        officer: part of the name of whoever moved the pair last.
        stale_days: only pairs still in progress (not landed, not rejected)
            that nobody has moved for this many days: the overdue follow-ups.
    """
    query = (
        select(Engagement, Enterprise, Partner)
        .join(Enterprise, col(Enterprise.id) == col(Engagement.enterprise_id))
        .join(Partner, col(Partner.id) == col(Engagement.partner_id))
        .order_by(col(Engagement.updated_at).desc(), col(Engagement.id).desc())
    )
    query = _visible(principal, query)
    if county:
        query = query.where(Enterprise.county == county)
    if status:
        query = query.where(Engagement.status == status)
    if partner_kind:
        query = query.where(Partner.kind == partner_kind)
    if officer:
        query = query.where(col(Engagement.updated_by).contains(officer, autoescape=True))
    if stale_days is not None:
        cutoff = utcnow() - timedelta(days=stale_days)
        query = query.where(
            col(Engagement.updated_at) < cutoff,
            col(Engagement.status).not_in(("landed", "rejected")),
        )
    if category:
        ids = visible_enterprise_ids(session, principal)
        wanted = [e for e, c in effective_primaries(session, ids).items() if c == category]
        query = query.where(col(Engagement.enterprise_id).in_(wanted))
    rows = session.exec(query).all()
    current = _current_matches(session, sorted({e.enterprise_id for e, _, _ in rows}))
    cards = []
    for engagement, enterprise, partner in rows:
        match = current.get((engagement.enterprise_id, engagement.partner_id))
        cards.append(
            PipelineCard(
                engagement_id=engagement.id or 0,
                status=engagement.status,
                note=engagement.note,
                updated_by=engagement.updated_by,
                updated_at=engagement.updated_at,
                enterprise_id=enterprise.id or 0,
                enterprise_name=enterprise.name,
                county=enterprise.county,
                partner_id=partner.id or 0,
                partner_name=partner.name,
                partner_kind=partner.kind,
                match_id=match[0] if match else None,
                score=match[1] if match else None,
            )
        )
    return cards


def _current_matches(
    session: Session, enterprise_ids: list[int]
) -> dict[tuple[int, int], tuple[int, float]]:
    if not enterprise_ids:
        return {}
    rows = session.exec(
        select(Match.id, Match.enterprise_id, Match.partner_id, Match.score)
        .join(MatchRun, col(MatchRun.id) == col(Match.run_id))
        .where(col(MatchRun.is_current).is_(True), col(Match.enterprise_id).in_(enterprise_ids))
    ).all()
    return {(e, p): (m or 0, s) for m, e, p, s in rows}
