"""Migrations: they build the schema the tables declare, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, text
from sqlmodel import SQLModel

from models.db import make_engine, run_migrations


def test_migrations_match_the_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_migrations_match_the_tables_column_types_too(engine: Engine) -> None:
    """The tables share columns with their create schemas (models/bases.py): the API's
    types there (Literal codes, constrained text and money) must still map to the
    column types the migrations created."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_migrations_are_idempotent(engine: Engine) -> None:
    run_migrations(engine)
    run_migrations(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"enterprise", "asset", "partner", "apitoken", "auditlog", "alembic_version"} <= tables


def test_file_database_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'ld.db'}")
    run_migrations(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    assert (tmp_path / "nested" / "ld.db").exists()


def test_file_database_keeps_a_connection_per_request_thread(tmp_path: Path) -> None:
    """Eight requests reading at once, then eight more: the second eight reuse the first
    eight's connections instead of opening (and closing) those past the pool's size."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ld.db'}")
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    for _ in range(2):
        connections = [engine.connect() for _ in range(8)]
        for connection in connections:
            connection.execute(text("SELECT 1"))
        for connection in connections:
            connection.close()
    assert len(opened) == 8
    engine.dispose()


def test_a_page_of_a_run_is_read_by_rank_not_sorted(tmp_path: Path) -> None:
    """The stored GET's page statement walks the (run_id, rank) index and stops at the
    page's end, rather than reading the run's every match and sorting them."""
    from api.services.matching import _matches_query

    engine = make_engine(f"sqlite:///{tmp_path / 'ld.db'}")
    run_migrations(engine)
    for flags in ((False, False, False, False), (True, True, True, True)):
        statement = _matches_query(*flags, view="page")
        compiled = statement.compile(engine, compile_kwargs={"render_postcompile": True})
        params = {"run_id": 1, "limit": 10, "kind": "fund", "min_score": 0.5}
        with engine.connect() as connection:
            plan = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled),
                tuple(compiled.construct_params(params)[key] for key in compiled.positiontup),
            ).all()
        details = " | ".join(row[-1] for row in plan)
        assert "ix_match_run_rank" in details, details
        assert "TEMP B-TREE" not in details, details
    engine.dispose()
