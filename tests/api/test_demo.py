"""The demo opens on finished work: every enterprise diagnosed and ranked before the first look."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import select

from api.pages.common import COOKIE
from api.runtime import Runtime
from api.services.seed import prepare_demo
from models.db import session_scope
from models.tables import MatchRun
from tests.conftest import ADMIN_TOKEN


def test_prepare_demo_diagnoses_and_ranks_everything_once(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    enterprises = seeded.get("/enterprises", params={"limit": 100}).json()["data"]
    assert enterprises
    assert seeded.get(f"/enterprises/{enterprises[0]['id']}/diagnosis").status_code == 404
    lines: list[str] = []
    with session_scope(engine) as session:
        diagnosed, ranked = prepare_demo(session=session, runtime=runtime, progress=lines.append)
    assert (diagnosed, ranked) == (len(enterprises), len(enterprises))
    assert lines[-1].endswith(f"{ranked}/{ranked} 家企业排序合作主体")
    with session_scope(engine) as session:
        runs_before = session.exec(select(func.count()).select_from(MatchRun)).one()
    for item in enterprises:
        assert seeded.get(f"/enterprises/{item['id']}/diagnosis").status_code == 200
        assert seeded.get(f"/enterprises/{item['id']}/matches").json()["items"]
    # The first look reads the stored rankings: no request ranked anything anew.
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(MatchRun)).one() == runs_before
    with session_scope(engine) as session:
        assert prepare_demo(session=session, runtime=runtime) == (0, 0)
    seeded.cookies.set(COOKIE, ADMIN_TOKEN)
    dashboard = seeded.get("/ui", follow_redirects=False)
    assert dashboard.status_code == 200 and "分类施策" in dashboard.text
    assert "未诊断" not in dashboard.text
