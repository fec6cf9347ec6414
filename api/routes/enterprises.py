from __future__ import annotations

from fastapi import APIRouter, Response
from sqlmodel import Session

from api.deps import CasePrincipalDep, IfMatchDep, IndustriesDep, PrincipalDep, SessionDep
from api.etags import etag_for, versioned
from api.params import IndustryFilter, Limit, ObjectId, Offset, SearchText
from api.services import enterprises as service
from api.services.mapping import enterprise_public
from matcher.industry import IndustryTable
from models.enums import OperatingStatus
from models.schemas import (
    AssetCreate,
    AssetPublic,
    AssetUpdate,
    EnterpriseCreate,
    EnterprisePublic,
    EnterpriseUpdate,
    Page,
)
from models.tables import Enterprise

router = APIRouter(prefix="/enterprises", tags=["enterprises"])


def _public(session: Session, row: Enterprise, industries: IndustryTable) -> EnterprisePublic:
    assert row.id is not None
    assets = service.list_assets(session=session, enterprise_id=row.id)
    return enterprise_public(row, assets, industries)


def _tagged(response: Response, session: Session, enterprise_id: int) -> None:
    """The enterprise's ETag on an answer about it or one of its assets (they share it)."""
    row = session.get(Enterprise, enterprise_id)
    if row is not None:
        response.headers["ETag"] = etag_for(row.version)


@router.post("", status_code=201, response_model=EnterprisePublic)
def create_enterprise(
    body: EnterpriseCreate,
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
) -> EnterprisePublic:
    """Create an enterprise profile (困难企业画像) with its assets."""
    row = service.create_enterprise(
        session=session, data=body, industries=industries, principal=principal
    )
    session.commit()
    return _public(session, row, industries)


