"""Partners through the HTTP API: one, many (all or nothing), filters, changes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_partner, make_credit_code, partner_payload


def test_create_and_read(client: TestClient) -> None:
    payload = partner_payload(industries=["2911", "C26"], treatment_types=[])
    created = create_partner(client, **payload)
    read = client.get(f"/partners/{created['id']}").json()
    assert read["name"] == payload["name"]
    assert read["industries"] == ["C2911", "C26"]
    assert read["industry_names"] == {"C2911": "轮胎制造", "C26": "化学原料和化学制品制造业"}
    assert read["treatment_types"] == []
    assert read["effective_treatment_types"] == [
        "debt_restructuring",
        "judicial_reorganization",
        "asset_revitalization",
        "exit_liquidation",
    ]


INVALID: list[tuple[str, dict[str, Any], list[Any]]] = [
    ("unknown kind", {"kind": "angel"}, ["body", "kind"]),
    ("unknown category", {"treatment_types": ["rescue"]}, ["body", "treatment_types", 0]),
    ("unknown asset", {"asset_interests": ["boat"]}, ["body", "asset_interests", 0]),
    ("unknown industry", {"industries": ["C29", "C9999"]}, ["body", "industries", 1]),
    ("bad exclusion", {"excluded_industries": ["??"]}, ["body", "excluded_industries", 0]),
    ("ticket order", {"ticket_min": 5000, "ticket_max": 100}, ["body", "ticket_max"]),
    ("negative ticket", {"ticket_min": -1}, ["body", "ticket_min"]),
    ("bad credit code", {"credit_code": "ABC"}, ["body", "credit_code"]),
    ("active not bool", {"active": "maybe"}, ["body", "active"]),
]


@pytest.mark.parametrize(("case", "change", "loc"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_partner_is_422(
    client: TestClient, case: str, change: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post("/partners", json=partner_payload(**change))
    assert response.status_code == 422, case
    assert loc in [item["loc"] for item in response.json()["detail"]]


def test_bulk_returns_ids_in_input_order(client: TestClient) -> None:
    items = [partner_payload(name=f"合作方{i}", credit_code=None) for i in range(5)]
    response = client.post("/partners/bulk", json=items)
    assert response.status_code == 201
    ids = response.json()["ids"]
    assert [client.get(f"/partners/{i}").json()["name"] for i in ids] == [
        f"合作方{i}" for i in range(5)
    ]


@pytest.mark.parametrize(
    ("bad_item", "status", "loc"),
    [
        ({"kind": "nope"}, 422, ["body", 2, "kind"]),
        ({"industries": ["C9999"]}, 422, ["body", 2, "industries", 0]),
        ({"ticket_min": 9, "ticket_max": 1}, 422, ["body", 2, "ticket_max"]),
    ],
)
def test_bulk_is_all_or_nothing(
    client: TestClient, bad_item: dict[str, Any], status: int, loc: list[Any]
) -> None:
    items = [partner_payload(name=f"合作方{i}", credit_code=None) for i in range(4)]
    items[2].update(bad_item)
    response = client.post("/partners/bulk", json=items)
    assert response.status_code == status
    assert loc in [item["loc"] for item in response.json()["detail"]]
    assert client.get("/partners").json()["count"] == 0


def test_bulk_duplicate_credit_codes_store_nothing(client: TestClient) -> None:
    code = make_credit_code()
    items = [
        partner_payload(name="甲", credit_code=code),
        partner_payload(name="乙", credit_code=code),
    ]
    response = client.post("/partners/bulk", json=items)
    assert response.status_code == 409
    assert client.get("/partners").json()["count"] == 0
    create_partner(client, name="丙", credit_code=code)
    again = client.post("/partners/bulk", json=[partner_payload(name="丁", credit_code=code)])
    assert again.status_code == 409
    assert client.get("/partners").json()["count"] == 1


def test_bulk_accepts_an_empty_list(client: TestClient) -> None:
    response = client.post("/partners/bulk", json=[])
    assert response.status_code == 201
    assert response.json() == {"ids": []}


def test_list_filters(client: TestClient) -> None:
    create_partner(
        client, name="轮胎龙头", kind="private_leader", industries=["C2911"], credit_code=None
    )
    create_partner(
        client,
        name="化工基金",
        kind="industrial_fund",
        industries=["C26"],
        credit_code=None,
        active=False,
    )
    create_partner(
        client, name="城商银行", kind="bank", capabilities="流动资金贷款、续贷", credit_code=None
    )

    def names(**params: Any) -> list[str]:
        return [p["name"] for p in client.get("/partners", params=params).json()["data"]]

    assert names(kind="bank") == ["城商银行"]
    assert names(industry="C29") == ["轮胎龙头"]
    assert names(industry="C2611") == ["化工基金"]
    assert names(active=False) == ["化工基金"]
    assert names(q="续贷") == ["城商银行"]
    assert client.get("/partners", params={"limit": 1}).json()["count"] == 3


def test_patch_checks_ticket_order_against_stored_values(client: TestClient) -> None:
    created = create_partner(client, ticket_min=1000, ticket_max=5000)
    response = client.patch(f"/partners/{created['id']}", json={"ticket_max": 500})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "ticket_max"]
    ok = client.patch(f"/partners/{created['id']}", json={"ticket_max": 8000, "active": False})
    assert ok.status_code == 200
    assert (ok.json()["ticket_max"], ok.json()["active"]) == (8000, False)


def test_archive_and_missing(client: TestClient) -> None:
    created = create_partner(client)
    assert client.delete(f"/partners/{created['id']}").json()["archived"] is True
    assert client.get("/partners").json()["count"] == 0
    assert client.get(f"/partners/{created['id']}").status_code == 200
    assert client.get("/partners/4242").status_code == 404


def test_external_references_are_kept_and_searchable(client: TestClient) -> None:
    items = [
        partner_payload(name=f"外部{i}", credit_code=None, ext_id=f"DP{i:03d}") for i in (1, 2)
    ]
    ids = client.post("/partners/bulk", json=items).json()["ids"]
    assert client.get(f"/partners/{ids[1]}").json()["ext_id"] == "DP002"
    found = client.get("/partners", params={"ext_id": "DP001"}).json()["data"]
    assert [p["id"] for p in found] == [ids[0]]
