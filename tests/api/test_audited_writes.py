"""The one update-and-audit path: what changed is audited, in the write's own transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.services.audit import archive_audited, write_audited
from models.tables import AuditLog, Partner

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def _partner(engine: Engine) -> int:
    with Session(engine) as session:
        row = Partner(name="甲资产管理公司", kind="amc", updated_at=LONG_AGO)
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def test_only_the_changed_fields_are_audited_and_the_row_is_stamped(engine: Engine) -> None:
    pid = _partner(engine)
    with Session(engine) as session:
        row = session.get(Partner, pid)
        assert row is not None
        changes = {"name": "甲资产管理公司", "kind": "bank", "ticket_max": 5000.0}
        write_audited(session=session, row=row, changes=changes, actor="admin:t", entity="partner")
        session.commit()
    with Session(engine) as session:
        row = session.get(Partner, pid)
        audit = session.exec(select(AuditLog).where(AuditLog.entity_id == str(pid))).one()
        assert row is not None and (row.kind, row.ticket_max) == ("bank", 5000.0)
        assert row.updated_at.replace(tzinfo=UTC) > LONG_AGO
        assert (audit.action, audit.entity, audit.actor) == ("update", "partner", "admin:t")
        assert audit.changes == {"kind": ["amc", "bank"], "ticket_max": [None, 5000.0]}


@pytest.mark.parametrize("archived, action", [(True, "archive"), (False, "restore")])
def test_archive_and_restore_are_audited_with_the_write(
    engine: Engine, archived: bool, action: str
) -> None:
    pid = _partner(engine)
    with Session(engine) as session:
        row = session.get(Partner, pid)
        assert row is not None
        archive_audited(session=session, row=row, archived=archived, actor="a", entity="partner")
        session.commit()
    with Session(engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.entity_id == str(pid))).one()
        assert (audit.action, audit.changes) == (action, {})
        assert session.get(Partner, pid).archived is archived  # type: ignore[union-attr]


def test_a_rolled_back_write_leaves_no_audit_row(engine: Engine) -> None:
    pid = _partner(engine)
    with Session(engine) as session:
        row = session.get(Partner, pid)
        assert row is not None
        write_audited(session=session, row=row, changes={"kind": "bank"}, actor="a", entity="p")
        session.rollback()
    with Session(engine) as session:
        assert session.exec(select(AuditLog)).all() == []
        assert session.get(Partner, pid).kind == "amc"  # type: ignore[union-attr]
