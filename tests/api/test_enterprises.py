"""Enterprise profiles through the HTTP API, on a real database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_enterprise, enterprise_payload, make_credit_code

HOSTILE_NAMES = [
    "'; DROP TABLE enterprise; --",
    "<script>alert('x')</script>有限公司",
    "东营市\u3000全角空格\u00a0企业（集团）",
    "Robert'); DELETE FROM partner WHERE ('1'='1",
    "𠀀𪚥 生僻字企业",
]


def test_create_and_read_round_trip(client: TestClient) -> None:
    payload = enterprise_payload()
    created = create_enterprise(client, **payload)
    read = client.get(f"/enterprises/{created['id']}").json()
    for key in (
        "name",
        "credit_code",
        "county",
        "description",
        "problems",
        "demands",
        "strengths",
        "operating_status",
        "capacity_utilization",
        "employees",
    ):
        assert read[key] == payload[key], key
    assert read["financials"] == {k: float(v) for k, v in payload["financials"].items()}
    assert read["industry_code"] == "C2911"
    assert read["industry_name"] == "轮胎制造"
    assert [a["description"] for a in read["assets"]] == ["闲置厂房两栋"]
    assert read["indicators"]["debt_ratio"] == pytest.approx(46800 / 52000)
    assert read["indicators"]["idle_asset_value"] == 3100


def test_defaults_province_and_city(client: TestClient) -> None:
    minimal = client.post("/enterprises", json={"name": "  最小企业 "}).json()
    assert (minimal["name"], minimal["province"], minimal["city"]) == (
        "最小企业",
        "山东省",
        "东营市",
    )
    assert minimal["assets"] == []
    assert minimal["financials"]["total_assets"] is None


@pytest.mark.parametrize(
    ("body", "place"),
    [
        ({"county": "张店区"}, ("山东省", "淄博市")),
        ({"county": "邹平市", "city": ""}, ("山东省", "滨州市")),
        ({"county": "东营经济技术开发区", "credit_code": "division:371600"}, ("山东省", "滨州市")),
        ({"county": "市中区"}, ("山东省", "东营市")),
        ({"province": "河北省", "county": "张店区"}, ("河北省", "")),
        ({"city": "淄博市", "county": "广饶县"}, ("山东省", "淄博市")),
    ],
)
def test_a_missing_city_is_read_from_the_county_or_credit_code(
    client: TestClient, body: dict[str, Any], place: tuple[str, str]
) -> None:
    """张店区 alone files the enterprise under 淄博市, not the default city; an ambiguous county
    (市中区 lies in several provinces) leaves the defaults; a given province or city stands."""
    if "credit_code" in body:
        body = {**body, "credit_code": make_credit_code(body["credit_code"].split(":")[1])}
    created = client.post("/enterprises", json={"name": "区县推断企业", **body})
    assert created.status_code == 201, created.text
    read = client.get(f"/enterprises/{created.json()['id']}").json()
    assert (read["province"], read["city"]) == place


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_text_is_stored_verbatim(client: TestClient, name: str) -> None:
    created = client.post("/enterprises", json={"name": name, "description": name * 3})
    assert created.status_code == 201, created.text
    read = client.get(f"/enterprises/{created.json()['id']}")
    assert read.json()["name"] == name.strip()
    assert read.json()["description"] == name * 3
    assert "\\u" not in read.content.decode("utf-8") or "\\u" in name


def test_digits_only_industry_code_gets_its_section(client: TestClient) -> None:
    created = create_enterprise(client, industry_code="2511")
    assert created["industry_code"] == "C2511"
    assert created["industry_name"] == "原油加工及石油制品制造"


INVALID: list[tuple[str, dict[str, Any], list[Any]]] = [
    ("empty name", {"name": "   "}, ["body", "name"]),
    ("name too long", {"name": "企" * 201}, ["body", "name"]),
    ("name wrong type", {"name": 123}, ["body", "name"]),
    (
        "negative money",
        {"financials": {"total_assets": -1}},
        ["body", "financials", "total_assets"],
    ),
    (
        "money as text",
        {"financials": {"overdue_debt": "很多"}},
        ["body", "financials", "overdue_debt"],
    ),
    ("unknown financial", {"financials": {"cash": 5}}, ["body", "financials", "cash"]),
    ("bad check char", {"credit_code": "91350100M000100Y44"}, ["body", "credit_code"]),
    ("short credit code", {"credit_code": "913501"}, ["body", "credit_code"]),
    ("unknown status", {"operating_status": "dead"}, ["body", "operating_status"]),
    ("utilisation above 1", {"capacity_utilization": 1.5}, ["body", "capacity_utilization"]),
    ("negative employees", {"employees": -3}, ["body", "employees"]),
    ("unknown industry", {"industry_code": "C9999"}, ["body", "industry_code"]),
    ("letter of wrong section", {"industry_code": "A2911"}, ["body", "industry_code"]),
    ("unknown asset type", {"assets": [{"type": "car"}]}, ["body", "assets", 0, "type"]),
    (
        "unknown encumbrance",
        {"assets": [{"type": "land", "encumbrance": "sold"}]},
        ["body", "assets", 0, "encumbrance"],
    ),
    (
        "negative area",
        {"assets": [{"type": "land", "area_m2": -5}]},
        ["body", "assets", 0, "area_m2"],
    ),
    ("text too long", {"problems": "难" * 20_001}, ["body", "problems"]),
    ("unknown field", {"nickname": "x"}, ["body", "nickname"]),
    ("NUL in text", {"description": "甲\x00乙"}, ["body", "description"]),
    ("NUL in name", {"name": "甲\x00"}, ["body", "name"]),
]


@pytest.mark.parametrize(("case", "change", "loc"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_is_422_naming_the_field(
    client: TestClient, case: str, change: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post("/enterprises", json=enterprise_payload(**change))
    assert response.status_code == 422, case
    assert loc in [item["loc"] for item in response.json()["detail"]]
    assert client.get("/enterprises").json()["count"] == 0


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(client: TestClient, token: str) -> None:
    body = f'{{"name": "甲", "financials": {{"total_assets": {token}}}}}'
    response = client.post(
        "/enterprises", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "financials", "total_assets"]


@pytest.mark.parametrize("body", ["{", "[]", '"text"', "null", '{"name": "甲",}'])
def test_malformed_json_is_422(client: TestClient, body: str) -> None:
    response = client.post(
        "/enterprises", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_duplicate_credit_code_is_409(client: TestClient) -> None:
    code = make_credit_code()
    create_enterprise(client, credit_code=code)
    response = client.post("/enterprises", json=enterprise_payload(credit_code=code, name="另一家"))
    assert response.status_code == 409
    assert code in response.json()["detail"]
    assert client.get("/enterprises").json()["count"] == 1


def test_many_enterprises_without_credit_code(client: TestClient) -> None:
    for i in range(3):
        create_enterprise(client, credit_code=None, name=f"无代码企业{i}")
    assert client.get("/enterprises").json()["count"] == 3


def test_missing_enterprise_is_404(client: TestClient) -> None:
    assert client.get("/enterprises/999").status_code == 404
    assert client.patch("/enterprises/999", json={"name": "x"}).status_code == 404
    # Ids are integers in the path itself, so a word names no resource.
    assert client.get("/enterprises/abc").status_code == 404


def test_list_filters_and_pagination(client: TestClient) -> None:
    create_enterprise(client, name="轮胎甲", county="广饶县", industry_code="C2911")
    create_enterprise(
        client,
        name="炼化乙",
        county="东营区",
        industry_code="C2511",
        operating_status="halted",
        description="原油加工装置停产",
    )
    create_enterprise(client, name="轮胎丙", county="广饶县", industry_code="C2913")

    def names(**params: Any) -> list[str]:
        return [e["name"] for e in client.get("/enterprises", params=params).json()["data"]]

    assert names(county="广饶县") == ["轮胎甲", "轮胎丙"]
    assert names(industry="C29") == ["轮胎甲", "轮胎丙"]
    assert names(industry="2511") == ["炼化乙"]
    assert names(operating_status="halted") == ["炼化乙"]
    assert names(q="原油") == ["炼化乙"]
    assert names(q="%") == []
    page = client.get("/enterprises", params={"limit": 2, "offset": 1}).json()
    assert page["count"] == 3
    assert [e["name"] for e in page["data"]] == ["炼化乙", "轮胎丙"]
    assert client.get("/enterprises", params={"industry": "Q99x"}).status_code == 422
    assert client.get("/enterprises", params={"limit": 0}).status_code == 422


def test_patch_changes_only_what_is_sent(client: TestClient) -> None:
    created = create_enterprise(client)
    response = client.patch(
        f"/enterprises/{created['id']}",
        json={"demands": "引入战略投资者", "financials": {"overdue_debt": 0}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["demands"] == "引入战略投资者"
    assert body["financials"]["overdue_debt"] == 0
    assert body["financials"]["total_assets"] == created["financials"]["total_assets"]
    assert body["name"] == created["name"]
    bad = client.patch(f"/enterprises/{created['id']}", json={"industry_code": "ZZ"})
    assert bad.status_code == 422


def test_archive_keeps_the_record(client: TestClient) -> None:
    created = create_enterprise(client)
    assert client.delete(f"/enterprises/{created['id']}").json()["archived"] is True
    assert client.get("/enterprises").json()["count"] == 0
    assert client.get("/enterprises", params={"archived": True}).json()["count"] == 1
    assert client.get(f"/enterprises/{created['id']}").json()["name"] == created["name"]
    restored = client.post(f"/enterprises/{created['id']}/restore").json()
    assert restored["archived"] is False


def test_assets_as_sub_resources(client: TestClient) -> None:
    created = create_enterprise(client, assets=[])
    base = f"/enterprises/{created['id']}/assets"
    added = client.post(
        base,
        json={"type": "land", "description": "闲置工业用地50亩", "area_m2": 33333.5, "idle": True},
    )
    assert added.status_code == 201
    asset_id = added.json()["id"]
    changed = client.patch(f"{base}/{asset_id}", json={"encumbrance": "seized"})
    assert changed.json()["encumbrance"] == "seized"
    assert client.patch(f"{base}/{asset_id}", json={"type": "car"}).status_code == 422
    assert [a["id"] for a in client.get(base).json()] == [asset_id]
    assert client.delete(f"{base}/{asset_id}").status_code == 200
    assert client.get(base).json() == []
    assert client.get(f"{base}/{asset_id}").status_code == 404
    assert client.get(f"/enterprises/{created['id']}").json()["assets"] == []


def test_response_is_utf8_not_escaped(client: TestClient) -> None:
    created = create_enterprise(client)
    raw = client.get(f"/enterprises/{created['id']}").content.decode("utf-8")
    assert "东营市瑞垦橡胶有限公司" in raw
    assert json.loads(raw)["name"] == "东营市瑞垦橡胶有限公司"


def test_external_reference_round_trips(client: TestClient) -> None:
    created = create_enterprise(client, ext_id="DE001")
    assert created["ext_id"] == "DE001"
    found = client.get("/enterprises", params={"ext_id": "DE001"}).json()["data"]
    assert [e["id"] for e in found] == [created["id"]]
    changed = client.patch(f"/enterprises/{created['id']}", json={"ext_id": "X-9"}).json()
    assert changed["ext_id"] == "X-9"
