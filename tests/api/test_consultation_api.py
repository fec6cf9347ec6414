"""Departments and the consultation (会诊) through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.errors import DEPARTMENT_ONLY_CASES, MISSING_TOKEN, NOT_INVITED
from api.services.consultation import NOT_INVITED_DEPARTMENT, OWN_DEPARTMENT_ONLY
from api.services.departments import DEFAULT_DEPARTMENTS, ensure_default_departments
from models.consultation import Department
from models.db import make_engine, run_migrations
from tests.api.case_helpers import auth, department_token, invite, with_departments
from tests.factories import create_enterprise, issue_token


@pytest.fixture
def api(client: TestClient, engine: Engine) -> TestClient:
    with_departments(engine)
    return client


def test_the_migration_seeds_the_default_departments_once() -> None:
    engine = make_engine("sqlite://")
    run_migrations(engine)
    with Session(engine) as session:
        names = session.exec(select(Department.name).order_by(Department.sort_order)).all()
        assert tuple(names) == DEFAULT_DEPARTMENTS
        assert ensure_default_departments(session=session) == 0  # nothing missing, nothing added
    engine.dispose()


def test_admin_edits_departments_and_each_edit_is_audited(api: TestClient) -> None:
    created = api.post("/departments", json={"name": "生态环境局", "sort_order": 200})
    assert created.status_code == 201, created.text
    department_id = created.json()["id"]
    assert api.post("/departments", json={"name": "生态环境局"}).status_code == 409
    renamed = api.patch(f"/departments/{department_id}", json={"name": "市生态环境局"})
    assert renamed.json()["name"] == "市生态环境局"
    api.patch(f"/departments/{department_id}", json={"active": False})
    assert "市生态环境局" not in [d["name"] for d in api.get("/departments").json()]
    everyone = api.get("/departments", params={"include_inactive": True}).json()
    assert "市生态环境局" in [d["name"] for d in everyone]
    audit = api.get("/audit", params={"entity": "department", "entity_id": department_id}).json()
    assert [e["action"] for e in audit["data"]] == ["update", "update", "create"]
    assert audit["data"][1]["changes"] == {"name": ["生态环境局", "市生态环境局"]}

    officer = auth(issue_token(api, "officer"))
    assert api.post("/departments", json={"name": "x"}, headers=officer).status_code == 403
    assert api.patch("/departments/1", json={"active": False}, headers=officer).status_code == 403
    assert api.patch("/departments/9999", json={"active": False}).status_code == 404


def test_opinions_are_kept_newest_first_and_a_new_one_supersedes(api: TestClient) -> None:
    enterprise = create_enterprise(api)["id"]
    first = api.post(f"/enterprises/{enterprise}/case/invitations", json={"department": "税务局"})
    assert first.status_code == 201
    again = api.post(f"/enterprises/{enterprise}/case/invitations", json={"department": "税务局"})
    assert again.status_code == 200 and len(again.json()["invitations"]) == 1
    invite(api, enterprise, "人民法院")
    path = f"/enterprises/{enterprise}/opinions"
    engine_primary = api.post(f"/enterprises/{enterprise}/diagnosis").json()["primary"]
    other = next(c for c in ("relief", "exit_liquidation") if c != engine_primary)

    old = api.post(
        path, json={"department": "税务局", "opinion": "可分期缴纳欠税", "category": other}
    )
    assert old.status_code == 201, old.text
    court = api.post(path, json={"department": "人民法院", "opinion": "暂不宜进入破产程序"})
    new = api.post(
        path,
        json={
            "department": "税务局",
            "opinion": "同意债务重组，配合办理纳税信用修复",
            "category": engine_primary,
            "proposed_measures": "办理延期缴纳；信用修复",
        },
    )
    listed = api.get(path).json()
    assert listed["engine_primary"] == engine_primary and listed["count"] == 3
    assert [o["id"] for o in listed["data"]] == [
        new.json()["id"],
        court.json()["id"],
        old.json()["id"],
    ]
    by_id = {o["id"]: o for o in listed["data"]}
    assert by_id[old.json()["id"]]["superseded_by"] == new.json()["id"]
    assert by_id[old.json()["id"]]["opinion"] == "可分期缴纳欠税"  # kept word for word
    assert by_id[new.json()["id"]]["superseded_by"] is None
    assert by_id[old.json()["id"]]["differs_from_engine"] is True
    assert by_id[new.json()["id"]]["differs_from_engine"] is False
    assert by_id[court.json()["id"]]["category"] is None
    assert all(o["author"] and o["created_at"] for o in listed["data"])
    audit = api.get("/audit", params={"entity": "opinion"}).json()
    assert audit["count"] == 3


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"department": "税务局", "opinion": "   "}, ["body", "opinion"]),
        ({"department": "税务局", "opinion": "意见", "category": "rescue"}, ["body", "category"]),
        ({"department": "不存在的局", "opinion": "意见"}, ["body", "department"]),
        ({"department": "人民法院", "opinion": "意见"}, ["body", "department"]),  # not invited
        ({"opinion": "意见"}, ["body", "department"]),  # an admin must say which department
        ({"department": "税务局", "opinion": "意见", "extra": 1}, ["body", "extra"]),
    ],
)
def test_bad_opinions_are_422_naming_the_field(
    api: TestClient, body: dict[str, object], loc: list[str]
) -> None:
    enterprise = create_enterprise(api)["id"]
    invite(api, enterprise, "税务局")
    response = api.post(f"/enterprises/{enterprise}/opinions", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    if body.get("department") == "人民法院":
        message = NOT_INVITED_DEPARTMENT.format(name="人民法院")
        assert response.json()["detail"][0]["msg"] == message
    assert api.get(f"/enterprises/{enterprise}/opinions").json()["count"] == 0


def test_opinion_answers_401_403_404(api: TestClient) -> None:
    enterprise = create_enterprise(api, county="广饶县")["id"]
    invite(api, enterprise, "税务局")
    body = {"department": "税务局", "opinion": "意见"}
    path = f"/enterprises/{enterprise}/opinions"
    missing = api.post(path, json=body, headers={"Authorization": ""})
    assert missing.status_code == 401 and missing.json()["detail"] == MISSING_TOKEN
    assert api.get(path, headers={"Authorization": ""}).status_code == 401
    viewer = auth(issue_token(api, "viewer"))
    assert api.post(path, json=body, headers=viewer).status_code == 403
    assert api.get(path, headers=viewer).status_code == 200
    elsewhere = auth(issue_token(api, "officer", ["利津县"]))
    assert api.post(path, json=body, headers=elsewhere).status_code == 403
    assert api.get(path, headers=elsewhere).status_code == 403
    assert api.post("/enterprises/99999/opinions", json=body).status_code == 404
    assert api.get("/enterprises/99999/opinions").status_code == 404
    assert (
        api.post(
            f"/enterprises/{enterprise}/case/invitations",
            json={"department": "税务局"},
            headers=viewer,
        ).status_code
        == 403
    )
    assert api.get("/enterprises/99999/case").status_code == 404


def test_a_department_token_sees_only_the_cases_it_was_invited_to(api: TestClient) -> None:
    invited = create_enterprise(api, name="受邀企业")["id"]
    other = create_enterprise(api, name="未受邀企业")["id"]
    invite(api, invited, "税务局")
    invite(api, other, "人民法院")
    tax = auth(department_token(api, "税务局"))

    listed = api.get("/enterprises", headers=tax).json()
    assert [e["id"] for e in listed["data"]] == [invited] and listed["count"] == 1
    assert api.get(f"/enterprises/{invited}", headers=tax).status_code == 200
    refused = api.get(f"/enterprises/{other}", headers=tax)
    assert refused.status_code == 403 and refused.json()["detail"] == NOT_INVITED.format(id=other)
    assert api.get("/enterprises/99999", headers=tax).status_code == 404
    assert api.get(f"/enterprises/{invited}/case", headers=tax).status_code == 200
    assert api.get(f"/enterprises/{other}/case", headers=tax).status_code == 403

    own = api.post(
        f"/enterprises/{invited}/opinions", json={"opinion": "可办理延期缴纳"}, headers=tax
    )
    assert own.status_code == 201 and own.json()["department"] == "税务局"
    assert own.json()["author"].endswith("部门经办人")
    posing = api.post(
        f"/enterprises/{invited}/opinions",
        json={"department": "人民法院", "opinion": "冒名"},
        headers=tax,
    )
    assert posing.status_code == 403
    assert posing.json()["detail"] == OWN_DEPARTMENT_ONLY.format(name="税务局")
    assert (
        api.post(f"/enterprises/{other}/opinions", json={"opinion": "x"}, headers=tax).status_code
        == 403
    )
    assert api.get(f"/enterprises/{other}/opinions", headers=tax).status_code == 403

    for method, path in [
        ("get", "/partners"),
        ("get", "/pipeline"),
        ("get", f"/enterprises/{invited}/matches"),
        ("get", f"/enterprises/{invited}/diagnosis"),
        ("post", f"/enterprises/{invited}/diagnosis"),
        ("post", "/enterprises"),
        ("patch", f"/enterprises/{invited}"),
        ("post", f"/enterprises/{invited}/case/invitations"),
        ("get", "/audit"),
        ("get", f"/enterprises/{invited}/report.docx"),
    ]:
        response = api.request(method, path, headers=tax, json={"name": "x", "department": 1})
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["detail"] == DEPARTMENT_ONLY_CASES


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "部门令牌", "role": "department"}, ["body", "department"]),
        (
            {"name": "部门令牌", "role": "department", "department": "没有的局"},
            ["body", "department"],
        ),
        ({"name": "观察员", "role": "viewer", "department": "税务局"}, ["body", "department"]),
    ],
)
def test_department_tokens_need_a_known_department(
    api: TestClient, body: dict[str, object], loc: list[str]
) -> None:
    response = api.post("/tokens", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_an_officer_of_a_department_gives_its_opinion_by_default(api: TestClient) -> None:
    enterprise = create_enterprise(api)["id"]
    invite(api, enterprise, "工业和信息化局")
    issued = api.post(
        "/tokens", json={"name": "工信局联络员", "role": "officer", "department": "工业和信息化局"}
    )
    assert issued.json()["department_id"] is not None
    officer = auth(issued.json()["token"])
    response = api.post(
        f"/enterprises/{enterprise}/opinions", json={"opinion": "可申报技改专项"}, headers=officer
    )
    assert response.status_code == 201
    assert response.json()["department"] == "工业和信息化局"
