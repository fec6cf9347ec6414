"""ETag and If-Match on enterprises and partners (spec §6), and writers that race.

The concurrency tests run a real uvicorn server on a database several
connections share (a SQLite file, PostgreSQL) and send the writes from threads
released together by a barrier.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.config import Settings
from api.main import create_app
from api.runtime import Runtime
from models.db import make_engine, run_migrations
from models.tables import AuditLog
from tests.conftest import ADMIN_TOKEN, BACKENDS, _truncate
from tests.factories import create_enterprise, create_partner
from tests.servers import running_server


def test_reads_carry_the_version_as_etag(client: TestClient) -> None:
    created = create_enterprise(client)
    read = client.get(f"/enterprises/{created['id']}")
    assert read.headers["etag"] == '"1"' and read.json()["version"] == 1
    partner = create_partner(client)
    read = client.get(f"/partners/{partner['id']}")
    assert read.headers["etag"] == '"1"' and read.json()["version"] == 1


def test_every_write_bumps_the_version(client: TestClient) -> None:
    created = create_enterprise(client, assets=[])
    path = f"/enterprises/{created['id']}"
    steps = [
        client.patch(path, json={"demands": "续贷"}),
        client.post(f"{path}/assets", json={"type": "land"}),
    ]
    asset_id = steps[-1].json()["id"]
    steps += [
        client.patch(f"{path}/assets/{asset_id}", json={"idle": True}),
        client.delete(f"{path}/assets/{asset_id}"),
        client.delete(path),
        client.post(f"{path}/restore"),
    ]
    assert [r.headers["etag"] for r in steps] == [f'"{n}"' for n in range(2, 8)]
    assert client.get(path).json()["version"] == 7
    assert client.get(f"{path}/assets").headers["etag"] == '"7"'


def test_a_stale_if_match_is_412_and_changes_nothing(client: TestClient) -> None:
    created = create_enterprise(client)
    path = f"/enterprises/{created['id']}"
    assert (
        client.patch(path, json={"demands": "甲"}, headers={"If-Match": '"1"'}).status_code == 200
    )
    stale = client.patch(path, json={"demands": "乙"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert "已被他人修改" in stale.json()["detail"] and "当前版本 2" in stale.json()["detail"]
    assert stale.headers["etag"] == '"2"'
    read = client.get(path).json()
    assert (read["demands"], read["version"]) == ("甲", 2)
    audit = client.get("/audit", params={"entity": "enterprise", "entity_id": created["id"]})
    assert [e["action"] for e in audit.json()["data"]] == ["update", "create"]


@pytest.mark.parametrize(
    ("header", "status"),
    [('"3"', 200), ('W/"3"', 200), ('"1", "3"', 200), ("*", 200), ('"2"', 412), ("3", 412)],
)
def test_if_match_forms(client: TestClient, header: str, status: int) -> None:
    created = create_enterprise(client)
    path = f"/enterprises/{created['id']}"
    client.patch(path, json={"demands": "一"})
    client.patch(path, json={"demands": "二"})
    response = client.patch(path, json={"demands": "三"}, headers={"If-Match": header})
    assert response.status_code == status, response.text


def test_asset_writes_and_archiving_honour_if_match(client: TestClient) -> None:
    created = create_enterprise(client)
    path = f"/enterprises/{created['id']}"
    asset_id = created["assets"][0]["id"]
    client.patch(path, json={"demands": "续贷"})  # version 2
    stale = {"If-Match": '"1"'}
    assert client.post(f"{path}/assets", json={"type": "land"}, headers=stale).status_code == 412
    assert (
        client.patch(f"{path}/assets/{asset_id}", json={"idle": False}, headers=stale).status_code
        == 412
    )
    assert client.delete(f"{path}/assets/{asset_id}", headers=stale).status_code == 412
    assert client.delete(path, headers=stale).status_code == 412
    read = client.get(path).json()
    assert (read["version"], read["archived"], len(read["assets"])) == (2, False, 1)
    assert read["assets"][0]["idle"] is True
    assert client.get(f"{path}/assets/{asset_id}").headers["etag"] == '"2"'
    fresh = {"If-Match": '"2"'}
    assert client.delete(path, headers=fresh).status_code == 200
    assert client.post(f"{path}/restore", headers=fresh).status_code == 412


def test_partners_honour_if_match(client: TestClient) -> None:
    partner = create_partner(client)
    path = f"/partners/{partner['id']}"
    assert client.patch(path, json={"interests": "甲"}).headers["etag"] == '"2"'
    stale = client.patch(path, json={"interests": "乙"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.headers["etag"] == '"2"'
    assert "合作主体" in stale.json()["detail"]
    assert client.delete(path, headers={"If-Match": '"1"'}).status_code == 412
    assert client.get(path).json()["interests"] == "甲"
    assert client.delete(path, headers={"If-Match": '"2"'}).headers["etag"] == '"3"'


def test_the_schema_documents_etag_and_412(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    patch = paths["/enterprises/{enterprise_id}"]["patch"]
    assert "412" in patch["responses"]
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert any(p["name"] == "if-match" for p in patch["parameters"])
    assert "ETag" in paths["/partners/{partner_id}"]["get"]["responses"]["200"]["headers"]


# --- real concurrency ------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgres":
        _truncate(request.getfixturevalue("postgres_engine"))
        yield request.getfixturevalue("postgres_url")
        return
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    run_migrations(make_engine(url))
    yield url


@pytest.fixture
def live(shared_url: str, runtime: Runtime, tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        admin_token=ADMIN_TOKEN,
        data_dir=tmp_path / "data",
        run_migrations=False,
        start_worker=False,
    )
    engine = make_engine(shared_url)
    with running_server(create_app(settings, engine, runtime)) as url:
        yield url
    engine.dispose()


def _call(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {ADMIN_TOKEN}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _at_once(count: int, work: Any) -> list[Any]:
    """Run work(i) for i in range(count) in threads that start together."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return results


