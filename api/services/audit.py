"""The audit trail: one row per write, in the same transaction as the write."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any, Protocol

from sqlmodel import Session, col, select

from api.services.paging import paginate
from models.tables import AuditLog, utcnow


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


class Stamped(Protocol):
    """A row that keeps when it last changed (enterprises, assets, partners, departments…)."""

    id: int | None
    updated_at: datetime

    def model_dump(self) -> dict[str, Any]: ...


def write_audited(
    *, session: Session, row: Stamped, changes: dict[str, Any], actor: str, entity: str
) -> None:
    """Set `changes` on `row`, stamp its `updated_at` and audit what really changed.

    The one update path of the services: the audit row lists {field: [old, new]} for
    the fields whose value differs, and it is added to the same session, so it commits
    or rolls back with the write.  Permission, validation and version checks come
    first, in the caller.
    """
    before = row.model_dump()
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    record_audit(
        session=session,
        actor=actor,
        action="update",
        entity=entity,
        entity_id=row.id,
        changes=diff_fields(before, changes),
    )


class Archivable(Stamped, Protocol):
    archived: bool


def archive_audited(
    *, session: Session, row: Archivable, archived: bool, actor: str, entity: str
) -> None:
    """Archive (or restore) `row`, stamp it and audit it as `archive` (or `restore`)."""
    row.archived = archived
    row.updated_at = utcnow()
    session.add(row)
    record_audit(
        session=session,
        actor=actor,
        action="archive" if archived else "restore",
        entity=entity,
        entity_id=row.id,
        changes={},
    )


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
