"""Optimistic concurrency for enterprises and partners: one version counter per row.

Every write first claims the row with a conditional UPDATE (`SET version =
version + 1 WHERE id = :id AND version = :seen`).  The database decides which of
two concurrent writers comes first: PostgreSQL makes the second wait for the
first's row lock and then finds no row at the old version; SQLite serialises
the two writes.  So two writers never both build on the same version: a caller
who sent If-Match gets 412 when it is stale, and one who did not is re-based on
what is stored now (its fields are applied on top of the other writer's, and
its audit row records the values it really replaced).  After the claim the
transaction holds the row (PostgreSQL) or the database (SQLite) until it
commits, so the rest of the write needs no further check.
"""

from __future__ import annotations

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, update

from api.errors import STALE_VERSION, STILL_CHANGING, Conflict, PreconditionFailed
from models.tables import Enterprise, Partner

CLAIM_ATTEMPTS = 5


def check_version(
    *, row: Enterprise | Partner, expected: frozenset[int] | None, entity: str
) -> None:
    """Refuse with 412 when the caller expects other versions than the row's (no write)."""
    if expected is not None and row.version not in expected:
        tags = ", ".join(f'"{v}"' for v in sorted(expected)) or "（无法识别）"
        raise PreconditionFailed(
            STALE_VERSION.format(entity=entity, id=row.id, current=row.version, expected=tags),
            current_version=row.version,
        )


def claim_version(
    *,
    session: Session,
    row: Enterprise | Partner,
    expected: frozenset[int] | None,
    entity: str,
) -> None:
    """Bump `row`'s version in the database if it is still the one read (and one `expected`).

    Args:
        row: the row as read in this session; refreshed from the database when
            another writer got there first.
        expected: the versions the caller's If-Match accepts; None for no condition.

    Raises:
        PreconditionFailed: the stored version is not one the caller expects.
        Conflict: other writers kept winning (only under a storm of writes).
    """
    model = type(row)
    for _ in range(CLAIM_ATTEMPTS):
        check_version(row=row, expected=expected, entity=entity)
        seen = row.version
        claimed = session.execute(
            update(model)
            .where(col(model.id) == row.id, col(model.version) == seen)
            .values(version=seen + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            set_committed_value(row, "version", seen + 1)
            return
        # Another writer committed in between: read what is stored now, holding the row.
        session.refresh(row, with_for_update=True)
    raise Conflict(STILL_CHANGING.format(entity=entity, id=row.id))
