"""Pipeline views across enterprises: filters, counts per stage, overdue follow-ups."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from models.tables import Engagement, utcnow
from tests.factories import issue_token


def review(client: TestClient, enterprise_id: int, rank: int, *steps: str, **headers: str) -> dict:  # type: ignore[type-arg]
    item = client.get(f"/enterprises/{enterprise_id}/matches").json()["items"][rank]
    for step in steps:
        response = client.post(
            f"/matches/{item['match_id']}/review",
            json={"status": step, "note": "跟进"},
            headers=headers or None,
        )
        assert response.status_code == 200, response.text
    return item  # type: ignore[no-any-return]


def test_pipeline_filters_and_counts(seeded: TestClient) -> None:
    county = seeded.get("/enterprises/1").json()["county"]
    officer = {"Authorization": f"Bearer {issue_token(seeded, 'officer')}"}
    signed = review(seeded, 1, 0, "shortlisted", "contacted", "negotiating", "signed")
    contacted = review(seeded, 2, 0, "contacted", **officer)
    review(seeded, 3, 1, "shortlisted")

    def ids(**params: object) -> list[int]:
        return [i["partner_id"] for i in seeded.get("/pipeline", params=params).json()["data"]]

    assert seeded.get("/pipeline").json()["count"] == 3
    assert ids(status="signed") == [signed["partner_id"]]
    assert ids(officer="officer-测试") == [contacted["partner_id"]]
    assert all(
        i["county"] == county
        for i in seeded.get("/pipeline", params={"county": county}).json()["data"]
    )
    kind = signed["partner_kind"]
    assert signed["partner_id"] in ids(kind=kind)
    primary = seeded.get("/enterprises/1/diagnosis").json()["effective_primary"]
    assert signed["partner_id"] in ids(category=primary)
    counts = seeded.get("/pipeline/counts").json()
    assert counts["stages"]["signed"] == 1
    assert counts["stages"]["contacted"] == 1
    assert counts["stages"]["shortlisted"] == 1
    assert counts["stages"]["landed"] == 0
    assert seeded.get("/pipeline", params={"status": "finished"}).status_code == 422


def test_overdue_follow_ups(seeded: TestClient, engine: Engine) -> None:
    quiet = review(seeded, 1, 0, "contacted")
    review(seeded, 2, 0, "contacted")
    finished = review(seeded, 3, 0, "rejected")
    with Session(engine) as session:  # the clock: these two were last moved 20 days ago
        for row in session.exec(select(Engagement)).all():
            if row.partner_id in (quiet["partner_id"], finished["partner_id"]) and (
                row.enterprise_id in (1, 3)
            ):
                row.updated_at = utcnow() - timedelta(days=20)
                session.add(row)
        session.commit()
    overdue = seeded.get("/pipeline/overdue", params={"days": 14}).json()
    assert [(i["enterprise_id"], i["partner_id"]) for i in overdue["data"]] == [
        (1, quiet["partner_id"])
    ]  # the rejected pair is closed, not overdue
    assert seeded.get("/pipeline/overdue", params={"days": 30}).json()["count"] == 0
    assert seeded.get("/pipeline/counts", params={"days": 14}).json()["overdue"] == 1
    assert seeded.get("/pipeline/overdue").json()["count"] == 1  # LD_FOLLOW_UP_DAYS = 14


def test_pipeline_respects_county_scope(seeded: TestClient) -> None:
    review(seeded, 1, 0, "shortlisted")
    county = seeded.get("/enterprises/1").json()["county"]
    other = next(e for e in seeded.get("/enterprises").json()["data"] if e["county"] != county)
    review(seeded, other["id"], 0, "shortlisted")
    scoped = {"Authorization": f"Bearer {issue_token(seeded, 'viewer', [county])}"}
    data = seeded.get("/pipeline", headers=scoped).json()["data"]
    assert {i["county"] for i in data} == {county}
    assert seeded.get("/pipeline", headers={"Authorization": ""}).status_code == 401
