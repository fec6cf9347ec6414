"""Re-score jobs are held to the caller: its counties, its own jobs, its share of the queue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.config import Settings
from api.errors import (
    JOB_ALREADY_ENDED,
    JOB_IDS_FORBIDDEN,
    JOB_IDS_UNKNOWN,
    JOB_QUEUE_FULL,
    JOB_TOO_MANY_IDS,
)
from api.main import create_app
from api.runtime import Runtime
from api.services.job_runner import claim_job, run_job
from api.services.job_scope import id_list
from api.worker import work_once
from models.tables import AuditLog, Job, MatchRun
from tests.conftest import ADMIN_TOKEN
from tests.factories import issue_token

COUNTY = "广饶县"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def county_ids(client: TestClient, county: str) -> list[int]:
    listed = client.get("/enterprises", params={"county": county, "limit": 100}).json()["data"]
    return sorted(e["id"] for e in listed)


def job_row(engine: Engine, job_id: int) -> Job:
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def audit_rows(engine: Engine, action: str) -> list[AuditLog]:
    with Session(engine) as session:
        query = select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
        return list(session.exec(query).all())


@pytest.fixture
def officer(seeded: TestClient) -> dict[str, str]:
    return bearer(issue_token(seeded, "officer", [COUNTY]))


def test_an_officer_names_only_enterprises_of_its_counties(
    seeded: TestClient, officer: dict[str, str], engine: Engine
) -> None:
    own, other = county_ids(seeded, COUNTY), county_ids(seeded, "东营区")
    assert own and other
    mixed = {"enterprise_ids": [own[0], other[0]]}
    refused = seeded.post("/jobs/rescore", json=mixed, headers=officer)
    assert refused.status_code == 403
    assert refused.json()["detail"] == JOB_IDS_FORBIDDEN.format(ids=str(other[0]))
    # An id that names nothing reads exactly like another county's: existence does not leak.
    missing = seeded.post("/jobs/rescore", json={"enterprise_ids": [999_999]}, headers=officer)
    assert missing.status_code == 403
    assert missing.json()["detail"] == JOB_IDS_FORBIDDEN.format(ids="999999")
    with Session(engine) as session:
        assert session.exec(select(Job)).all() == []  # nothing was queued by a refusal

    accepted = seeded.post("/jobs/rescore", json={"enterprise_ids": own}, headers=officer)
    assert accepted.status_code == 202
    job = job_row(engine, accepted.json()["job_id"])
    assert (job.enterprise_ids, job.counties) == (own, [COUNTY])


def test_all_means_all_of_the_callers_counties(
    seeded: TestClient, officer: dict[str, str], engine: Engine
) -> None:
    everything = seeded.post("/jobs/rescore").json()["job_id"]
    own = seeded.post("/jobs/rescore", headers=officer).json()["job_id"]
    assert job_row(engine, own).enterprise_ids == county_ids(seeded, COUNTY)
    shown = seeded.get(f"/jobs/{own}", headers=officer).json()
    assert (shown["total"], shown["counties"]) == (len(county_ids(seeded, COUNTY)), [COUNTY])
    assert job_row(engine, everything).total == seeded.get("/enterprises").json()["count"]


def test_partner_ids_reach_only_the_callers_counties(
    seeded: TestClient, officer: dict[str, str], engine: Engine
) -> None:
    own, other = county_ids(seeded, COUNTY)[0], county_ids(seeded, "东营区")[0]
    ranked = {
        e: {i["partner_id"] for i in seeded.get(f"/enterprises/{e}/matches").json()["items"]}
        for e in (own, other)
    }
    shared = sorted(ranked[own] & ranked[other])
    assert shared, "the two enterprises should share a ranked partner"
    body = {"enterprise_ids": [], "partner_ids": shared[:1]}
    by_officer = seeded.post("/jobs/rescore", json=body, headers=officer).json()["job_id"]
    by_admin = seeded.post("/jobs/rescore", json=body).json()["job_id"]
    assert job_row(engine, by_officer).enterprise_ids == [own]
    assert {own, other} <= set(job_row(engine, by_admin).enterprise_ids)


def test_unknown_ids_are_422_naming_them_for_a_whole_city_caller(seeded: TestClient) -> None:
    unknown = list(range(900_001, 900_031))
    response = seeded.post("/jobs/rescore", json={"enterprise_ids": [1, *unknown]})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "enterprise_ids"]
    assert error["msg"] == JOB_IDS_UNKNOWN.format(entity="企业", ids=id_list(unknown))
    assert "900020 等（共 30 个）" in error["msg"] and "900021" not in error["msg"]
    partners = seeded.post("/jobs/rescore", json={"partner_ids": [1, 777_777]})
    assert partners.status_code == 422
    assert partners.json()["detail"][0]["loc"] == ["body", "partner_ids"]
    assert "777777" in partners.json()["detail"][0]["msg"]


@pytest.fixture
def strict_client(settings: Settings, engine: Engine, runtime: Runtime) -> Iterator[TestClient]:
    """The seeded service with small limits: 5 ids per request, 2 waiting jobs per caller."""
    from api.services.seed import seed_fixtures
    from models.db import session_scope

    strict = settings.model_copy(update={"rescore_max_ids": 5, "job_queue_per_owner": 2})
    with TestClient(create_app(strict, engine, runtime)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        with session_scope(engine) as session:
            seed_fixtures(
                session=session, fixtures_dir=settings.fixtures_dir, industries=runtime.industries
            )
        yield client


def test_ids_per_request_are_capped(strict_client: TestClient) -> None:
    too_many = strict_client.post("/jobs/rescore", json={"enterprise_ids": [1, 2, 3, 4, 5, 6]})
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0] == {
        "loc": ["body", "enterprise_ids"],
        "msg": JOB_TOO_MANY_IDS.format(limit=5, count=6),
        "type": "value_error",
    }
    assert strict_client.post("/jobs/rescore", json={"enterprise_ids": [1, 2, 3, 4, 5]}).is_success


def test_waiting_jobs_per_caller_are_capped(strict_client: TestClient, engine: Engine) -> None:
    officer = bearer(issue_token(strict_client, "officer", [COUNTY]))
    first = strict_client.post("/jobs/rescore", headers=officer).json()["job_id"]
    assert strict_client.post("/jobs/rescore", headers=officer).status_code == 202
    full = strict_client.post("/jobs/rescore", headers=officer)
    assert full.status_code == 429
    assert full.json()["detail"] == JOB_QUEUE_FULL.format(count=2, limit=2)
    assert strict_client.post("/jobs/rescore").status_code == 202  # another caller is not held up
    assert strict_client.post(f"/jobs/{first}/cancel", headers=officer).status_code == 200
    assert strict_client.post("/jobs/rescore", headers=officer).status_code == 202


def sign_in(client: TestClient, token: str) -> None:
    client.headers["Origin"] = "http://testserver"  # as a browser posts the page's forms
    response = client.post("/ui/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_only_the_owner_and_an_admin_see_and_cancel_a_job(
    seeded: TestClient, officer: dict[str, str], engine: Engine, runtime: Runtime
) -> None:
    colleague_token = issue_token(seeded, "officer", [COUNTY])  # same county, another token
    colleague = bearer(colleague_token)
    mine = seeded.post("/jobs/rescore", headers=officer).json()["job_id"]
    theirs = seeded.post("/jobs/rescore", headers=colleague).json()["job_id"]
    admins = seeded.post("/jobs/rescore", json={"enterprise_ids": [1]}).json()["job_id"]

    listed = seeded.get("/jobs", headers=officer).json()
    assert (listed["count"], [j["job_id"] for j in listed["data"]]) == (1, [mine])
    assert [j["job_id"] for j in seeded.get("/jobs").json()["data"]] == [admins, theirs, mine]
    assert seeded.get("/jobs", params={"status": "done"}).json()["count"] == 0
    for path in (f"/jobs/{theirs}", f"/jobs/{admins}", "/jobs/999999"):
        answer = seeded.get(path, headers=officer)
        assert answer.status_code == 404, path
    assert seeded.get(f"/jobs/{theirs}", headers=colleague).json()["status"] == "queued"
    assert seeded.post(f"/jobs/{theirs}/cancel", headers=officer).status_code == 404

    # The page's progress endpoint answers the same way, with the cookie's token.
    page = TestClient(seeded.app)
    sign_in(page, colleague_token)
    assert page.get(f"/ui/jobs/{theirs}").json()["job_id"] == theirs
    assert page.get(f"/ui/jobs/{mine}").status_code == 404

    cancelled = seeded.post(f"/jobs/{mine}/cancel", headers=officer)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["finished_at"]
    again = seeded.post(f"/jobs/{mine}/cancel", headers=officer)
    assert again.status_code == 409
    assert again.json()["detail"] == JOB_ALREADY_ENDED.format(id=mine, status="已取消")
    assert seeded.post(f"/jobs/{theirs}/cancel").json()["status"] == "cancelled"  # an admin may
    assert work_once(engine, runtime, "w", job_id=mine) is None  # a cancelled job never starts
    assert job_row(engine, mine).started_at is None


def test_a_running_job_stops_after_its_current_step_when_cancelled(
    seeded: TestClient, officer: dict[str, str], engine: Engine, runtime: Runtime
) -> None:
    job_id = seeded.post("/jobs/rescore", headers=officer).json()["job_id"]
    assert job_row(engine, job_id).total >= 3
    claimed = claim_job(engine, "w")
    assert claimed == job_id
    seen: list[int] = []

    def cancel_after_the_first(done: int, total: int) -> None:
        seen.append(done)
        if done == 1:
            assert seeded.post(f"/jobs/{job_id}/cancel", headers=officer).status_code == 200

    outcome = run_job(engine, job_id, runtime, "w", progress=cancel_after_the_first, block=32)
    assert (outcome, seen) == ("cancelled", [1])
    job = job_row(engine, job_id)
    assert (job.status, job.done) == ("cancelled", 1)
    with Session(engine) as session:  # the step in progress was rolled back whole
        runs = session.exec(select(MatchRun).where(MatchRun.job_id == job_id)).all()
    assert len(runs) == 1


def test_requests_and_cancels_are_audited(
    seeded: TestClient, officer: dict[str, str], engine: Engine
) -> None:
    api_job = seeded.post("/jobs/rescore", headers=officer).json()["job_id"]
    page = TestClient(seeded.app)
    sign_in(page, ADMIN_TOKEN)
    form = {"enterprise_id": "2", "back": "/ui/enterprises/2"}
    posted = page.post("/ui/rescore", data=form, follow_redirects=False)
    assert posted.status_code == 303
    page_job = int(posted.headers["location"].rsplit("job=", 1)[1])
    shown = page.get(f"/ui?job={page_job}").text  # the progress box offers to cancel it
    assert f'action="/ui/jobs/{page_job}/cancel"' in shown and 'name="back" value="/ui"' in shown
    seeded.post(f"/jobs/{api_job}/cancel", headers=officer)
    cancel_page = page.post(
        f"/ui/jobs/{page_job}/cancel", data={"back": "/ui"}, follow_redirects=False
    )
    assert cancel_page.status_code == 303 and cancel_page.headers["location"] == "/ui"

    owner = job_row(engine, api_job).created_by
    assert owner.startswith("token#")
    requested: list[tuple[Any, ...]] = [
        (r.actor, r.entity, r.entity_id, r.changes["enterprises"], r.changes["counties"])
        for r in audit_rows(engine, "rescore")
    ]
    assert requested == [
        (owner, "job", str(api_job), len(county_ids(seeded, COUNTY)), [COUNTY]),
        ("admin:bootstrap", "job", str(page_job), 1, []),
    ]
    assert [r.changes["reason"] for r in audit_rows(engine, "rescore")] == [
        "requested",
        "requested (page)",
    ]
    cancels = [(r.actor, r.entity_id, r.changes["status"]) for r in audit_rows(engine, "cancel")]
    assert cancels == [
        (owner, str(api_job), ["queued", "cancelled"]),
        ("admin:bootstrap", str(page_job), ["queued", "cancelled"]),
    ]
