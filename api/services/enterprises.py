"""Enterprises and their assets: create, read, list, change, archive.

Every function takes the caller's Principal so the county scope is enforced
in one place for the API, the page and the CLI alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.auth import Principal
from api.errors import (
    COUNTY_FORBIDDEN,
    CREDIT_CODE_TAKEN,
    CREDIT_CODE_TAKEN_UNSEEN,
    NOT_FOUND,
    ROLE_FORBIDDEN,
    Conflict,
    Forbidden,
    NotFound,
)
from api.services.audit import archive_audited, record_audit, write_audited
from api.services.case_scope import require_case_access, restrict_to_cases
from api.services.paging import paginate
from api.services.triggers import queue_automatic_rescore
from api.services.validation import normalize_industry_code
from api.services.versions import check_version, claim_version
from matcher.industry import IndustryTable
from matcher.vocab import FINANCIAL_FIELDS
from models.schemas import (
    AssetCreate,
    AssetUpdate,
    EnterpriseCreate,
    EnterpriseUpdate,
)
from models.tables import Asset, Enterprise, utcnow


def _require_writer(principal: Principal) -> None:
    if not principal.can_write_enterprises:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))


def require_county(principal: Principal, county: str) -> None:
    """Refuse a caller whose token does not see `county`."""
    if not principal.sees_county(county):
        raise Forbidden(COUNTY_FORBIDDEN.format(county=county or "（未填县区）"))


def _check_credit_code_free(
    session: Session, code: str | None, own_id: int | None, principal: Principal
) -> None:
    """Unique among enterprises; the holder is named only to a caller who may see it."""
    if code is None:
        return
    other = session.exec(select(Enterprise).where(Enterprise.credit_code == code)).first()
    if other is not None and other.id != own_id:
        if principal.sees_county(other.county):
            raise Conflict(CREDIT_CODE_TAKEN.format(code=code, entity="企业", id=other.id))
        raise Conflict(CREDIT_CODE_TAKEN_UNSEEN.format(code=code))


def create_enterprise(
    *, session: Session, data: EnterpriseCreate, industries: IndustryTable, principal: Principal
) -> Enterprise:
    """Store an enterprise and its assets in the caller's transaction."""
    _require_writer(principal)
    require_county(principal, data.county)
    fields = data.model_dump(exclude={"financials", "assets"})
    fields["industry_code"] = normalize_industry_code(data.industry_code, industries)
    _check_credit_code_free(session, data.credit_code, None, principal)
    row = Enterprise(**fields, **data.figures.model_dump())
    session.add(row)
    session.flush()
    for asset in data.assets:
        session.add(Asset(enterprise_id=row.id, **asset.model_dump()))
    record_audit(
        session=session,
        actor=principal.actor,
        action="create",
        entity="enterprise",
        entity_id=row.id,
        changes=data.model_dump(),
    )
    session.flush()
    return row


def get_enterprise(*, session: Session, enterprise_id: int, principal: Principal) -> Enterprise:
    row = session.get(Enterprise, enterprise_id)
    if row is None:
        raise NotFound(NOT_FOUND.format(entity="企业", id=enterprise_id))
    require_enterprise_access(session, principal, enterprise_id, row.county)
    return row


def require_enterprise_access(
    session: Session, principal: Principal, enterprise_id: int, county: str
) -> None:
    """What get_enterprise checks, for a caller that read the enterprise's county itself."""
    require_county(principal, county)
    require_case_access(session, principal, enterprise_id)


def list_assets(*, session: Session, enterprise_id: int) -> list[Asset]:
    query = select(Asset).where(
        Asset.enterprise_id == enterprise_id, col(Asset.archived).is_(False)
    )
    return list(session.exec(query.order_by(col(Asset.id))).all())


def live_assets_by_enterprise(*, session: Session) -> dict[int, list[Asset]]:
    """Every enterprise's live assets in id order, in one query (for scans over all of them)."""
    query = select(Asset).where(col(Asset.archived).is_(False)).order_by(col(Asset.id))
    out: dict[int, list[Asset]] = {}
    for asset in session.exec(query).all():
        out.setdefault(asset.enterprise_id, []).append(asset)
    return out


def list_enterprises(
    *,
    session: Session,
    principal: Principal,
    industries: IndustryTable,
    county: str | None = None,
    industry: str | None = None,
    operating_status: str | None = None,
    q: str | None = None,
    archived: bool = False,
    offset: int = 0,
    limit: int = 50,
    ext_id: str | None = None,
) -> tuple[list[Enterprise], int]:
    query = select(Enterprise).where(col(Enterprise.archived).is_(archived))
    if ext_id:
        query = query.where(Enterprise.ext_id == ext_id)
    if principal.role != "admin" and principal.counties:
        query = query.where(col(Enterprise.county).in_(principal.counties))
    query = restrict_to_cases(principal, query)
    if county:
        query = query.where(Enterprise.county == county)
    if industry:
        prefix = normalize_industry_code(industry, industries, loc=("query", "industry"))
        query = query.where(col(Enterprise.industry_code).startswith(prefix, autoescape=True))
    if operating_status:
        query = query.where(Enterprise.operating_status == operating_status)
    if q:
        query = query.where(
            or_(
                *(
                    col(getattr(Enterprise, f)).contains(q, autoescape=True)
                    for f in (
                        "name",
                        "description",
                        "problems",
                        "demands",
                        "strengths",
                        "credit_code",
                    )
                )
            )
        )
    return paginate(session, query, order_by=col(Enterprise.id), offset=offset, limit=limit)


