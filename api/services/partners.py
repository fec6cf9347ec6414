"""Partners (合作主体): create one or many, read, list, change, archive."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.auth import Principal
from api.errors import (
    CREDIT_CODE_TAKEN,
    DUPLICATE_IN_BATCH,
    NOT_FOUND,
    ROLE_FORBIDDEN,
    TICKET_ORDER,
    Conflict,
    FieldInvalid,
    Forbidden,
    NotFound,
)
from api.services.audit import archive_audited, record_audit, write_audited
from api.services.paging import paginate
from api.services.pool import bump_pool_revision
from api.services.triggers import queue_automatic_rescore
from api.services.validation import normalize_industry_code, normalize_industry_list
from api.services.versions import check_version, claim_version
from matcher.industry import IndustryTable
from models.schemas import PartnerCreate, PartnerUpdate
from models.tables import Partner

LIST_FIELDS = ("industries", "excluded_industries")


def _require_admin(principal: Principal) -> None:
    if not principal.can_write_partners:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))


def _normalized(
    fields: dict[str, Any], industries: IndustryTable, loc: tuple[str | int, ...]
) -> dict[str, Any]:
    out = dict(fields)
    for name in LIST_FIELDS:
        if out.get(name) is not None:
            try:
                out[name] = normalize_industry_list(out[name], industries, name)
            except FieldInvalid as error:
                raise FieldInvalid(loc + error.loc[1:], error.message) from None
    return out


def _check_credit_code_free(
    session: Session, code: str | None, own_id: int | None, taken: dict[str, int] | None = None
) -> None:
    if code is None:
        return
    other = session.exec(select(Partner).where(Partner.credit_code == code)).first()
    if other is not None and other.id != own_id:
        raise Conflict(CREDIT_CODE_TAKEN.format(code=code, entity="合作主体", id=other.id))
    if taken is not None and code in taken:
        raise Conflict(DUPLICATE_IN_BATCH.format(code=code, first=taken[code]))


def create_partners(
    *,
    session: Session,
    items: list[PartnerCreate],
    industries: IndustryTable,
    principal: Principal,
    bulk: bool = False,
) -> list[Partner]:
    """Create partners in the caller's transaction: one bad item and none are kept."""
    _require_admin(principal)
    rows: list[Partner] = []
    taken: dict[str, int] = {}
    for index, item in enumerate(items):
        loc: tuple[str | int, ...] = ("body", index) if bulk else ("body",)
        fields = _normalized(item.model_dump(), industries, loc)
        _check_credit_code_free(session, item.credit_code, None, taken)
        if item.credit_code:
            taken[item.credit_code] = index
        rows.append(Partner(**fields))
    session.add_all(rows)
    session.flush()
    for row, item in zip(rows, items, strict=True):
        record_audit(
            session=session,
            actor=principal.actor,
            action="create",
            entity="partner",
            entity_id=row.id,
            changes=item.model_dump(),
        )
    session.flush()
    if rows:
        bump_pool_revision(session)
        queue_automatic_rescore(session=session, enterprise_ids=None)
    return rows


def get_partner(*, session: Session, partner_id: int) -> Partner:
    row = session.get(Partner, partner_id)
    if row is None:
        raise NotFound(NOT_FOUND.format(entity="合作主体", id=partner_id))
    return row


def list_partners(
    *,
    session: Session,
    industries: IndustryTable,
    kind: str | None = None,
    industry: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    archived: bool = False,
    offset: int = 0,
    limit: int = 50,
    ext_id: str | None = None,
) -> tuple[list[Partner], int]:
    query = select(Partner).where(col(Partner.archived).is_(archived))
    if ext_id:
        query = query.where(Partner.ext_id == ext_id)
    if kind:
        query = query.where(Partner.kind == kind)
    if active is not None:
        query = query.where(col(Partner.active).is_(active))
    if q:
        query = query.where(
            or_(
                *(
                    col(getattr(Partner, f)).contains(q, autoescape=True)
                    for f in ("name", "capabilities", "interests", "track_record", "credit_code")
                )
            )
        )
    rows, total = paginate(session, query, order_by=col(Partner.id), offset=0, limit=100_000)
    if industry:
        # JSON lists are not portably searchable in SQL; pools are small enough to filter here.
        code = normalize_industry_code(industry, industries, loc=("query", "industry"))
        rows = [
            r for r in rows if any(code.startswith(c) or c.startswith(code) for c in r.industries)
        ]
        total = len(rows)
    return rows[offset : offset + limit], total


def update_partner(
    *,
    session: Session,
    partner_id: int,
    data: PartnerUpdate,
    industries: IndustryTable,
    principal: Principal,
    expected: frozenset[int] | None = None,
) -> Partner:
    """Apply a partial change; `expected` is the caller's If-Match (a stale one is a 412)."""
    _require_admin(principal)
    row = get_partner(session=session, partner_id=partner_id)
    changes = _normalized(data.model_dump(exclude_unset=True), industries, ("body",))
    for key in (
        "name",
        "kind",
        "active",
        "capabilities",
        "interests",
        "track_record",
        "treatment_types",
        "asset_interests",
        "preferred_regions",
        *LIST_FIELDS,
    ):
        if key in changes and changes[key] is None:
            changes.pop(key)
    if "credit_code" in changes:
        _check_credit_code_free(session, changes["credit_code"], row.id)
    claim_version(session=session, row=row, expected=expected, entity="合作主体")
    low = changes.get("ticket_min", row.ticket_min)
    high = changes.get("ticket_max", row.ticket_max)
    if low is not None and high is not None and low > high:
        raise FieldInvalid(("body", "ticket_max"), TICKET_ORDER.format(high=high, low=low))
    write_audited(
        session=session, row=row, changes=changes, actor=principal.actor, entity="partner"
    )
    session.flush()
    bump_pool_revision(session)
    queue_automatic_rescore(session=session, enterprise_ids=None)
    return row


def set_partner_archived(
    *,
    session: Session,
    partner_id: int,
    archived: bool,
    principal: Principal,
    expected: frozenset[int] | None = None,
) -> Partner:
    _require_admin(principal)
    row = get_partner(session=session, partner_id=partner_id)
    check_version(row=row, expected=expected, entity="合作主体")
    if row.archived != archived:
        claim_version(session=session, row=row, expected=expected, entity="合作主体")
        archive_audited(
            session=session, row=row, archived=archived, actor=principal.actor, entity="partner"
        )
        bump_pool_revision(session)
    session.flush()
    queue_automatic_rescore(session=session, enterprise_ids=None)
    return row
