"""Issuing and revoking API tokens (admin route and CLI share these)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.auth import generate_token, hash_token
from api.errors import NOT_FOUND, FieldInvalid, NotFound
from api.services.audit import record_audit
from api.services.departments import resolve_department
from models.tables import ApiToken, utcnow

DEPARTMENT_NEEDED = "角色 department 的令牌须指明所属部门"
NO_DEPARTMENT_FOR_ROLE = "只有角色 department 或 officer 的令牌可以属于部门"


def token_department(*, session: Session, role: str, department: int | str | None) -> int | None:
    """The department id a new token belongs to, checked against its role."""
    loc = ("body", "department")
    if department is None:
        if role == "department":
            raise FieldInvalid(loc, DEPARTMENT_NEEDED)
        return None
    if role not in ("department", "officer"):
        raise FieldInvalid(loc, NO_DEPARTMENT_FOR_ROLE)
    return resolve_department(session=session, ref=department, loc=loc).id


def create_token(
    *,
    session: Session,
    name: str,
    role: str,
    counties: list[str],
    actor: str,
    department: int | str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never stored in clear."""
    department_id = token_department(session=session, role=role, department=department)
    secret = generate_token()
    row = ApiToken(
        name=name,
        role=role,
        counties=counties,
        department_id=department_id,
        token_hash=hash_token(secret),
        token_prefix=secret[:10],
        created_by=actor,
    )
    session.add(row)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="create",
        entity="token",
        entity_id=row.id,
        changes={
            "name": name,
            "role": role,
            "counties": counties,
            "department_id": department_id,
        },
    )
    return row, secret


def revoke_token(*, session: Session, token_id: int, actor: str) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(NOT_FOUND.format(entity="令牌", id=token_id))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        record_audit(
            session=session,
            actor=actor,
            action="revoke",
            entity="token",
            entity_id=token_id,
            changes={},
        )
    return row


def list_tokens(*, session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))).all())
