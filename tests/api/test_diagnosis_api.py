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


def test_the_procedure_the_court_opened_decides_and_is_cited(seeded: TestClient) -> None:
    """A court's 重整 ruling outweighs a 190% debt ratio's pull toward 清算, and says so."""
    created = seeded.post(
        "/enterprises",
        json={
            "name": "淄博某重整企业",
            "county": "张店区",
            "operating_status": "in_bankruptcy",
            "problems": "债务缠身，资产负债率约190%，法院裁定受理重整申请。",
        },
    ).json()
    body = seeded.post(f"/enterprises/{created['id']}/diagnosis").json()
    assert body["primary"] == "judicial_reorganization"
    reasons = next(c for c in body["categories"] if c["code"] == "judicial_reorganization")
    assert any("法院已开启重整程序" in r and "受理重整申请" in r for r in reasons["reasons"])


def test_an_insolvent_firm_still_producing_is_sent_out_of_court_first(seeded: TestClient) -> None:
    created = seeded.post(
        "/enterprises",
        json={
            "name": "某化纤有限公司",
            "operating_status": "normal",
            "financials": {"total_assets": 50000, "total_liabilities": 61000},
            "problems": "行业下行，连续亏损，资不抵债；多家银行贷款集中到期。",
            "strengths": "订单稳定，生产线完好，拥有生产许可证",
        },
    ).json()
    body = seeded.post(f"/enterprises/{created['id']}/diagnosis").json()
    assert body["primary"] == "debt_restructuring"
    reasons = [r for c in body["categories"] for r in c["reasons"]]
    assert any("资不抵债但仍在生产，尚无破产申请" in r for r in reasons), reasons


def test_a_thin_profile_is_flagged_and_says_what_to_ask(seeded: TestClient) -> None:
    created = seeded.post("/enterprises", json={"name": "信息不全企业", "financials": None}).json()
    body = seeded.post(f"/enterprises/{created['id']}/diagnosis").json()
    assert body["needs_review"] is True
    assert any("总资产与总负债" in m for m in body["missing"]), body["missing"]
    solvency = next(f for f in body["findings"] if f["question"] == "solvency")
    assert (solvency["answer"], solvency["source"]) == ("unknown", "unknown")


def test_findings_answer_each_question_with_evidence(seeded: TestClient) -> None:
    created = seeded.post(
        "/enterprises",
        json=enterprise_payload(
            name="某纺织有限公司",
            operating_status="normal",
            capacity_utilization=0.8,
            financials={"total_assets": 20000, "total_liabilities": 11000, "overdue_debt": 0},
            problems="一笔2000万元贷款下月到期，银行说要压降授信；无逾期，未停产。",
            strengths="订单排到明年三月。",
            demands="续贷",
            assets=[],
        ),
    ).json()
    body = seeded.post(f"/enterprises/{created['id']}/diagnosis").json()
    findings = {f["question"]: f for f in body["findings"]}
    assert set(findings) >= {"solvency", "court", "core_business", "difficulty", "idle_assets"}
    assert findings["solvency"]["source"] == "figures"
    assert findings["solvency"]["evidence"] == ["资产负债率 55%"]
    assert findings["difficulty"]["answer"] == "liquidity"
    assert any("到期" in e for e in findings["difficulty"]["evidence"])
    assert findings["overdue"]["answer"] == "none"  # 逾期债务 0, and 无逾期 is negated
    assert body["primary"] == "relief"
    assert isinstance(body["missing"], list)
    stored = seeded.get(f"/enterprises/{created['id']}/diagnosis").json()
    assert stored["findings"] == body["findings"] and stored["missing"] == body["missing"]


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
