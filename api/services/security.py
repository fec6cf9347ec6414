"""Security events: refused sign-ins and requests, kept for admins to read.

Written in a session of their own, so that an event is kept although the
request that caused it fails and rolls back.  The presented secret is never
stored: a known token is named by its id, and any token by the first 12 hex
digits of its SHA-256 (enough to group one token's attempts, useless to sign in).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from api.auth import Principal, hash_token
from api.services.paging import paginate
from models.tables import SecurityEvent

log = logging.getLogger("api.security")

EVENT_KINDS = (
    "login_failed",
    "bad_token",
    "missing_token",
    "bad_cookie",
    "forbidden",
    "cross_site",
    "locked_out",
)


@dataclass(frozen=True)
class Attempt:
    """What is known of a request when it is refused."""

    method: str
    path: str
    client: str
    token: str | None = None
    principal: Principal | None = None


def token_hash_prefix(token: str | None) -> str:
    return hash_token(token)[:12] if token else ""


def record_security_event(
    *, engine: Engine, attempt: Attempt, kind: str, status: int, detail: str = ""
) -> None:
    """Store one event in its own transaction; a database failure is logged, never raised."""
    principal = attempt.principal
    event = SecurityEvent(
        kind=kind,
        status=status,
        method=attempt.method[:10],
        path=attempt.path[:500],
        client=attempt.client[:100],
        token_id=principal.token_id if principal else None,
        token_hash_prefix=token_hash_prefix(attempt.token),
        actor=principal.actor[:200] if principal else "",
        detail=detail[:500],
    )
    try:
        with Session(engine) as session:
            session.add(event)
            session.commit()
    except SQLAlchemyError as error:  # the refusal itself must still be answered
        log.error("security event not recorded (%s %s): %s", kind, attempt.path, error)


def list_security_events(
    *,
    session: Session,
    kind: str | None = None,
    client: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[SecurityEvent], int]:
    query = select(SecurityEvent)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    if client:
        query = query.where(SecurityEvent.client == client)
    return paginate(
        session, query, order_by=col(SecurityEvent.id).desc(), offset=offset, limit=limit
    )
