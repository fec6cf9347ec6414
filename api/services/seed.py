"""Loading the demo fixtures: the same path for the CLI `seed`, `serve --demo` and tests."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, select

from api.auth import Principal
from api.services.departments import ensure_default_departments
from api.services.enterprises import create_enterprise
from api.services.partners import create_partners
from matcher.industry import IndustryTable
from models.schemas import EnterpriseCreate, PartnerCreate
from models.tables import Enterprise, Partner

SEED_PRINCIPAL = Principal(name="seed", role="admin")


def _exists(session: Session, table: type[Enterprise] | type[Partner], item: dict) -> bool:
    """Rows are matched by credit code when there is one, else by exact name."""
    column = table.credit_code if item.get("credit_code") else table.name
    value = item.get("credit_code") or item["name"].strip()
    return session.exec(select(table).where(column == value)).first() is not None


def seed_fixtures(
    *, session: Session, fixtures_dir: Path, industries: IndustryTable
) -> tuple[int, int]:
    """Load fixtures/enterprises.json and partners.json; rows already present are skipped.

    The default departments (migration 0006p inserts them) are added too when missing.

    Returns:
        How many enterprises and partners were added (0, 0 on a second run).
    """
    ensure_default_departments(session=session)
    enterprises = json.loads((fixtures_dir / "enterprises.json").read_text(encoding="utf-8"))
    partners = json.loads((fixtures_dir / "partners.json").read_text(encoding="utf-8"))
    added_enterprises = 0
    for item in enterprises:
        if not _exists(session, Enterprise, item):
            create_enterprise(
                session=session,
                data=EnterpriseCreate.model_validate(item),
                industries=industries,
                principal=SEED_PRINCIPAL,
            )
            added_enterprises += 1
    new_partners = [
        PartnerCreate.model_validate(item)
        for item in partners
        if not _exists(session, Partner, item)
    ]
    if new_partners:
        create_partners(
            session=session,
            items=new_partners,
            industries=industries,
            principal=SEED_PRINCIPAL,
            bulk=True,
        )
    return added_enterprises, len(new_partners)
