"""The one state row that names which version of a versioned thing is active.

The matcher configs (api/services/config_state.py) and the diagnosis models
(api/services/diagnosis_models.py) keep their candidates in a table of their
own and the active one in a single-row state table; reading the row, folding
it into a larger query and switching it (audited) are the same for both, and
live here once.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from api.errors import Conflict
from api.services.audit import record_audit
from models.config_tables import BASE_VERSION
from models.tables import utcnow


class ActiveVersion:
    """Reads and switches the active version kept in `table`'s row 1 (no row: `base`)."""

    def __init__(self, table: Any, *, entity: str, already_active: str) -> None:
        """`entity` names it in the audit log; `already_active` is the Chinese message
        (with `{version}`) of a switch to the version that is active already."""
        self.table, self.entity, self.already_active = table, entity, already_active
        self._statement = select(table.active_version).where(col(table.id) == 1)
        """Built once: every request reads it, and building a statement costs more than
        running this one."""

    def read(self, session: Session) -> str:
        return self.of(session.exec(self._statement).first())

    @staticmethod
    def of(stored: str | None) -> str:
        """The active version from the state row's column (None: no row, the shipped one)."""
        return stored if stored is not None else BASE_VERSION

    def column(self) -> Any:
        """The active version as a scalar subquery, for a query that reads more at once."""
        return self._statement.scalar_subquery()

    def switch(
        self, session: Session, version: str, *, actor: str, changes: dict[str, Any] | None = None
    ) -> str:
        """Make `version` active and audit it (not committed); returns the one it replaces.

        Raises:
            Conflict: when `version` is active already.
        """
        state = session.get(self.table, 1)
        old = state.active_version if state is not None else BASE_VERSION
        if old == version:
            raise Conflict(self.already_active.format(version=version))
        if state is None:
            state = self.table(id=1)
        state.active_version, state.activated_by, state.activated_at = version, actor, utcnow()
        session.add(state)
        record_audit(
            session=session,
            actor=actor,
            action="activate",
            entity=self.entity,
            entity_id=version,
            changes={"active_version": [old, version], **(changes or {})},
        )
        return old
