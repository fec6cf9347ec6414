"""Builders of valid profiles and credit codes, so each test states only what it varies."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

from matcher.credit_code import credit_code_check_char, organisation_code_check_char

_serial = itertools.count(1)


def make_credit_code(division: str = "370523") -> str:
    """A fresh, valid 统一社会信用代码 (a 企业, with a synthetic organisation code)."""
    organisation = f"{next(_serial):08d}"
    body = f"91{division}{organisation}{organisation_code_check_char(organisation)}"
    return body + credit_code_check_char(body)


def enterprise_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "东营市瑞垦橡胶有限公司",
        "credit_code": make_credit_code(),
        "province": "山东省",
        "city": "东营市",
        "county": "广饶县",
        "industry_code": "C2911",
        "description": "主要生产全钢子午线轮胎，产品出口东南亚。",
        "problems": "银行抽贷3000万元，流动资金紧张，应收账款回款慢。",
        "demands": "希望协调续贷并引入纾困资金。",
        "strengths": "拥有轮胎生产许可和三项发明专利，客户稳定。",
        "operating_status": "partial",
        "capacity_utilization": 0.55,
        "employees": 420,
        "financials": {
            "total_assets": 52000,
            "total_liabilities": 46800,
            "overdue_debt": 6500,
            "guarantee_exposure": 12000,
            "annual_revenue": 38000,
            "prior_revenue": 45000,
            "net_profit": -2300,
            "wage_arrears": 0,
        },
        "assets": [
            {
                "type": "plant",
                "description": "闲置厂房两栋",
                "area_m2": 18000,
                "book_value": 2600,
                "appraised_value": 3100,
                "encumbrance": "mortgaged",
                "idle": True,
                "location": "广饶县大王镇",
            }
        ],
    }
    payload.update(overrides)
    return payload


def partner_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "山东黄河资产管理有限公司",
        "credit_code": make_credit_code("370500"),
        "kind": "amc",
        "industries": [],
        "capabilities": "收购处置不良资产，开展债务重组和破产重整投资。",
        "interests": "东营及周边制造业企业的债务重组",
        "treatment_types": ["debt_restructuring", "judicial_reorganization"],
        "asset_interests": ["land", "plant"],
        "preferred_regions": ["山东省"],
        "ticket_min": 3000,
        "ticket_max": 200000,
        "excluded_industries": [],
        "track_record": "参与多家化工企业重整。",
        "active": True,
    }
    payload.update(overrides)
    return payload


def create_enterprise(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/enterprises", json=enterprise_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_partner(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/partners", json=partner_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def issue_token(client: TestClient, role: str, counties: list[str] | None = None) -> str:
    response = client.post(
        "/tokens", json={"name": f"{role}-测试", "role": role, "counties": counties or []}
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token
