"""The audit trail: one row per write, in the same transaction as the write."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from api.services.paging import paginate
from models.tables import AuditLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def record_audit(
    *,
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    changes: dict[str, Any],
) -> None:
    """Add an audit row to the session; it commits or rolls back with the write itself."""
    payload = _jsonable(changes)
    json.dumps(payload, ensure_ascii=False)  # fail here, not at flush, if something slipped in
    session.add(
        AuditLog(
            actor=actor, action=action, entity=entity, entity_id=str(entity_id), changes=payload
        )
    )


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def list_audit(
    *,
    session: Session,
    entity: str | None = None,
    entity_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AuditLog], int]:
    query = select(AuditLog)
    if entity:
        query = query.where(AuditLog.entity == entity)
    if entity_id:
        query = query.where(AuditLog.entity_id == entity_id)
    return paginate(session, query, order_by=col(AuditLog.id).desc(), offset=offset, limit=limit)
