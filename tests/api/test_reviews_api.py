"""The review lifecycle: transitions, notes, history, and survival across re-scores."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.runtime import Runtime
from api.services.reviews import REJECT_NEEDS_NOTE, allowed_next
from api.worker import work_once
from tests.factories import issue_token


def first_match(client: TestClient, enterprise_id: int = 1) -> dict:  # type: ignore[type-arg]
    items = client.get(f"/enterprises/{enterprise_id}/matches").json()["items"]
    assert items
    return items[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, ("shortlisted", "contacted", "rejected")),
        ("shortlisted", ("contacted", "negotiating", "signed", "landed", "rejected")),
        ("contacted", ("negotiating", "signed", "landed", "rejected")),
        ("negotiating", ("signed", "landed", "rejected")),
        ("signed", ("landed", "rejected")),
        ("landed", ()),
        ("rejected", ("shortlisted",)),
    ],
)
def test_allowed_transitions(status: str | None, expected: tuple[str, ...]) -> None:
    assert allowed_next(status) == expected


def test_full_lifecycle_with_history(seeded: TestClient) -> None:
    match = first_match(seeded)
    path = f"/matches/{match['match_id']}/review"
    for status in ("shortlisted", "contacted", "negotiating", "signed", "landed"):
        response = seeded.post(path, json={"status": status, "note": f"{status} 备注"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    history = seeded.get(f"/matches/{match['match_id']}").json()["history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "shortlisted"),
        ("shortlisted", "contacted"),
        ("contacted", "negotiating"),
        ("negotiating", "signed"),
        ("signed", "landed"),
    ]
    assert all(h["actor"] and h["at"] for h in history)
    final = seeded.post(path, json={"status": "rejected", "note": "晚了"})
    assert final.status_code == 409
    assert "已是最终状态" in final.json()["detail"]
    back = seeded.post(path, json={"status": "signed", "note": "改回"})
    assert back.status_code == 409
    assert back.json()["detail"].startswith("不能从“落地”改为“签约”")
    assert len(seeded.get(f"/matches/{match['match_id']}").json()["history"]) == 5


@pytest.mark.parametrize(
    ("steps", "bad", "status"),
    [
        ([], "negotiating", 409),
        ([], "landed", 409),
        (["shortlisted", "contacted"], "shortlisted", 409),
        (["contacted"], "contacted", 409),
        (["rejected"], "contacted", 409),
        ([], "finished", 422),
    ],
)
def test_impossible_transitions(
    seeded: TestClient, steps: list[str], bad: str, status: int
) -> None:
    match = first_match(seeded)
    path = f"/matches/{match['match_id']}/review"
    for step in steps:
        assert seeded.post(path, json={"status": step, "note": "理由"}).status_code == 200
    assert seeded.post(path, json={"status": bad, "note": "理由"}).status_code == status


def test_rejection_needs_a_note(seeded: TestClient) -> None:
    match = first_match(seeded)
    response = seeded.post(f"/matches/{match['match_id']}/review", json={"status": "rejected"})
    assert response.status_code == 422
    assert response.json()["detail"][0] == {
        "loc": ["body", "note"],
        "msg": REJECT_NEEDS_NOTE,
        "type": "value_error",
    }


def test_rejected_partner_stays_out_after_rescore_until_reopened(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    match = first_match(seeded)
    rejected = seeded.post(
        f"/matches/{match['match_id']}/review", json={"status": "rejected", "note": "规模不符"}
    )
    assert rejected.status_code == 200
    ids = [i["partner_id"] for i in seeded.get("/enterprises/1/matches").json()["items"]]
    assert match["partner_id"] not in ids
    job = seeded.post("/jobs/rescore", json={"enterprise_ids": [1]}).json()["job_id"]
    assert work_once(engine, runtime, "test-worker", job_id=job) == job
    listed = seeded.get("/enterprises/1/matches", params={"limit": 100}).json()["items"]
    assert match["partner_id"] not in [i["partner_id"] for i in listed]
    shown = seeded.get(
        "/enterprises/1/matches", params={"limit": 100, "include_rejected": True}
    ).json()["items"]
    assert match["partner_id"] not in [i["partner_id"] for i in shown]  # not even ranked

    reopen = seeded.post(
        f"/matches/{match['match_id']}/review", json={"status": "shortlisted", "note": "重新考虑"}
    )
    assert reopen.status_code == 200
    job = seeded.post("/jobs/rescore", json={"enterprise_ids": [1]}).json()["job_id"]
    work_once(engine, runtime, "test-worker", job_id=job)
    back = seeded.get("/enterprises/1/matches", params={"limit": 100}).json()["items"]
    again = next(i for i in back if i["partner_id"] == match["partner_id"])
    assert again["status"] == "shortlisted"


def test_status_survives_rescore(seeded: TestClient, engine: Engine, runtime: Runtime) -> None:
    match = first_match(seeded, 2)
    seeded.post(f"/matches/{match['match_id']}/review", json={"status": "contacted", "note": ""})
    job = seeded.post("/jobs/rescore").json()["job_id"]
    work_once(engine, runtime, "test-worker", job_id=job)
    items = seeded.get("/enterprises/2/matches", params={"limit": 100}).json()["items"]
    same = next(i for i in items if i["partner_id"] == match["partner_id"])
    assert same["match_id"] != match["match_id"]  # a new run …
    assert same["status"] == "contacted"  # … the same decision
    history = seeded.get(f"/matches/{same['match_id']}").json()["history"]
    assert [h["to_status"] for h in history] == ["contacted"]


def test_review_access(seeded: TestClient) -> None:
    match = first_match(seeded)
    viewer = {"Authorization": f"Bearer {issue_token(seeded, 'viewer')}"}
    body = {"status": "shortlisted", "note": ""}
    path = f"/matches/{match['match_id']}/review"
    assert seeded.post(path, json=body, headers=viewer).status_code == 403
    assert seeded.post("/matches/999999/review", json=body).status_code == 404
    officer = {"Authorization": f"Bearer {issue_token(seeded, 'officer')}"}
    assert seeded.post(path, json=body, headers=officer).status_code == 200
