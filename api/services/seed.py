"""Loading the demo fixtures (the same path for the CLI `seed`, `serve --demo` and tests),
and preparing the demo: every enterprise diagnosed and ranked before the first look."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, select

from api.auth import Principal
from api.runtime import Runtime
from api.services.departments import ensure_default_departments
from api.services.diagnoses import current_diagnosis, find_latest_diagnosis
from api.services.enterprises import create_enterprise
from api.services.job_scope import live_enterprise_ids
from api.services.matching import compute_matches
from api.services.partners import create_partners
from api.services.triggers import ranked_enterprise_ids
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


def prepare_demo(
    *,
    session: Session,
    runtime: Runtime,
    progress: Callable[[str], None] | None = None,
) -> tuple[int, int]:
    """Diagnose and rank every live enterprise that lacks it, so the demo opens on finished work.

    An officer's first look at the demo should be a dashboard of diagnosed
    enterprises and ranked partners, not "未诊断" and a wait on the first
    ranking.  Enterprises already diagnosed (and not changed since) or already
    ranked are left as they are, so a second start does nothing.

    Returns:
        How many enterprises were diagnosed and how many ranked.
    """
    say = progress or (lambda _: None)
    rows = [session.get(Enterprise, i) for i in live_enterprise_ids(session)]
    live = [row for row in rows if row is not None]
    ranked = set(ranked_enterprise_ids(session))
    diagnosed = 0
    for row in live:
        assert row.id is not None
        if find_latest_diagnosis(session, row.id) is None:
            current_diagnosis(session=session, row=row, runtime=runtime)
            diagnosed += 1
    say(f"演示数据：已诊断 {diagnosed} 家企业")
    todo = [row for row in live if row.id not in ranked]
    for number, row in enumerate(todo, start=1):
        compute_matches(session=session, row=row, runtime=runtime)
        say(f"演示数据：已为 {number}/{len(todo)} 家企业排序合作主体")
    return diagnosed, len(todo)
