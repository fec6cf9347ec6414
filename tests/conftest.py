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
from matcher.industry import IndustryTable
from models.db import make_engine, run_migrations

ADMIN_TOKEN = "test-admin-token"
POSTGRES_URL = os.environ.get("LD_TEST_POSTGRES_URL")

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


@pytest.fixture(scope="session")
def industries() -> IndustryTable:
    return IndustryTable.from_csv(FIXTURES_DIR / "gbt4754_2017.csv")


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """One migrated PostgreSQL schema for the run, emptied before each test that uses it."""
    assert POSTGRES_URL
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    run_migrations(engine)
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
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings, engine)
    with TestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield test_client
