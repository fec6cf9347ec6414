"""The 会诊 and plan forms of the page: refusals come back as a message naming the field."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.api.case_helpers import add_measure, with_departments
from tests.conftest import ADMIN_TOKEN
from tests.factories import create_enterprise


def _department_ids(client: TestClient) -> dict[str, str]:
    return {d["name"]: str(d["id"]) for d in client.get("/departments").json()}


# The forms post a department's id; these are looked up by name once the table is seeded.
TAX, COURT, BANK = "税务局", "人民法院", "债权银行"


@pytest.fixture
def page(client: TestClient, engine: Engine) -> TestClient:
    """The client signed in to the page with the admin token (cookie, no bearer header)."""
    with_departments(engine)
    client.cookies.set("ld_token", ADMIN_TOKEN, path="/ui")
    client.headers["Origin"] = "http://testserver"  # as a browser posts the page's forms
    return client


def _flash(response: object) -> str:
    cookie = response.cookies.get("ld_flash", "")  # type: ignore[attr-defined]
    return unquote(cookie.strip('"'))


def _post(page: TestClient, path: str, form: dict[str, str]) -> tuple[int, str, str]:
    ids = _department_ids(page)
    form = {k: ids.get(v, v) if k == "department" else v for k, v in form.items()}
    response = page.post(path, data=form, follow_redirects=False, headers={"Authorization": ""})
    return response.status_code, response.headers.get("location", ""), _flash(response)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title": "", "department": BANK, "due_date": "2026-07-01"}, "error|措施：必填"),
        ({"title": "措施", "department": BANK, "due_date": "下月"}, "error|完成时限：须为日期"),
        (
            {"title": "措施", "department": "9999", "due_date": "2026-07-01"},
            "error|部门：未知的部门",
        ),
        (
            {"title": "续贷展期", "department": BANK, "due_date": "2026-07-01"},
            "ok|已添加措施“续贷展期”",
        ),
    ],
)
def test_the_measure_form(page: TestClient, form: dict[str, str], message: str) -> None:
    enterprise = create_enterprise(page)["id"]
    status, location, flash = _post(page, f"/ui/enterprises/{enterprise}/plan/measures", form)
    assert status == 303 and location.endswith("#plan")
    assert flash.startswith(message)
    added = 1 if message.startswith("ok") else 0
    assert len(page.get(f"/enterprises/{enterprise}/plan").json()["measures"]) == added


def test_a_stale_board_says_so_instead_of_overwriting(page: TestClient) -> None:
    enterprise = create_enterprise(page)["id"]
    measure = add_measure(page, enterprise)
    path = f"/ui/measures/{measure['id']}/status"
    assert _post(page, path, {"status": "in_progress", "version": "1"})[2].startswith("ok|")
    _, location, flash = _post(page, path, {"status": "cancelled", "version": "1"})  # old page
    assert location.endswith(f"#measure-{measure['id']}")
    assert flash.startswith("error|") and "已被他人修改" in flash
    assert page.get(f"/measures/{measure['id']}").json()["status"] == "in_progress"


def test_the_opinion_form_needs_an_invited_department_and_words(page: TestClient) -> None:
    enterprise = create_enterprise(page)["id"]
    _post(page, f"/ui/enterprises/{enterprise}/case/invite", {"department": TAX})
    path = f"/ui/enterprises/{enterprise}/opinions"
    assert "意见：" in _post(page, path, {"department": TAX, "opinion": " "})[2]
    assert "未受邀" in _post(page, path, {"department": COURT, "opinion": "意见"})[2]
    _, _, flash = _post(page, path, {"department": TAX, "opinion": "可延期缴纳", "category": ""})
    assert flash == "ok|已记录“税务局”的意见"
    assert page.get(f"/enterprises/{enterprise}/opinions").json()["count"] == 1