WRITERS = 8


def test_concurrent_writes_with_one_if_match_let_exactly_one_through(live: str) -> None:
    status, created = _call("POST", live + "/enterprises", {"name": "并发测试企业"})
    assert status == 201
    path = f"{live}/enterprises/{created['id']}"
    results = _at_once(
        WRITERS,
        lambda i: _call("PATCH", path, {"demands": f"诉求{i}"}, {"If-Match": '"1"'}),
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [412] * (WRITERS - 1), results
    [winner] = [body for status, body in results if status == 200]
    _, read = _call("GET", path)
    assert (read["version"], read["demands"]) == (2, winner["demands"])


def test_concurrent_writes_without_if_match_lose_nothing(live: str, shared_url: str) -> None:
    status, created = _call("POST", live + "/enterprises", {"name": "并发测试企业", "employees": 0})
    assert status == 201
    path = f"{live}/enterprises/{created['id']}"
    results = _at_once(WRITERS, lambda i: _call("PATCH", path, {"employees": i + 1}))
    assert [status for status, _ in results] == [200] * WRITERS, results
    assert sorted(body["version"] for _, body in results) == list(range(2, WRITERS + 2))
    _, read = _call("GET", path)
    assert read["version"] == WRITERS + 1
    # Each write's audit row names the value it really replaced: the chain is unbroken.
    engine = make_engine(shared_url)
    with Session(engine) as session:
        rows = session.exec(
            select(AuditLog)
            .where(AuditLog.entity == "enterprise", AuditLog.action == "update")
            .order_by(col(AuditLog.id))
        ).all()
    engine.dispose()
    pairs = [row.changes["employees"] for row in rows]
    assert len(pairs) == WRITERS
    assert pairs[0][0] == 0
    assert all(earlier[1] == later[0] for earlier, later in zip(pairs, pairs[1:], strict=False))
    assert pairs[-1][1] == read["employees"]
