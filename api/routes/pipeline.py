"""The reviews of the caller's pairs, by lifecycle stage (the route keeps the spec's name)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.params import Limit, Offset, SearchText
from api.services import dashboard
from models.enums import Category, PartnerKind, ReviewStatus
from models.results import PipelineCounts, PipelineItem
from models.schemas import Page

router = APIRouter(prefix="/pipeline", tags=["pipeline"])

Days = Annotated[float | None, Query(gt=0, le=3650, allow_inf_nan=False)]


@router.get("", response_model=Page[PipelineItem])
def list_pipeline(
    session: SessionDep,
    principal: PrincipalDep,
    status: ReviewStatus | None = None,
    county: SearchText = None,
    category: Category | None = None,
    kind: PartnerKind | None = None,
    officer: SearchText = None,
    stale_days: Days = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[PipelineItem]:
    """Matches under review across enterprises, most recently moved first, with filters."""
    cards = dashboard.pipeline_cards(
        session=session,
        principal=principal,
        county=county,
        status=status,
        category=category,
        partner_kind=kind,
        officer=officer,
        stale_days=stale_days,
    )
    page = [PipelineItem(**asdict(c)) for c in cards[offset : offset + limit]]
    return Page[PipelineItem](data=page, count=len(cards))


@router.get("/counts", response_model=PipelineCounts)
def pipeline_counts(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    county: SearchText = None,
    category: Category | None = None,
    days: Days = None,
) -> PipelineCounts:
    """How many pairs stand at each stage, and how many follow-ups are overdue."""
    cards = dashboard.pipeline_cards(
        session=session, principal=principal, county=county, category=category
    )
    stages = dict.fromkeys(dashboard.BOARD_COLUMNS, 0)
    for card in cards:
        stages[card.status] = stages.get(card.status, 0) + 1
    window = days or settings.follow_up_days
    overdue = dashboard.pipeline_cards(
        session=session,
        principal=principal,
        county=county,
        category=category,
        stale_days=window,
    )
    return PipelineCounts(stages=stages, overdue=len(overdue), days=window)


@router.get("/overdue", response_model=Page[PipelineItem])
def overdue_follow_ups(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    days: Days = None,
    county: SearchText = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[PipelineItem]:
    """Pairs still in progress that nobody has moved for N days (LD_FOLLOW_UP_DAYS by default)."""
    cards = dashboard.pipeline_cards(
        session=session,
        principal=principal,
        county=county,
        stale_days=days or settings.follow_up_days,
    )
    page = [PipelineItem(**asdict(c)) for c in cards[offset : offset + limit]]
    return Page[PipelineItem](data=page, count=len(cards))
