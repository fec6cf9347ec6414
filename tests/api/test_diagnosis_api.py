"""Diagnosis through the HTTP API: stored, versioned, explained, overridable."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.services.diagnoses import OVERRIDE_REASON_REQUIRED
from matcher.vocab import CATEGORIES
from tests.factories import enterprise_payload, issue_token


def test_diagnosis_follows_the_contract(seeded: TestClient) -> None:
    response = seeded.post("/enterprises/1/diagnosis")
    assert response.status_code == 200
    body = response.json()
    assert body["primary"] in CATEGORIES
    assert body["categories"][0]["code"] == body["primary"]
    assert sum(c["code"] == body["primary"] for c in body["categories"]) == 1
    assert all(0 <= c["probability"] <= 1 for c in body["categories"])
    probabilities = [c["probability"] for c in body["categories"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(c["reasons"] for c in body["categories"][:1])
    assert isinstance(body["needs_review"], bool)
    assert body["model_version"].startswith("diag-")
    assert seeded.get("/enterprises/1/diagnosis").json()["id"] == body["id"]


def test_reasons_quote_the_numbers(seeded: TestClient) -> None:
    created = seeded.post(
        "/enterprises",
        json=enterprise_payload(
            name="东营市某化工有限公司",
            operating_status="in_bankruptcy",
            financials={"total_assets": 10000, "total_liabilities": 15600},
            problems="法院已裁定受理重整申请，已指定管理人。",
            demands="公开招募重整投资人，保留危化品经营许可。",
        ),
    ).json()
    body = seeded.post(f"/enterprises/{created['id']}/diagnosis").json()
    reasons = [r for c in body["categories"] for r in c["reasons"]]
    assert any("156%" in r for r in reasons), reasons
    assert body["primary"] in ("judicial_reorganization", "debt_restructuring")


def test_missing_fields_ask_for_review(seeded: TestClient) -> None:
    created = seeded.post("/enterprises", json={"name": "信息不全企业"}).json()
    body = seeded.post(f"/enterprises/{created['id']}/diagnosis").json()
    assert body["needs_review"] is True
    assert any("资产负债率" in r for r in body["review_reasons"])


def test_override_is_kept_and_audited(seeded: TestClient) -> None:
    engine_answer = seeded.post("/enterprises/2/diagnosis").json()
    other = next(c for c in CATEGORIES if c != engine_answer["primary"])
    blank = seeded.post("/enterprises/2/diagnosis/override", json={"primary": other, "reason": " "})
    assert blank.status_code == 422
    assert blank.json()["detail"][0]["msg"] == OVERRIDE_REASON_REQUIRED
    response = seeded.post(
        "/enterprises/2/diagnosis/override", json={"primary": other, "reason": "实地走访后改判"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["primary"] == engine_answer["primary"]
    assert body["effective_primary"] == other
    assert body["override"]["reason"] == "实地走访后改判"
    assert seeded.get("/enterprises/2/diagnosis").json()["effective_primary"] == other
    audit = seeded.get("/audit", params={"entity": "diagnosis"}).json()["data"]
    assert audit[0]["changes"]["primary"] == [engine_answer["primary"], other]


def test_override_needs_a_diagnosis_and_a_known_category(seeded: TestClient) -> None:
    no_diagnosis = seeded.post(
        "/enterprises/3/diagnosis/override", json={"primary": "relief", "reason": "x"}
    )
    assert no_diagnosis.status_code == 404
    seeded.post("/enterprises/3/diagnosis")
    unknown = seeded.post(
        "/enterprises/3/diagnosis/override", json={"primary": "bailout", "reason": "x"}
    )
    assert unknown.status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/enterprises/999/diagnosis", 404),
        ("get", "/enterprises/999/diagnosis", 404),
        ("get", "/enterprises/4/diagnosis", 404),
        ("post", "/enterprises/0/diagnosis", 422),
    ],
)
def test_diagnosis_errors(seeded: TestClient, method: str, path: str, status: int) -> None:
    assert seeded.request(method, path).status_code == status


def test_diagnosis_access(seeded: TestClient) -> None:
    county = seeded.get("/enterprises/1").json()["county"]
    elsewhere = next(e for e in seeded.get("/enterprises").json()["data"] if e["county"] != county)
    officer = {"Authorization": f"Bearer {issue_token(seeded, 'officer', [county])}"}
    viewer = {"Authorization": f"Bearer {issue_token(seeded, 'viewer')}"}
    assert seeded.post("/enterprises/1/diagnosis", headers={"Authorization": ""}).status_code == 401
    assert seeded.post("/enterprises/1/diagnosis", headers=officer).status_code == 200
    path = f"/enterprises/{elsewhere['id']}/diagnosis"
    assert seeded.post(path, headers=officer).status_code == 403
    assert seeded.post("/enterprises/1/diagnosis", headers=viewer).status_code == 403
    assert seeded.get("/enterprises/1/diagnosis", headers=viewer).status_code == 200
    override = {"primary": "relief", "reason": "测试"}
    forbidden = seeded.post("/enterprises/1/diagnosis/override", json=override, headers=viewer)
    assert forbidden.status_code == 403
