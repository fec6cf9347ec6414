"""Engines, sessions and schema migrations.

Nothing here runs at import: callers make an engine from a URL they chose
(settings, a test fixture, the CLI) and pass it on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys.

    Example:
        >>> engine = make_engine("sqlite://")
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        if url in ("sqlite://", "sqlite:///:memory:"):
            # One shared connection, or each session would see its own empty DB.
            kwargs.setdefault("poolclass", StaticPool)
        else:
            _ensure_parent_dir(url)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _ensure_parent_dir(url: str) -> None:
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path:
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def run_migrations(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`; a no-op when it is already there."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error (CLI, jobs).

    Objects stay readable after the commit, so callers can report what they wrote.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
