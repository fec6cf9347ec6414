"""Shared fixtures: real databases (SQLite always, PostgreSQL when LD_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from api.config import FIXTURES_DIR, Settings
from api.main import create_app
from api.runtime import Runtime, load_runtime
from api.services.seed import seed_fixtures
from matcher.industry import IndustryTable
from models.db import make_engine, run_migrations, session_scope

ADMIN_TOKEN = "test-admin-token"
POSTGRES_URL = os.environ.get("LD_TEST_POSTGRES_URL")
PG_SCHEMA = f"ld_test_{os.getpid()}"


def _in_schema(url: str, schema: str) -> str:
    """The same database, with every connection's search_path set to `schema`.

    A schema of its own per test run keeps concurrent runs on one PostgreSQL
    (two developers, a developer and CI) from dropping each other's tables;
    putting it in the URL carries it into the worker processes the tests start.
    """
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="LD_TEST_POSTGRES_URL is not set"),
        ],
    ),
]


MODEL_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "models"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/pages drives a real Chromium: mark it `browser`, so the
    development lane (`make test-fast`) can leave the browser out."""
    for item in items:
        if item.nodeid.startswith("tests/pages/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def industries() -> IndustryTable:
    return IndustryTable.from_csv(FIXTURES_DIR / "gbt4754_2017.csv")


@pytest.fixture(scope="session")
def runtime() -> Runtime:
    """The real engine (rules, trained model, bundled sentence model), loaded once.

    The reference backend (sentence-transformers fp32), whatever the default is, so
    the reference path stays tested; `inline`: the tests that rank right after a
    write see every vector (tests/api/test_background_embeddings.py runs the
    service's background mode)."""
    return load_runtime(
        Settings(model_cache=MODEL_CACHE, embeddings="inline", embedding_backend="st-fp32")
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL schema of this run's own, dropped at the end."""
    assert POSTGRES_URL
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
    url = _in_schema(POSTGRES_URL, PG_SCHEMA)
    migrated = make_engine(url)
    run_migrations(migrated)
    migrated.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """The run's PostgreSQL schema, emptied before each test that uses it."""
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "postgres":
        pg: Engine = request.getfixturevalue("postgres_engine")
        _truncate(pg)
        yield pg
        return
    sqlite = make_engine("sqlite://")
    run_migrations(sqlite)
    yield sqlite
    sqlite.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        admin_token=ADMIN_TOKEN,
        data_dir=tmp_path / "data",
        run_migrations=False,
        start_worker=False,
    )


@pytest.fixture
def client(settings: Settings, engine: Engine, runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(settings, engine, runtime)
    with TestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield test_client


@pytest.fixture
def seeded(client: TestClient, engine: Engine, runtime: Runtime) -> TestClient:
    """The client over a database holding the demo enterprises and partners."""
    with session_scope(engine) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=runtime.industries)
    return client
