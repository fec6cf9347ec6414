"""Input that looks harmless but is not: invisible names, bidi controls, null figures."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.fields import BIDI_REFUSED, INVISIBLE_ONLY
from tests.factories import create_enterprise, create_partner, enterprise_payload, partner_payload

INVISIBLE_NAMES = ["\u200b", "\ufeff", "\u200b\u200c\u200d\u2060", " \ufeff \u200b ", "\u00ad"]


def _messages(response: Any, loc: list[Any]) -> list[str]:
    return [item["msg"] for item in response.json()["detail"] if item["loc"] == loc]


@pytest.mark.parametrize("name", INVISIBLE_NAMES)
def test_names_of_invisible_characters_only_are_refused(client: TestClient, name: str) -> None:
    response = client.post("/enterprises", json=enterprise_payload(name=name))
    assert response.status_code == 422
    assert any(INVISIBLE_ONLY in m for m in _messages(response, ["body", "name"]))
    partner = client.post("/partners", json=partner_payload(name=name))
    assert partner.status_code == 422
    created = create_enterprise(client, credit_code=None)
    patched = client.patch(f"/enterprises/{created['id']}", json={"name": name})
    assert patched.status_code == 422
    assert client.get(f"/enterprises/{created['id']}").json()["name"] == created["name"]


def test_invisible_characters_are_removed_from_names(client: TestClient) -> None:
    created = create_enterprise(client, name="\ufeff东营市\u200b瑞垦\u2060橡胶有限公司\u200d ")
    assert created["name"] == "东营市瑞垦橡胶有限公司"
    partner = create_partner(client, name="\ufeff山东黄河资产管理有限公司")
    assert partner["name"] == "山东黄河资产管理有限公司"
    # Two hundred visible characters are allowed however many invisible ones come with them.
    long = client.post("/enterprises", json={"name": "企\u200b" * 200})
    assert long.status_code == 201 and long.json()["name"] == "企" * 200


BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("control", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_bidi_controls_are_refused_in_single_line_fields(client: TestClient, control: str) -> None:
    cases: list[tuple[str, dict[str, Any], list[Any]]] = [
        ("/enterprises", enterprise_payload(name=f"东营{control}司公限有"), ["body", "name"]),
        ("/enterprises", enterprise_payload(county=f"广饶{control}县"), ["body", "county"]),
        ("/enterprises", enterprise_payload(city=f"{control}东营市"), ["body", "city"]),
        (
            "/enterprises",
            enterprise_payload(assets=[{"type": "land", "location": f"大王镇{control}"}]),
            ["body", "assets", 0, "location"],
        ),
        ("/partners", partner_payload(name=f"{control}资产管理"), ["body", "name"]),
        (
            "/partners",
            partner_payload(preferred_regions=["山东省", f"东营{control}"]),
            ["body", "preferred_regions", 1],
        ),
    ]
    for path, body, loc in cases:
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, loc)
        assert any(BIDI_REFUSED in m for m in _messages(response, loc)), response.json()
    assert client.get("/enterprises").json()["count"] == 0
    assert client.get("/partners").json()["count"] == 0


def test_bidi_controls_stay_allowed_in_free_text(client: TestClient) -> None:
    text = "阿拉伯语合作方名称 \u202bشركة\u202c 见附件"
    created = create_enterprise(client, description=text, credit_code=None)
    assert created["description"] == text


def test_null_financials_mean_no_figures_on_create(client: TestClient) -> None:
    with_null = client.post("/enterprises", json={"name": "无财务数据甲", "financials": None})
    assert with_null.status_code == 201, with_null.text
    with_empty = client.post("/enterprises", json={"name": "无财务数据乙", "financials": {}})
    assert with_null.json()["financials"] == with_empty.json()["financials"]
    assert set(with_null.json()["financials"].values()) == {None}


def test_patch_with_null_financials_clears_every_figure(client: TestClient) -> None:
    created = create_enterprise(client)
    path = f"/enterprises/{created['id']}"
    unchanged = client.patch(path, json={"financials": {}}).json()["financials"]
    assert unchanged == created["financials"]
    one = client.patch(path, json={"financials": {"overdue_debt": None}}).json()["financials"]
    assert one["overdue_debt"] is None and one["total_assets"] == 52000
    cleared = client.patch(path, json={"financials": None})
    assert cleared.status_code == 200
    assert set(cleared.json()["financials"].values()) == {None}
    assert client.get(path).json()["financials"] == cleared.json()["financials"]


def test_the_schema_says_what_null_financials_mean(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    create = schemas["EnterpriseCreate"]["properties"]["financials"]
    patch = schemas["EnterpriseUpdate"]["properties"]["financials"]
    assert {"type": "null"} in create["anyOf"] and {"type": "null"} in patch["anyOf"]
    assert "null 与 {} 相同" in create["description"]
    assert "清除全部八项" in patch["description"]
