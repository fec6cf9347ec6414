"""The OpenAPI document says what the service does (issue 11, item 11).

Each test here pins one finding of a schemathesis run from outside: a method a
path does not take gets 405 with every method it does take in `Allow`; an id
path does not swallow a literal sibling (GET /jobs/rescore); booleans and
integers are strict; the rules a pattern can state are in the schema.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_enterprise, enterprise_payload, make_credit_code


def _allow(response: Any) -> set[str]:
    return {method.strip() for method in response.headers["allow"].split(",")}


def test_405_names_every_method_of_a_path_served_by_several_routes(client: TestClient) -> None:
    enterprise = create_enterprise(client)
    response = client.put(f"/enterprises/{enterprise['id']}")
    assert response.status_code == 405
    assert _allow(response) == {"GET", "PATCH", "DELETE"}
    assert "不支持 PUT" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("get", "/jobs/rescore", {"POST"}), ("patch", "/partners/bulk", {"POST"})],
)
def test_a_literal_path_is_not_read_as_an_id(
    client: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.request(method.upper(), path)
    assert response.status_code == 405
    assert _allow(response) == allowed


def test_a_path_no_route_serves_is_a_chinese_404(client: TestClient) -> None:
    response = client.get("/enterprises/abc")
    assert response.status_code == 404
    assert response.json() == {"detail": "路径 /enterprises/abc 不存在"}


def test_an_integer_is_not_taken_for_a_boolean(client: TestClient) -> None:
    enterprise = create_enterprise(client)
    asset_id = enterprise["assets"][0]["id"]
    path = f"/enterprises/{enterprise['id']}/assets/{asset_id}"
    response = client.patch(path, json={"idle": 0})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "idle"
    assert client.get(path).json()["idle"] is True


@pytest.mark.parametrize("field", ["appraised_value", "area_m2", "book_value"])
def test_a_boolean_is_not_taken_for_a_number(client: TestClient, field: str) -> None:
    enterprise = create_enterprise(client)
    body = {"type": "plant", "description": "厂房", field: False}
    response = client.post(f"/enterprises/{enterprise['id']}/assets", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field
    assert len(client.get(f"/enterprises/{enterprise['id']}/assets").json()) == 1


def test_schema_states_the_rules_a_pattern_can_state(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    properties = components["EnterpriseCreate"]["properties"]
    # JSON Schema's `pattern` applies to strings only, so beside `anyOf: [string, null]` it
    # constrains the string branch.
    pattern = properties["credit_code"]["pattern"]
    assert re.fullmatch(pattern, make_credit_code())
    assert not re.fullmatch(pattern, "0" * 18)
    industry_pattern = properties["industry_code"]["pattern"]
    assert re.fullmatch(industry_pattern, "C2911")
    assert not re.fullmatch(industry_pattern, "Q99x")
    for operation in schema["paths"]["/enterprises"].values():
        assert "400" in operation["responses"]


def test_schema_valid_names_are_accepted_as_the_schema_says(client: TestClient) -> None:
    """A name the schema's pattern refuses is refused by the service, and the reverse."""
    schema = client.get("/openapi.json").json()
    name = schema["components"]["schemas"]["EnterpriseCreate"]["properties"]["name"]
    pattern = name["pattern"]
    for candidate, ok in [("东营市瑞垦橡胶有限公司", True), ("\u200b\u200b", False)]:
        assert bool(re.search(pattern, candidate)) is ok
        response = client.post("/enterprises", json=enterprise_payload(name=candidate))
        assert (response.status_code == 201) is ok, response.text


def _keywords(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in _keywords(value)}
    if isinstance(node, list):
        return {k for value in node for k in _keywords(value)}
    return set()


def test_bounds_are_standard_json_schema(client: TestClient) -> None:
    """`ge`/`le` are pydantic's words; a client's generator reads only `minimum`/`maximum`."""
    components = client.get("/openapi.json").json()["components"]["schemas"]
    assert not _keywords(components) & {"ge", "gt", "le", "lt"}
    book_value = components["AssetCreate"]["properties"]["book_value"]["anyOf"][0]
    assert book_value == {"type": "number", "minimum": 0}


def test_an_integral_number_is_an_integer(client: TestClient) -> None:
    """JSON Schema counts 3.0 as an integer, so the service does too."""
    response = client.post("/departments", json={"name": "测试局", "sort_order": 3.0})
    assert response.status_code == 201, response.text
    assert response.json()["sort_order"] == 3
    assert (
        client.post("/departments", json={"name": "测试局二", "sort_order": 3.5}).status_code == 422
    )
