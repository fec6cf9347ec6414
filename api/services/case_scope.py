"""What a department token may see: the enterprises whose case it was invited to.

One home for that rule, read by the enterprise list and reads, the dashboard's
aggregates, the consultation and the plan, so a department never sees another
case through any of them.  Officers, viewers and admins are not affected here
(their county scope is Principal.sees_county).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from api.auth import Principal
from api.errors import NOT_INVITED, Forbidden
from models.consultation import CaseInvitation
from models.tables import Enterprise


def invited_enterprise_ids(principal: Principal) -> Any:
    """A subquery of the enterprise ids the principal's department was invited to."""
    return select(CaseInvitation.enterprise_id).where(
        CaseInvitation.department_id == (principal.department_id or 0)
    )


def restrict_to_cases(principal: Principal, query: Any) -> Any:
    """Hold a query over Enterprise to the department's cases (unchanged for other roles)."""
    if not principal.is_department:
        return query
    return query.where(col(Enterprise.id).in_(invited_enterprise_ids(principal)))


def is_invited(session: Session, principal: Principal, enterprise_id: int) -> bool:
    row = session.exec(
        select(CaseInvitation.id).where(
            CaseInvitation.enterprise_id == enterprise_id,
            CaseInvitation.department_id == (principal.department_id or 0),
        )
    ).first()
    return row is not None


def require_case_access(session: Session, principal: Principal, enterprise_id: int) -> None:
    """Refuse a department token on an enterprise whose case it was not invited to."""
    if principal.is_department and not is_invited(session, principal, enterprise_id):
        raise Forbidden(NOT_INVITED.format(id=enterprise_id))
