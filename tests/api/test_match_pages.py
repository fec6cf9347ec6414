"""The stored `GET …/matches` answer, assembled from item JSON encoded once per process.

Checked against what the models render for the same page read another way
(`matching.get_matches`, the ORM path of the pages and the case file, with
`MatchList` and FastAPI's JSONResponse): the same bytes, for every filter, with
review statuses that change while the run stays cached.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from api.auth import Principal
from api.errors import NotFound
from api.presenters import match_item, run_out
from api.runtime import Runtime
from api.services import matching
from api.services.match_pages import PageCache, render, run_key
from models.results import MatchList
from models.tables import MatchRun
from tests.factories import issue_token

ADMIN = Principal(name="test", role="admin")


def _expected(engine: Engine, runtime: Runtime, enterprise_id: int, **filters: Any) -> bytes:
    """The page as the models render it, read through the ORM path (no cache involved)."""
    with Session(engine) as session:
        run, views = matching.get_matches(
            session=session,
            enterprise_id=enterprise_id,
            runtime=runtime,
            principal=ADMIN,
            **filters,
        )
        answer = MatchList(
            enterprise_id=enterprise_id,
            run=run_out(run),
            items=[match_item(v) for v in views],
            qualified=run.qualified,
        )
    return render(answer.model_dump(mode="json"))


FILTERS: list[dict[str, Any]] = [
    {},
    {"limit": 3},
    {"limit": 100},
    {"limit": 100, "include_weak": True},
    {"limit": 100, "include_rejected": True},
    {"limit": 100, "include_rejected": True, "include_weak": True},
]


def test_the_stored_answer_is_the_fresh_one_and_the_models_rendering(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    fresh = seeded.get("/enterprises/3/matches", params={"limit": 100})  # ranks and stores
    assert fresh.status_code == 200
    stored = seeded.get("/enterprises/3/matches", params={"limit": 100})  # from the cache
    assert stored.headers["content-type"] == "application/json"
    assert stored.json() == fresh.json()
    assert stored.content == fresh.content
    items = fresh.json()["items"]
    assert len(items) >= 4
    # Statuses set while the run stays cached: one shortlisted, one rejected.
    shortlisted, rejected = items[1], items[3]
    assert seeded.post(
        f"/matches/{shortlisted['match_id']}/review", json={"status": "shortlisted"}
    ).is_success
    assert seeded.post(
        f"/matches/{rejected['match_id']}/review", json={"status": "rejected", "note": "规模不符"}
    ).is_success
    kinds = sorted({i["partner_kind"] for i in items})
    threshold = items[len(items) // 2]["score"]
    cases = [*FILTERS, {"kind": kinds[0], "limit": 100}, {"min_score": threshold, "limit": 100}]
    for filters in cases:
        response = seeded.get("/enterprises/3/matches", params=filters)
        assert response.status_code == 200, (filters, response.text)
        assert response.content == _expected(engine, runtime, 3, **filters), filters
    listed = seeded.get("/enterprises/3/matches", params={"limit": 100}).json()
    assert listed["run"]["id"] == fresh.json()["run"]["id"]  # the same stored run throughout
    statuses = {i["match_id"]: i["status"] for i in listed["items"]}
    assert statuses[shortlisted["match_id"]] == "shortlisted"
    assert rejected["match_id"] not in statuses  # rejected: listed only on request
    with_rejected = seeded.get(
        "/enterprises/3/matches", params={"limit": 100, "include_rejected": True}
    ).json()
    assert {i["match_id"]: i["status"] for i in with_rejected["items"]}[
        rejected["match_id"]
    ] == "rejected"


def test_each_enterprise_gets_its_own_run_from_the_cache(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    first = {e: seeded.get(f"/enterprises/{e}/matches").content for e in (1, 2, 5)}
    for e in (5, 2, 1, 2):
        again = seeded.get(f"/enterprises/{e}/matches")
        assert again.content == first[e] == _expected(engine, runtime, e)
    runs = {e: seeded.get(f"/enterprises/{e}/matches").json()["run"]["id"] for e in (1, 2, 5)}
    assert len(set(runs.values())) == 3


def test_the_route_keeps_its_documented_schema(seeded: TestClient) -> None:
    operation = seeded.get("/openapi.json").json()["paths"]["/enterprises/{enterprise_id}/matches"]
    schema = operation["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/MatchList"}


def _run(run_id: int, created_minutes: int) -> MatchRun:
    created = datetime(2026, 12, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=created_minutes)
    return MatchRun(
        id=run_id,
        enterprise_id=1,
        config_hash="c",
        model_name="m",
        pool_version="p",
        enterprise_version="e",
        created_at=created,
    )


def test_a_reused_run_id_is_another_run_to_the_cache() -> None:
    cache = PageCache()
    old, new = run_key(_run(7, 0)), run_key(_run(7, 5))  # SQLite may give a deleted id again
    cache.put(old, {1: (b"{old", b"}")})
    assert cache.get(old, [1]) == {1: (b"{old", b"}")}
    assert cache.get(new, [1]) == {}


def test_the_cache_drops_the_least_recently_read_runs_past_its_budget() -> None:
    cache = PageCache(max_bytes=60)  # three runs of 20 bytes
    keys = [run_key(_run(i, i)) for i in range(1, 5)]
    for key in keys[:3]:
        cache.put(key, {1: (b"x" * 10, b"y" * 10)})
    assert cache.size_bytes == 60
    assert cache.get(keys[0], [1])  # read again: now the most recently read
    cache.put(keys[3], {1: (b"x" * 10, b"y" * 10)})
    assert cache.size_bytes == 60
    assert [bool(cache.get(k, [1])) for k in keys] == [True, False, True, True]


def test_a_stored_read_begins_no_orm_session_and_answers_as_the_orm_path(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    """A current run is read on a plain connection (api.services.matching.served_run):
    no ORM session begins, and the bytes are those of the session's path."""
    begun: list[object] = []

    def count(session: object, _transaction: object, _connection: object) -> None:
        begun.append(session)

    event.listen(Session, "after_begin", count)
    try:
        assert seeded.get("/enterprises/2/matches").status_code == 200  # ranks: a session
        assert begun
        begun.clear()
        stored = seeded.get("/enterprises/2/matches")
        assert begun == []
    finally:
        event.remove(Session, "after_begin", count)
    assert stored.content == _expected(engine, runtime, 2)


