from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from api.deps import IfMatchDep, IndustriesDep, PrincipalDep, SessionDep
from api.etags import etag_for, versioned
from api.params import IndustryFilter, Limit, ObjectId, Offset, SearchText
from api.services import partners as service
from api.services.mapping import partner_public
from models.schemas import IdList, Page, PartnerCreate, PartnerPublic, PartnerUpdate

router = APIRouter(prefix="/partners", tags=["partners"])


@router.post("", status_code=201, response_model=PartnerPublic)
def create_partner(
    body: PartnerCreate, session: SessionDep, principal: PrincipalDep, industries: IndustriesDep
) -> PartnerPublic:
    """Create one partner (合作主体)."""
    [row] = service.create_partners(
        session=session, items=[body], industries=industries, principal=principal
    )
    session.commit()
    return partner_public(row, industries)


@router.post("/bulk", status_code=201, response_model=IdList)
def create_partners_bulk(
    body: Annotated[list[PartnerCreate], Body(max_length=10_000)],
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
) -> IdList:
    """Create a list of partners in one transaction: all of them or none."""
    rows = service.create_partners(
        session=session, items=body, industries=industries, principal=principal, bulk=True
    )
    session.commit()
    return IdList(ids=[row.id for row in rows if row.id is not None])


@router.get("", response_model=Page[PartnerPublic])
def list_partners(
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
    kind: SearchText = None,
    industry: IndustryFilter = None,
    active: bool | None = None,
    q: SearchText = None,
    archived: bool = False,
    ext_id: SearchText = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[PartnerPublic]:
    """List partners with filters (kind, industry prefix, active, text) and pagination."""
    rows, total = service.list_partners(
        session=session,
        industries=industries,
        kind=kind,
        industry=industry,
        active=active,
        q=q,
        archived=archived,
        ext_id=ext_id,
        offset=offset,
        limit=limit,
    )
    return Page[PartnerPublic](data=[partner_public(r, industries) for r in rows], count=total)


@router.get("/{partner_id:int}", response_model=PartnerPublic, responses=versioned())
def read_partner(
    partner_id: ObjectId,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
) -> PartnerPublic:
    """Read one partner; the ETag is its version."""
    row = service.get_partner(session=session, partner_id=partner_id)
    response.headers["ETag"] = etag_for(row.version)
    return partner_public(row, industries)


@router.patch(
    "/{partner_id:int}", response_model=PartnerPublic, responses=versioned(conditional=True)
)
def update_partner(
    partner_id: ObjectId,
    body: PartnerUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
    expected: IfMatchDep,
) -> PartnerPublic:
    """Change some fields of a partner (If-Match honoured)."""
    row = service.update_partner(
        session=session,
        partner_id=partner_id,
        data=body,
        industries=industries,
        principal=principal,
        expected=expected,
    )
    session.commit()
    response.headers["ETag"] = etag_for(row.version)
    return partner_public(row, industries)


@router.delete(
    "/{partner_id:int}", response_model=PartnerPublic, responses=versioned(conditional=True)
)
def archive_partner(
    partner_id: ObjectId,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
    expected: IfMatchDep,
) -> PartnerPublic:
    """Archive a partner: never recommended again, but nothing is deleted, so a later GET
    still answers 200 with `archived: true`; POST …/restore brings it back (If-Match honoured)."""
    row = service.set_partner_archived(
        session=session,
        partner_id=partner_id,
        archived=True,
        principal=principal,
        expected=expected,
    )
    session.commit()
    response.headers["ETag"] = etag_for(row.version)
    return partner_public(row, industries)


@router.post(
    "/{partner_id:int}/restore", response_model=PartnerPublic, responses=versioned(conditional=True)
)
def restore_partner(
    partner_id: ObjectId,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    industries: IndustriesDep,
    expected: IfMatchDep,
) -> PartnerPublic:
    """Bring an archived partner back."""
    row = service.set_partner_archived(
        session=session,
        partner_id=partner_id,
        archived=False,
        principal=principal,
        expected=expected,
    )
    session.commit()
    response.headers["ETag"] = etag_for(row.version)
    return partner_public(row, industries)