def update_enterprise(
    *,
    session: Session,
    enterprise_id: int,
    data: EnterpriseUpdate,
    industries: IndustryTable,
    principal: Principal,
    expected: frozenset[int] | None = None,
) -> Enterprise:
    """Apply a partial change; `financials` keys merge into the stored figures (null: clear all).

    `expected` is the caller's If-Match (versions it built on); a stale one is a 412.
    """
    _require_writer(principal)
    row = get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"financials"})
    if data.clears_figures:
        changes.update(dict.fromkeys(FINANCIAL_FIELDS))
    elif data.financials is not None:
        changes.update(data.financials.model_dump(exclude_unset=True))
    if "industry_code" in changes:
        changes["industry_code"] = normalize_industry_code(
            changes["industry_code"] or "", industries
        )
    for required in (
        "name",
        "province",
        "city",
        "county",
        "operating_status",
        "description",
        "problems",
        "demands",
        "strengths",
    ):
        if required in changes and changes[required] is None:
            changes.pop(required)  # null for a non-nullable field means "leave as is"
    if "county" in changes:
        require_county(principal, changes["county"])
    if "credit_code" in changes:
        _check_credit_code_free(session, changes["credit_code"], row.id, principal)
    _claim(session, row, expected, principal)
    write_audited(
        session=session, row=row, changes=changes, actor=principal.actor, entity="enterprise"
    )
    session.flush()
    queue_automatic_rescore(session=session, enterprise_ids=[row.id or 0])
    return row


def set_enterprise_archived(
    *,
    session: Session,
    enterprise_id: int,
    archived: bool,
    principal: Principal,
    expected: frozenset[int] | None = None,
) -> Enterprise:
    _require_writer(principal)
    row = get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    check_version(row=row, expected=expected, entity="企业")
    if row.archived != archived:
        _claim(session, row, expected, principal)
        archive_audited(
            session=session, row=row, archived=archived, actor=principal.actor, entity="enterprise"
        )
    session.flush()
    return row


def add_asset(
    *,
    session: Session,
    enterprise_id: int,
    data: AssetCreate,
    principal: Principal,
    expected: frozenset[int] | None = None,
) -> Asset:
    _require_writer(principal)
    row = get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    _claim(session, row, expected, principal)
    asset = Asset(enterprise_id=row.id, **data.model_dump())
    session.add(asset)
    session.flush()
    record_audit(
        session=session,
        actor=principal.actor,
        action="create",
        entity="asset",
        entity_id=asset.id,
        changes={"enterprise_id": row.id, **data.model_dump()},
    )
    _touch(session, row)
    return asset


def get_asset(
    *, session: Session, enterprise_id: int, asset_id: int, principal: Principal
) -> Asset:
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    asset = session.get(Asset, asset_id)
    if asset is None or asset.enterprise_id != enterprise_id or asset.archived:
        raise NotFound(NOT_FOUND.format(entity="资产", id=asset_id))
    return asset


def update_asset(
    *,
    session: Session,
    enterprise_id: int,
    asset_id: int,
    data: AssetUpdate,
    principal: Principal,
    expected: frozenset[int] | None = None,
) -> Asset:
    _require_writer(principal)
    asset = _claimed_asset(session, enterprise_id, asset_id, principal, expected)
    changes = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in ("area_m2", "book_value", "appraised_value")
    }
    write_audited(
        session=session, row=asset, changes=changes, actor=principal.actor, entity="asset"
    )
    _touch(session, session.get(Enterprise, enterprise_id))
    return asset


def archive_asset(
    *,
    session: Session,
    enterprise_id: int,
    asset_id: int,
    principal: Principal,
    expected: frozenset[int] | None = None,
) -> Asset:
    _require_writer(principal)
    asset = _claimed_asset(session, enterprise_id, asset_id, principal, expected)
    archive_audited(
        session=session, row=asset, archived=True, actor=principal.actor, entity="asset"
    )
    _touch(session, session.get(Enterprise, enterprise_id))
    return asset


def _claim(
    session: Session, row: Enterprise, expected: frozenset[int] | None, principal: Principal
) -> None:
    """Take the enterprise's next version (api/services/versions.py), then re-check its county:
    when another writer came first the row was re-read and may have moved."""
    claim_version(session=session, row=row, expected=expected, entity="企业")
    require_county(principal, row.county)


def _claimed_asset(
    session: Session,
    enterprise_id: int,
    asset_id: int,
    principal: Principal,
    expected: frozenset[int] | None,
) -> Asset:
    """The asset, once its enterprise's version is claimed (an asset write is an enterprise's)."""
    row = get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    _claim(session, row, expected, principal)
    asset = get_asset(
        session=session, enterprise_id=enterprise_id, asset_id=asset_id, principal=principal
    )
    session.refresh(asset)
    return asset


def _touch(session: Session, row: Enterprise | None) -> None:
    """An asset change is a change to its enterprise (its rankings become stale)."""
    if row is not None:
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        queue_automatic_rescore(session=session, enterprise_ids=[row.id or 0])
