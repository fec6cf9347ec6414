"""Builders for the consultation and plan tests: departments, invitations, tokens, measures."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.services.departments import ensure_default_departments
from models.db import session_scope


def with_departments(engine: Engine) -> None:
    """The default departments (PostgreSQL test runs empty every table before each test)."""
    with session_scope(engine) as session:
        ensure_default_departments(session=session)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def department_token(client: TestClient, department: str | int, name: str = "部门经办人") -> str:
    body = {"name": name, "role": "department", "department": department}
    response = client.post("/tokens", json=body)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def invite(client: TestClient, enterprise_id: int, department: str | int) -> dict[str, Any]:
    response = client.post(
        f"/enterprises/{enterprise_id}/case/invitations", json={"department": department}
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def add_measure(client: TestClient, enterprise_id: int, **overrides: Any) -> dict[str, Any]:
    payload = {"title": "协调债权银行续贷展期", "department": "债权银行", "due_date": "2030-06-30"}
    payload.update(overrides)
    response = client.post(f"/enterprises/{enterprise_id}/plan/measures", json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