@router.get("", response_model=Page[EnterprisePublic])
def list_enterprises(
    session: SessionDep,
    principal: CasePrincipalDep,
    industries: IndustriesDep,
    county: SearchText = None,
    industry: IndustryFilter = None,
    operating_status: OperatingStatus | None = None,
    q: SearchText = None,
    archived: bool = False,
    ext_id: SearchText = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[EnterprisePublic]:
    """List the enterprises the caller may see, with filters and pagination."""
    rows, total = service.list_enterprises(
        session=session,
        principal=principal,
        industries=industries,
        county=county,
        industry=industry,
        operating_status=operating_status,
        q=q,
        archived=archived,
        ext_id=ext_id,
        offset=offset,
        limit=limit,
    )
    return Page[EnterprisePublic](data=[_public(session, r, industries) for r in rows], count=total)


@router.get("/{enterprise_id:int}", response_model=EnterprisePublic, responses=versioned())
def read_enterprise(
    enterprise_id: ObjectId,
    response: Response,
    session: SessionDep,
    principal: CasePrincipalDep,
    industries: IndustriesDep,
) -> EnterprisePublic:
    """Read an enterprise with its assets and derived indicators; the ETag is its version."""
    row = service.get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    response.headers["ETag"] = etag_for(row.version)
    return _public(session, row, industries)


@router.patch(
    "/{enterprise_id:int}", response_model=EnterprisePublic, responses=versioned(conditional=True)
)
def update_enterprise(
    enterprise_id: ObjectId,
    body: EnterpriseUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
    expected: IfMatchDep,
) -> EnterprisePublic:
    """Change some fields; `financials` keys merge into the stored figures (If-Match honoured)."""
    row = service.update_enterprise(
        session=session,
        enterprise_id=enterprise_id,
        data=body,
        industries=industries,
        principal=principal,
        expected=expected,
    )
    session.commit()
    response.headers["ETag"] = etag_for(row.version)
    return _public(session, row, industries)


@router.delete(
    "/{enterprise_id:int}", response_model=EnterprisePublic, responses=versioned(conditional=True)
)
def archive_enterprise(
    enterprise_id: ObjectId,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
    expected: IfMatchDep,
) -> EnterprisePublic:
    """Archive an enterprise: nothing is deleted, so a later GET still answers 200 with
    `archived: true`, lists leave it out unless `archived=true`, and POST …/restore brings it
    back (If-Match honoured)."""
    row = service.set_enterprise_archived(
        session=session,
        enterprise_id=enterprise_id,
        archived=True,
        principal=principal,
        expected=expected,
    )
    session.commit()
    response.headers["ETag"] = etag_for(row.version)
    return _public(session, row, industries)


@router.post(
    "/{enterprise_id:int}/restore",
    response_model=EnterprisePublic,
    responses=versioned(conditional=True),
)
def restore_enterprise(
    enterprise_id: ObjectId,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
    expected: IfMatchDep,
) -> EnterprisePublic:
    """Bring an archived enterprise back."""
    row = service.set_enterprise_archived(
        session=session,
        enterprise_id=enterprise_id,
        archived=False,
        principal=principal,
        expected=expected,
    )
    session.commit()
    response.headers["ETag"] = etag_for(row.version)
    return _public(session, row, industries)


@router.get("/{enterprise_id:int}/assets", response_model=list[AssetPublic], responses=versioned())
def list_assets(
    enterprise_id: ObjectId, response: Response, session: SessionDep, principal: PrincipalDep
) -> list[AssetPublic]:
    """The enterprise's current assets (with the enterprise's ETag)."""
    service.get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    _tagged(response, session, enterprise_id)
    rows = service.list_assets(session=session, enterprise_id=enterprise_id)
    return [AssetPublic.model_validate(r.model_dump()) for r in rows]


@router.post(
    "/{enterprise_id:int}/assets",
    status_code=201,
    response_model=AssetPublic,
    responses=versioned(201, conditional=True),
)
def add_asset(
    enterprise_id: ObjectId,
    body: AssetCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    expected: IfMatchDep,
) -> AssetPublic:
    """Add an asset (土地、厂房、生产线…) to the enterprise (If-Match: the enterprise's ETag)."""
    row = service.add_asset(
        session=session,
        enterprise_id=enterprise_id,
        data=body,
        principal=principal,
        expected=expected,
    )
    session.commit()
    _tagged(response, session, enterprise_id)
    return AssetPublic.model_validate(row.model_dump())


@router.get(
    "/{enterprise_id:int}/assets/{asset_id:int}", response_model=AssetPublic, responses=versioned()
)
def read_asset(
    enterprise_id: ObjectId,
    asset_id: ObjectId,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> AssetPublic:
    """Read one asset (with its enterprise's ETag)."""
    row = service.get_asset(
        session=session, enterprise_id=enterprise_id, asset_id=asset_id, principal=principal
    )
    _tagged(response, session, enterprise_id)
    return AssetPublic.model_validate(row.model_dump())


@router.patch(
    "/{enterprise_id:int}/assets/{asset_id:int}",
    response_model=AssetPublic,
    responses=versioned(conditional=True),
)
def update_asset(
    enterprise_id: ObjectId,
    asset_id: ObjectId,
    body: AssetUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    expected: IfMatchDep,
) -> AssetPublic:
    """Change some fields of an asset (If-Match: the enterprise's ETag)."""
    row = service.update_asset(
        session=session,
        enterprise_id=enterprise_id,
        asset_id=asset_id,
        data=body,
        principal=principal,
        expected=expected,
    )
    session.commit()
    _tagged(response, session, enterprise_id)
    return AssetPublic.model_validate(row.model_dump())


@router.delete(
    "/{enterprise_id:int}/assets/{asset_id:int}",
    response_model=AssetPublic,
    responses=versioned(conditional=True),
)
def archive_asset(
    enterprise_id: ObjectId,
    asset_id: ObjectId,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    expected: IfMatchDep,
) -> AssetPublic:
    """Archive an asset: it leaves the profile but stays on record, so a later GET of it
    still answers 200 with `archived: true` (If-Match honoured)."""
    row = service.archive_asset(
        session=session,
        enterprise_id=enterprise_id,
        asset_id=asset_id,
        principal=principal,
        expected=expected,
    )
    session.commit()
    _tagged(response, session, enterprise_id)
    return AssetPublic.model_validate(row.model_dump())
