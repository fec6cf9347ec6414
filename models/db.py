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
            kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _ensure_parent_dir(url: str) -> None:
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path:
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


SQLITE_POOL_SIZE = 40
"""The SQLite file connections a pool keeps: as many as request threads can use at once
(anyio's default limit, 40).  With SQLAlchemy's default of five, the sixth to eighth of
eight concurrent stored `GET …/matches` each opened a connection (a file open, the
pragmas below, a cold statement cache and memory map) and closed it after its two
statements (py-spy, issue 17).  An idle connection holds a file handle and its page cache
(up to 2 MB, filled only as it reads).  PostgreSQL keeps the default: its connections
are server processes, bounded there."""

SQLITE_MMAP_BYTES = 256 * 1024 * 1024
"""How much of an SQLite file its connections read through a memory map (PRAGMA mmap_size).

SQLite's own page cache is 2 MB per connection by default: a stored `GET …/matches`
reading the pages of one run after another (its matches, their partners) found
them evicted and read them from the file again, one system call per page, which
doubled the time of its two statements (bench/README.md, issue 17).  A memory
map serves them from the operating system's cache without the calls, shared by
every connection and every server process (`ld serve --workers N`) rather than
one private cache each.  Only address space is reserved; a database file on a
network file system should not be served this way (SQLite's mmap caveats)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
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
