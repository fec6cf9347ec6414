"""A job waits out a locked database instead of failing for good on it."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from api.runtime import Runtime
from api.services.job_runner import claim_job, fail_job, run_job
from api.services.jobs import enqueue_rescore
from api.services.transient import Backoff, is_transient
from api.worker import work_once
from models.db import make_engine, session_scope
from tests.api.job_helpers import ADMIN, read_job, seed_many, shared_engine
from tests.conftest import BACKENDS

LOCK_WAIT_MS = 100
"""How long the job's own connections wait for a lock before the database gives up."""
HOLD_SECONDS = 2.5
"""How long the competing writer keeps its lock: many times the job's lock wait."""
PATIENT = Backoff(retries=10, first=0.1, cap=1.0)  # waits ~7.5 s in all, longer than the hold


def impatient_engine(url: str) -> Engine:
    """An engine whose connections give up on a lock after LOCK_WAIT_MS (30 s by default)."""
    engine = make_engine(url)

    def short_waits(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if url.startswith("sqlite"):
            cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
        else:
            cursor.execute(f"SET lock_timeout = '{LOCK_WAIT_MS}ms'")
            dbapi_connection.commit()
        cursor.close()

    event.listen(engine, "connect", short_waits)  # after make_engine's own pragmas
    return engine


@contextmanager
def competing_writer(url: str, job_id: int) -> Iterator[None]:
    """Another connection holding a write lock the job needs, until the block ends.

    SQLite: the database's write lock (BEGIN IMMEDIATE).  PostgreSQL: the job's
    own row (SELECT … FOR UPDATE), which every step of the job updates.
    """
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("COMMIT")
            connection.close()
        return
    with shared_engine(url).connect() as held:
        held.execute(text("SELECT id FROM job WHERE id = :id FOR UPDATE"), {"id": job_id})
        try:
            yield
        finally:
            held.commit()


def test_a_job_outlasts_a_competing_writer(
    shared_url: str, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    ids = seed_many(shared_url, runtime, copies=1)[:6]
    with session_scope(shared_engine(shared_url)) as session:
        job_id = enqueue_rescore(session=session, principal=ADMIN, enterprise_ids=ids).id or 0
    locked, holder_done = threading.Event(), threading.Event()

    def hold() -> None:
        with competing_writer(shared_url, job_id):
            locked.set()
            time.sleep(HOLD_SECONDS)
        holder_done.set()

    holder = threading.Thread(target=hold)

    def lock_after_the_first_step(done: int, total: int) -> None:
        if done == 1:
            holder.start()
            assert locked.wait(30)

    engine = impatient_engine(shared_url)
    with caplog.at_level(logging.WARNING, logger="api.jobs"):
        claimed = work_once(
            engine, runtime, "w", lock_after_the_first_step, job_id=job_id, backoff=PATIENT
        )
    holder.join(30)
    assert claimed == job_id and holder_done.is_set()
    job = read_job(shared_url, job_id)
    assert (job.status, job.done, job.error) == ("done", len(ids), "")
    retried = [r for r in caplog.records if "trying again" in r.getMessage()]
    assert retried, "the job should have met the lock and waited"
    assert all(is_transient(r.args[1]) for r in retried)  # type: ignore[index]


def test_a_step_gives_up_once_the_lock_outlasts_its_retries(
    shared_url: str, runtime: Runtime
) -> None:
    ids = seed_many(shared_url, runtime, copies=1)[:3]
    with session_scope(shared_engine(shared_url)) as session:
        job_id = enqueue_rescore(session=session, principal=ADMIN, enterprise_ids=ids).id or 0
    engine = impatient_engine(shared_url)
    assert claim_job(engine, "w", job_id) == job_id
    pauses: list[float] = []
    with competing_writer(shared_url, job_id), pytest.raises(OperationalError) as raised:
        run_job(engine, job_id, runtime, "w", backoff=Backoff(2, 0.05, 0.1), sleep=pauses.append)
    assert is_transient(raised.value)
    assert pauses == [0.05, 0.1]  # tried three times in all, then gave up
    fail_job(engine, job_id, "w", str(raised.value))  # what work_once does next
    job = read_job(shared_url, job_id)
    assert (job.status, job.done) == ("failed", 0)
    assert "lock" in job.error


# --- which errors count as transient: real ones, from real databases -------------------


def _sqlite_locked(tmp_path: Any) -> BaseException:
    path = tmp_path / "locked.db"
    first = sqlite3.connect(path, isolation_level=None)
    first.execute("CREATE TABLE t (x INTEGER)")
    first.execute("BEGIN IMMEDIATE")
    engine = impatient_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
    except DBAPIError as error:
        return error
    finally:
        first.execute("COMMIT")
        first.close()
        engine.dispose()
    raise AssertionError("the insert should have met the lock")


def _postgres_conflict(engine: Engine, kind: str) -> BaseException:
    """A real serialization failure (40001) or deadlock (40P01) between two transactions."""
    with engine.begin() as setup:
        setup.execute(text("CREATE TABLE IF NOT EXISTS conflict_probe (id INT PRIMARY KEY, v INT)"))
        setup.execute(text("DELETE FROM conflict_probe"))
        setup.execute(text("INSERT INTO conflict_probe VALUES (1, 0), (2, 0)"))
    one, two = engine.connect(), engine.connect()
    errors: list[BaseException] = []
    try:
        if kind == "serialization":
            one.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            one.execute(text("SELECT v FROM conflict_probe WHERE id = 1"))  # the snapshot
            two.execute(text("UPDATE conflict_probe SET v = 1 WHERE id = 1"))
            two.commit()
            one.execute(text("UPDATE conflict_probe SET v = 2 WHERE id = 1"))
        else:
            one.execute(text("UPDATE conflict_probe SET v = 1 WHERE id = 1"))
            two.execute(text("UPDATE conflict_probe SET v = 1 WHERE id = 2"))

            def cross(connection: Any, row: int) -> None:
                try:
                    connection.execute(text(f"UPDATE conflict_probe SET v = 2 WHERE id = {row}"))
                except DBAPIError as error:
                    errors.append(error)
                    connection.rollback()

            other = threading.Thread(target=cross, args=(one, 2))
            other.start()
            time.sleep(0.3)
            cross(two, 1)
            other.join(30)
    except DBAPIError as error:
        errors.append(error)
    finally:
        for connection in (one, two):
            connection.rollback()
            connection.close()
        with engine.begin() as cleanup:  # the schema must keep matching the tables
            cleanup.execute(text("DROP TABLE conflict_probe"))
    assert len(errors) == 1, errors
    return errors[0]


def test_sqlite_lock_is_transient(tmp_path: Any) -> None:
    error = _sqlite_locked(tmp_path)
    assert "database is locked" in str(error)
    assert is_transient(error) and is_transient(error.orig)  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", [p for p in BACKENDS if p != "sqlite"])
@pytest.mark.parametrize("kind", ["serialization", "deadlock"])
def test_postgres_conflicts_are_transient(
    backend: str, kind: str, request: pytest.FixtureRequest
) -> None:
    engine: Engine = request.getfixturevalue("postgres_engine")
    error = _postgres_conflict(engine, kind)
    expected = {"serialization": "40001", "deadlock": "40P01"}[kind]
    assert error.orig.sqlstate == expected  # type: ignore[attr-defined]
    assert is_transient(error)


def test_other_errors_are_not_transient(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.execute(text("INSERT INTO pool_state (id, epoch, revision) VALUES (7, 'e', 0)"))
    with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
        connection.execute(text("INSERT INTO pool_state (id, epoch, revision) VALUES (7, 'e', 0)"))
    assert not is_transient(raised.value)
    assert not is_transient(ValueError("database is locked"))  # the text alone is not enough
