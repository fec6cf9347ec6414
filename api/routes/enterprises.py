from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import CasePrincipalDep, IndustriesDep, PrincipalDep, SessionDep
from api.params import Limit, ObjectId, Offset, SearchText
from api.services import enterprises as service
from api.services.mapping import enterprise_public
from matcher.industry import IndustryTable
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

StatusFilter = Literal["normal", "partial", "halted", "in_bankruptcy"]


def _public(session: Session, row: Enterprise, industries: IndustryTable) -> EnterprisePublic:
    assert row.id is not None
    assets = service.list_assets(session=session, enterprise_id=row.id)
    return enterprise_public(row, assets, industries)


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
    industry: SearchText = None,
    operating_status: StatusFilter | None = None,
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


@router.get("/{enterprise_id}", response_model=EnterprisePublic)
def read_enterprise(
    enterprise_id: ObjectId,
    session: SessionDep,
    principal: CasePrincipalDep,
    industries: IndustriesDep,
) -> EnterprisePublic:
    """Read an enterprise with its assets and derived indicators."""
    row = service.get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    return _public(session, row, industries)


@router.patch("/{enterprise_id}", response_model=EnterprisePublic)
def update_enterprise(
    enterprise_id: ObjectId,
    body: EnterpriseUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
) -> EnterprisePublic:
    """Change some fields; `financials` keys merge into the stored figures."""
    row = service.update_enterprise(
        session=session,
        enterprise_id=enterprise_id,
        data=body,
        industries=industries,
        principal=principal,
    )
    session.commit()
    return _public(session, row, industries)


@router.delete("/{enterprise_id}", response_model=EnterprisePublic)
def archive_enterprise(
    enterprise_id: ObjectId, session: SessionDep, principal: PrincipalDep, industries: IndustriesDep
) -> EnterprisePublic:
    """Archive an enterprise (soft delete: kept and restorable)."""
    row = service.set_enterprise_archived(
        session=session, enterprise_id=enterprise_id, archived=True, principal=principal
    )
    session.commit()
    return _public(session, row, industries)


@router.post("/{enterprise_id}/restore", response_model=EnterprisePublic)
def restore_enterprise(
    enterprise_id: ObjectId, session: SessionDep, principal: PrincipalDep, industries: IndustriesDep
) -> EnterprisePublic:
    """Bring an archived enterprise back."""
    row = service.set_enterprise_archived(
        session=session, enterprise_id=enterprise_id, archived=False, principal=principal
    )
    session.commit()
    return _public(session, row, industries)


@router.get("/{enterprise_id}/assets", response_model=list[AssetPublic])
def list_assets(
    enterprise_id: ObjectId, session: SessionDep, principal: PrincipalDep
) -> list[AssetPublic]:
    """The enterprise's current assets."""
    service.get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    rows = service.list_assets(session=session, enterprise_id=enterprise_id)
    return [AssetPublic.model_validate(r.model_dump()) for r in rows]


@router.post("/{enterprise_id}/assets", status_code=201, response_model=AssetPublic)
def add_asset(
    enterprise_id: ObjectId, body: AssetCreate, session: SessionDep, principal: PrincipalDep
) -> AssetPublic:
    """Add an asset (土地、厂房、生产线…) to the enterprise."""
    row = service.add_asset(
        session=session, enterprise_id=enterprise_id, data=body, principal=principal
    )
    session.commit()
    return AssetPublic.model_validate(row.model_dump())


@router.get("/{enterprise_id}/assets/{asset_id}", response_model=AssetPublic)
def read_asset(
    enterprise_id: ObjectId, asset_id: ObjectId, session: SessionDep, principal: PrincipalDep
) -> AssetPublic:
    """Read one asset."""
    row = service.get_asset(
        session=session, enterprise_id=enterprise_id, asset_id=asset_id, principal=principal
    )
    return AssetPublic.model_validate(row.model_dump())


@router.patch("/{enterprise_id}/assets/{asset_id}", response_model=AssetPublic)
def update_asset(
    enterprise_id: ObjectId,
    asset_id: ObjectId,
    body: AssetUpdate,
    session: SessionDep,
    principal: PrincipalDep,
) -> AssetPublic:
    """Change some fields of an asset."""
    row = service.update_asset(
        session=session,
        enterprise_id=enterprise_id,
        asset_id=asset_id,
        data=body,
        principal=principal,
    )
    session.commit()
    return AssetPublic.model_validate(row.model_dump())


@router.delete("/{enterprise_id}/assets/{asset_id}", response_model=AssetPublic)
def archive_asset(
    enterprise_id: ObjectId, asset_id: ObjectId, session: SessionDep, principal: PrincipalDep
) -> AssetPublic:
    """Archive an asset (it leaves the profile but stays in the record)."""
    row = service.archive_asset(
        session=session, enterprise_id=enterprise_id, asset_id=asset_id, principal=principal
    )
    session.commit()
    return AssetPublic.model_validate(row.model_dump())
