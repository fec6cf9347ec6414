from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Engine
from sqlmodel import Session

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.params import ObjectId
from api.presenters import match_item, review_event
from api.runtime import Runtime
from api.services import changes, match_pages, reviews
from api.services import matching as service
from matcher.matching.roles import ROLES
from models.enums import PartnerKind
from models.results import (
    AssetMatchItem,
    AssetMatchList,
    MatchChangesOut,
    MatchDetail,
    MatchList,
    ReviewIn,
    ReviewOut,
)

router = APIRouter(tags=["matches"])


@router.get("/enterprises/{enterprise_id:int}/matches", response_model=MatchList)
def list_matches(
    request: Request,
    enterprise_id: ObjectId,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    kind: PartnerKind | None = None,
    min_score: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    include_rejected: bool = False,
    include_weak: bool = False,
) -> Response:
    """Ranked partners, best first, each with its score components, reasons and role.

    Partners below the fit floor are not recommendations: they are listed only
    with `include_weak=true`, marked `weak` (不建议).  `qualified` says how many
    partners of the pool reached the floor.
    """
    # The answer is MatchList's JSON assembled from the stored run (api.services.match_pages):
    # a Response, so FastAPI does not validate and encode it again; the schema stays the
    # decorator's response_model.  A current run is read on a plain connection, with no ORM
    # session (nor a SessionDep, whose solving and closing cost more than the read);
    # otherwise a session's path ranks anew or follows a newly active config first.
    # The loaded engine as it is (served_run and current_matches_run follow the active config
    # themselves, from the state query they make anyway) and the process's encoded items of
    # stored runs, read from the app's state: as dependencies of their own they cost FastAPI
    # more to solve than the whole read of a run's page (cProfile, issue 17).
    runtime: Runtime = request.app.state.runtime
    cache: match_pages.PageCache = request.app.state.page_cache
    filters = {
        "limit": limit,
        "kind": kind,
        "min_score": min_score,
        "include_rejected": include_rejected,
        "include_weak": include_weak,
    }
    engine: Engine = request.app.state.engine
    with engine.connect() as connection:
        run = service.served_run(
            connection=connection,
            enterprise_id=enterprise_id,
            runtime=runtime,
            principal=principal,
            runs=cache,
        )
        if run is not None:
            body = match_pages.page_json(connection=connection, run=run, cache=cache, **filters)
            return Response(body, media_type="application/json")
    with Session(engine, expire_on_commit=False) as session:
        run = service.current_matches_run(
            session=session, enterprise_id=enterprise_id, runtime=runtime, principal=principal
        )
        body = match_pages.page_json(
            connection=session.connection(), run=run, cache=cache, **filters
        )
    return Response(body, media_type="application/json")


@router.get("/enterprises/{enterprise_id:int}/matches/changes", response_model=MatchChangesOut)
def match_changes(
    enterprise_id: ObjectId,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> MatchChangesOut:
    """Which partners entered or left the top N between the last two rankings, and why."""
    result = changes.match_changes(
        session=session,
        enterprise_id=enterprise_id,
        principal=principal,
        top=top,
        registry=runtime.registry,
    )
    return MatchChangesOut(enterprise_id=enterprise_id, **asdict(result))


@router.get(
    "/enterprises/{enterprise_id:int}/assets/{asset_id:int}/matches", response_model=AssetMatchList
)
def list_asset_matches(
    enterprise_id: ObjectId,
    asset_id: ObjectId,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> AssetMatchList:
    """Partners who would buy, lease or operate this asset, best first (资产盘活)."""
    ranked = service.asset_matches(
        session=session,
        enterprise_id=enterprise_id,
        asset_id=asset_id,
        runtime=runtime,
        principal=principal,
        limit=limit,
    )
    items = [
        AssetMatchItem(
            partner_id=partner.id or 0,
            partner_name=partner.name,
            partner_kind=partner.kind,
            rank=rank,
            score=result.score,
            components=result.components,
            levels=result.levels,
            reasons=list(result.reasons),
            role=result.role,
            role_title=ROLES.get(result.role, ""),
        )
        for rank, (result, partner) in enumerate(ranked, start=1)
    ]
    return AssetMatchList(
        enterprise_id=enterprise_id,
        asset_id=asset_id,
        config_hash=runtime.matcher_config.config_hash(),
        items=items,
    )


@router.get("/matches/{match_id:int}", response_model=MatchDetail)
def read_match(match_id: ObjectId, session: SessionDep, principal: PrincipalDep) -> MatchDetail:
    """One match with its review history."""
    match = reviews.get_match(session=session, match_id=match_id, principal=principal)
    engagement = reviews.engagement_for(session, match.enterprise_id, match.partner_id)
    view = service.match_view(session=session, match=match, engagement=engagement)
    return MatchDetail(
        **match_item(view).model_dump(),
        enterprise_id=match.enterprise_id,
        run_id=match.run_id,
        history=[review_event(e) for e in reviews.history(session, engagement)],
    )


@router.post("/matches/{match_id:int}/review", response_model=ReviewOut)
def review_match(
    match_id: ObjectId, body: ReviewIn, session: SessionDep, principal: PrincipalDep
) -> ReviewOut:
    """Record the officer's decision (入选 → 已对接 → 考察洽谈 → 签约 → 落地, or 不合适)."""
    match, engagement = reviews.review_match(
        session=session,
        match_id=match_id,
        status=body.status,
        note=body.note,
        principal=principal,
    )
    session.commit()
    assert match.id is not None
    return ReviewOut(
        match_id=match.id,
        enterprise_id=match.enterprise_id,
        partner_id=match.partner_id,
        status=engagement.status,
        note=engagement.note,
        history=[review_event(e) for e in reviews.history(session, engagement)],
    )
