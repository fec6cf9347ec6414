"""A ranking computed in a request holds no write lock while it ranks (real uvicorn, real DB).

`GET …/matches` with nothing stored diagnoses the enterprise (a write), ranks
the pool and stores the run.  It used to keep the transaction of the
diagnosis open until the run was stored, so on SQLite (one writer at a time)
every other write of the service waited for the whole ranking.  Here the
ranking is held at a gate — a registered component whose pool step waits
until the test lets it go, the only stand-in, for timing control (the "slow
model" of a unit test) — while other requests write; then the run it stores
is checked against what changed meanwhile.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from api.config import FIXTURES_DIR, Settings
from api.main import create_app
from api.runtime import Runtime
from api.services.seed import seed_fixtures
from models.db import make_engine, session_scope
from models.tables import MatchRun
from tests.api.gates import HOLD, Gate, gated_runtime
from tests.api.job_helpers import shared_engine
from tests.conftest import ADMIN_TOKEN
from tests.servers import running_server

QUICK = 3.0
"""A short write must answer within this while a ranking is held (it took HOLD before)."""


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def live(shared_url: str, runtime: Runtime, gate: Gate, tmp_path: Path) -> Iterator[str]:
    """The service on a shared database holding the demo data, its rankings gated."""
    engine = make_engine(shared_url)
    with session_scope(engine) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
    settings = Settings(
        admin_token=ADMIN_TOKEN,
        data_dir=tmp_path / "data",
        run_migrations=False,
        start_worker=False,
    )
    app = create_app(settings, engine, gated_runtime(runtime, gate))
    try:
        with running_server(app) as url:
            yield url
    finally:
        gate.released.set()
        engine.dispose()


def _call(method: str, url: str, body: Any = None) -> tuple[int, Any, float]:
    """Status, JSON answer and seconds taken."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read()), time.perf_counter() - start
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), time.perf_counter() - start


class Background:
    """One request in a thread of its own; `answer` once it is done."""

    def __init__(self, method: str, url: str) -> None:
        self.answer: tuple[int, Any, float] | None = None
        self.thread = threading.Thread(target=self._run, args=(method, url), daemon=True)
        self.thread.start()

    def _run(self, method: str, url: str) -> None:
        self.answer = _call(method, url)

    def result(self) -> tuple[int, Any, float]:
        self.thread.join(120)
        assert self.answer is not None, "the request did not finish"
        return self.answer


def _runs(url: str, enterprise_id: int) -> list[MatchRun]:
    with Session(shared_engine(url)) as session:
        return list(
            session.exec(
                select(MatchRun)
                .where(MatchRun.enterprise_id == enterprise_id)
                .order_by(col(MatchRun.id))
            ).all()
        )


def test_short_writes_go_through_while_a_ranking_computes(
    live: str, gate: Gate, shared_url: str
) -> None:
    ranking = Background("GET", f"{live}/enterprises/1/matches?limit=5")
    assert gate.reached.wait(120), f"the ranking never started: {ranking.answer}"
    # The ranking is now held mid-computation, after it diagnosed the enterprise (a write).
    status, partner, took = _call("PATCH", f"{live}/partners/1", {"track_record": "完成两起重整"})
    assert status == 200, partner
    assert took < QUICK, f"a partner edit waited {took:.1f} s for the ranking"
    status, enterprise, took = _call(
        "PATCH", f"{live}/enterprises/1", {"demands": "引入战略投资者"}
    )
    assert status == 200, enterprise
    assert took < QUICK, f"an enterprise edit waited {took:.1f} s for the ranking"
    assert ranking.answer is None  # still held: the writes did not wait for it
    gate.released.set()
    status, first, _ = ranking.result()
    assert status == 200, first
    # The enterprise and the pool changed while it ranked: what it stored is of the state
    # after both edits (it ranked again), so the next read answers that run, not a new one.
    status, again, _ = _call("GET", f"{live}/enterprises/1/matches?limit=5")
    assert status == 200, again
    assert again["run"]["id"] == first["run"]["id"]
    runs = _runs(shared_url, 1)
    assert len(runs) == 1 and runs[0].is_current


def test_a_run_stored_meanwhile_by_another_request_is_answered_not_overwritten(
    live: str, gate: Gate, shared_url: str
) -> None:
    held = Background("GET", f"{live}/enterprises/1/matches?limit=5")
    assert gate.reached.wait(120), f"the ranking never started: {held.answer}"
    status, other, took = _call("GET", f"{live}/enterprises/1/matches?limit=5")
    assert status == 200, other
    assert took < HOLD / 2, f"a second ranking waited {took:.1f} s for the held one"
    gate.released.set()
    status, first, _ = held.result()
    assert status == 200, first
    assert first["run"]["id"] == other["run"]["id"]
    assert [i["partner_id"] for i in first["items"]] == [i["partner_id"] for i in other["items"]]
    runs = _runs(shared_url, 1)
    assert [r.id for r in runs] == [other["run"]["id"]]
