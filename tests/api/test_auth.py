"""Access control: tokens, roles and county scopes, through the HTTP API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.errors import BAD_TOKEN, MISSING_TOKEN
from tests.factories import create_enterprise, create_partner, issue_token, partner_payload


def as_token(client: TestClient, token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {"Authorization": ""}


def test_health_needs_no_token(client: TestClient) -> None:
    response = client.get("/health", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/enterprises"),
        ("get", "/partners"),
        ("post", "/partners"),
        ("get", "/enterprises/1"),
        ("get", "/tokens"),
        ("get", "/audit"),
    ],
)
def test_missing_token_is_401(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, headers={"Authorization": ""}, json={})
    assert response.status_code == 401
    assert response.json()["detail"] == MISSING_TOKEN
    assert response.headers["www-authenticate"] == "Bearer"


def test_wrong_token_is_401(client: TestClient) -> None:
    response = client.get("/partners", headers=as_token(client, "not-a-token"))
    assert response.status_code == 401
    assert response.json()["detail"] == BAD_TOKEN


def test_docs_are_public(client: TestClient) -> None:
    assert client.get("/openapi.json", headers={"Authorization": ""}).status_code == 200
    assert client.get("/docs", headers={"Authorization": ""}).status_code == 200


def test_issued_token_works_and_is_stored_hashed(client: TestClient, engine: Engine) -> None:
    token = issue_token(client, "viewer")
    assert client.get("/partners", headers=as_token(client, token)).status_code == 200
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM apitoken")).scalars().all()
    assert token not in stored
    assert all(len(h) == 64 for h in stored)


def test_revoked_token_stops_working(client: TestClient) -> None:
    token = issue_token(client, "viewer")
    token_id = client.get("/tokens").json()[-1]["id"]
    assert client.delete(f"/tokens/{token_id}").status_code == 200
    response = client.get("/partners", headers=as_token(client, token))
    assert response.status_code == 401


def test_token_list_never_shows_secrets(client: TestClient) -> None:
    token = issue_token(client, "officer", ["广饶县"])
    assert token not in client.get("/tokens").text


def test_viewer_reads_but_cannot_write(client: TestClient) -> None:
    created = create_enterprise(client)
    headers = as_token(client, issue_token(client, "viewer"))
    assert client.get(f"/enterprises/{created['id']}", headers=headers).status_code == 200
    assert client.post("/partners", json=partner_payload(), headers=headers).status_code == 403
    response = client.patch(f"/enterprises/{created['id']}", json={"name": "改"}, headers=headers)
    assert response.status_code == 403


def test_officer_cannot_manage_tokens_or_partners(client: TestClient) -> None:
    headers = as_token(client, issue_token(client, "officer"))
    body = {"name": "x", "role": "admin"}
    assert client.post("/tokens", json=body, headers=headers).status_code == 403
    assert client.get("/audit", headers=headers).status_code == 403
    assert client.post("/partners", json=partner_payload(), headers=headers).status_code == 403
    partner = create_partner(client)
    assert client.get(f"/partners/{partner['id']}", headers=headers).status_code == 200


def test_officer_is_held_to_their_counties(client: TestClient) -> None:
    mine = create_enterprise(client, county="广饶县", credit_code=None)
    theirs = create_enterprise(client, county="利津县", credit_code=None)
    headers = as_token(client, issue_token(client, "officer", ["广饶县"]))

    assert client.get(f"/enterprises/{mine['id']}", headers=headers).status_code == 200
    assert client.get(f"/enterprises/{theirs['id']}", headers=headers).status_code == 403
    listed = client.get("/enterprises", headers=headers).json()
    assert [e["id"] for e in listed["data"]] == [mine["id"]]
    assert listed["count"] == 1

    other = client.post(
        "/enterprises", json={"name": "他县企业", "county": "利津县"}, headers=headers
    )
    assert other.status_code == 403
    moved = client.patch(f"/enterprises/{mine['id']}", json={"county": "利津县"}, headers=headers)
    assert moved.status_code == 403
    own = client.post(
        "/enterprises", json={"name": "本县企业", "county": "广饶县"}, headers=headers
    )
    assert own.status_code == 201


def test_writes_are_audited_with_the_actor(client: TestClient) -> None:
    headers = as_token(client, issue_token(client, "officer"))
    created = client.post("/enterprises", json={"name": "审计测试"}, headers=headers).json()
    client.patch(f"/enterprises/{created['id']}", json={"demands": "续贷"}, headers=headers)
    entries = client.get(
        "/audit", params={"entity": "enterprise", "entity_id": str(created["id"])}
    ).json()
    assert [e["action"] for e in entries["data"]] == ["update", "create"]
    assert all(e["actor"].endswith("officer-测试") for e in entries["data"])
    assert entries["data"][0]["changes"] == {"demands": ["", "续贷"]}
