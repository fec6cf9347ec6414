from __future__ import annotations

from fastapi import APIRouter

from api.auth import Principal
from api.deps import PrincipalDep, SessionDep
from api.errors import ROLE_FORBIDDEN, Forbidden
from api.params import Limit, ObjectId, Offset, SearchText
from api.services import tokens as service
from api.services.audit import list_audit
from models.schemas import AuditEntry, Page, TokenCreate, TokenIssued, TokenPublic

router = APIRouter(tags=["admin"])


def _require_admin(principal: Principal) -> None:
    if principal.role != "admin":
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))


@router.post("/tokens", status_code=201, response_model=TokenIssued)
def create_token(body: TokenCreate, session: SessionDep, principal: PrincipalDep) -> TokenIssued:
    """Issue a token; the secret is in this answer only."""
    _require_admin(principal)
    row, secret = service.create_token(
        session=session,
        name=body.name,
        role=body.role,
        counties=body.counties,
        actor=principal.actor,
        department=body.department,
    )
    session.commit()
    return TokenIssued(**TokenPublic.model_validate(row).model_dump(), token=secret)


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(session: SessionDep, principal: PrincipalDep) -> list[TokenPublic]:
    """All tokens, without their secrets."""
    _require_admin(principal)
    return [TokenPublic.model_validate(r) for r in service.list_tokens(session=session)]


@router.delete("/tokens/{token_id:int}", response_model=TokenPublic)
def revoke_token(token_id: ObjectId, session: SessionDep, principal: PrincipalDep) -> TokenPublic:
    """Revoke a token: it stops working at once."""
    _require_admin(principal)
    row = service.revoke_token(session=session, token_id=token_id, actor=principal.actor)
    session.commit()
    return TokenPublic.model_validate(row)


@router.get("/audit", response_model=Page[AuditEntry])
def read_audit(
    session: SessionDep,
    principal: PrincipalDep,
    entity: SearchText = None,
    entity_id: SearchText = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[AuditEntry]:
    """The audit trail, newest first: who changed what, and when."""
    _require_admin(principal)
    rows, total = list_audit(
        session=session, entity=entity, entity_id=entity_id, offset=offset, limit=limit
    )
    return Page[AuditEntry](data=[AuditEntry.model_validate(r) for r in rows], count=total)