def test_a_stored_run_is_refused_outside_the_callers_county(seeded: TestClient) -> None:
    county = seeded.get("/enterprises/1").json()["county"]
    other = next(e for e in seeded.get("/enterprises").json()["data"] if e["county"] != county)
    path = f"/enterprises/{other['id']}/matches"
    officer = {"Authorization": f"Bearer {issue_token(seeded, 'officer', [county])}"}
    refused_before = seeded.get(path, headers=officer)  # nothing stored yet
    assert refused_before.status_code == 403
    assert seeded.get(path).status_code == 200  # the admin's read stores the run
    refused = seeded.get(path, headers=officer)  # now the stored path answers
    assert refused.status_code == 403
    assert refused.json() == refused_before.json()
    mine = seeded.get("/enterprises/1/matches").content
    assert seeded.get("/enterprises/1/matches", headers=officer).content == mine


def test_served_run_is_the_current_run_only_while_it_holds(
    seeded: TestClient, engine: Engine, runtime: Runtime
) -> None:
    stored_id = seeded.get("/enterprises/4/matches").json()["run"]["id"]
    cache = PageCache()
    department = Principal(name="商务局", role="department", department_id=1)
    with engine.connect() as connection:
        run = matching.served_run(
            connection=connection, enterprise_id=4, runtime=runtime, principal=ADMIN, runs=cache
        )
        assert run is not None and run.id == stored_id
        again = matching.served_run(
            connection=connection, enterprise_id=4, runtime=runtime, principal=ADMIN, runs=cache
        )
        assert again is run  # read again, not built again
        # A department token's case access is the session path's to check.
        assert (
            matching.served_run(
                connection=connection,
                enterprise_id=4,
                runtime=runtime,
                principal=department,
                runs=cache,
            )
            is None
        )
        with pytest.raises(NotFound):
            matching.served_run(
                connection=connection,
                enterprise_id=424242,
                runtime=runtime,
                principal=ADMIN,
                runs=cache,
            )
    partner = seeded.get("/partners", params={"limit": 1}).json()["data"][0]
    assert seeded.patch(f"/partners/{partner['id']}", json={"active": False}).is_success
    with engine.connect() as connection:  # the pool moved on: the run is stale
        assert (
            matching.served_run(
                connection=connection, enterprise_id=4, runtime=runtime, principal=ADMIN, runs=cache
            )
            is None
        )
    assert seeded.get("/enterprises/4/matches").json()["run"]["id"] != stored_id


def test_an_issued_token_reads_a_stored_run_until_it_is_revoked(seeded: TestClient) -> None:
    """The token is looked up on every stored read (in a session of its own), never
    cached: revoked, it is refused at once."""
    token = issue_token(seeded, "viewer")
    viewer = {"Authorization": f"Bearer {token}"}
    stored = seeded.get("/enterprises/1/matches").content
    assert seeded.get("/enterprises/1/matches", headers=viewer).content == stored
    token_id = seeded.get("/tokens").json()[-1]["id"]
    assert seeded.delete(f"/tokens/{token_id}").status_code == 200
    refused = seeded.get("/enterprises/1/matches", headers=viewer)
    assert refused.status_code == 401
    assert seeded.get("/enterprises/1/matches", headers={"Authorization": ""}).status_code == 401
