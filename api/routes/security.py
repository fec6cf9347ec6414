from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from api.deps import PrincipalDep, SessionDep
from api.errors import ROLE_FORBIDDEN, Forbidden
from api.params import Limit, Offset, SearchText
from api.services.security import EVENT_KINDS, list_security_events
from models.schemas import Page, SecurityEventOut

router = APIRouter(tags=["admin"])

EventKind = Literal[EVENT_KINDS]  # type: ignore[valid-type]


@router.get("/security-events", response_model=Page[SecurityEventOut])
def read_security_events(
    session: SessionDep,
    principal: PrincipalDep,
    kind: EventKind | None = None,
    client: SearchText = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[SecurityEventOut]:
    """Refused sign-ins and requests (401, 403, lock-outs, cross-site forms), newest first."""
    if principal.role != "admin":
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))
    rows, total = list_security_events(
        session=session, kind=kind, client=client, offset=offset, limit=limit
    )
    return Page[SecurityEventOut](
        data=[SecurityEventOut.model_validate(r) for r in rows], count=total
    )
