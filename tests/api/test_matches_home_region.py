"""Through the route: a partner whose name says it is from the enterprise's county earns
the home-region level, and its reasons say so; one from elsewhere does not."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import create_enterprise, create_partner


def test_home_region_reason_through_the_route(client: TestClient) -> None:
    enterprise = create_enterprise(client)
    assert enterprise["county"] == "广饶县"
    local = create_partner(
        client, name="广饶县财金资产管理有限公司", credit_code=None, preferred_regions=[]
    )
    distant = create_partner(
        client, name="河南中原资产管理有限公司", credit_code=None, preferred_regions=[]
    )
    response = client.get(
        f"/enterprises/{enterprise['id']}/matches",
        params={"limit": 50, "include_weak": "true"},
    )
    assert response.status_code == 200, response.text
    items = {i["partner_id"]: i for i in response.json()["items"]}
    assert {local["id"], distant["id"]} <= set(items)
    mine, theirs = items[local["id"]], items[distant["id"]]
    assert any("名称显示为本县区（广饶县）主体" in why for why in mine["reasons"]), mine["reasons"]
    assert not any("名称显示为" in why for why in theirs["reasons"])
    assert mine["components"]["region"] > theirs["components"].get("region", 0.0)
