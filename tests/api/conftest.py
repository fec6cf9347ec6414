"""Fixtures of the API tests that need a database several connections (or processes) share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from models.db import make_engine, run_migrations
from tests.conftest import BACKENDS, _truncate


@pytest.fixture(params=BACKENDS)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on a SQLite file or the run's PostgreSQL schema (emptied first)."""
    if request.param == "postgres":
        _truncate(request.getfixturevalue("postgres_engine"))
        yield request.getfixturevalue("postgres_url")
        return
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    run_migrations(engine)
    engine.dispose()
    yield url
