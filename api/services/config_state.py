"""Which matcher config a process follows: the active version's state row, read per request.

Its own module (not api.services.matcher_configs, which learns and activates) so
that the ranking services can read the state without importing the learner.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from api.errors import NOT_FOUND, NotFound
from api.runtime import Runtime
from matcher.matching.config import MatcherConfig
from matcher.matching.learning_data import Overlay
from models.config_tables import BASE_VERSION, MatcherConfigState, MatcherConfigVersion

CONFIG_LABEL = "匹配配置"


_ACTIVE_VERSION = select(MatcherConfigState.active_version).where(col(MatcherConfigState.id) == 1)
"""Built once: every request reads it (api.deps.get_runtime), and building a statement
costs more than running this one."""


def active_version(session: Session) -> str:
    return active_version_of(session.exec(_ACTIVE_VERSION).first())


def active_version_of(stored: str | None) -> str:
    """The active version from the state row's column (None: no row, the base config)."""
    return stored if stored is not None else BASE_VERSION


def active_version_column() -> Any:
    """The active version as a scalar subquery, for a query that reads more at once."""
    return _ACTIVE_VERSION.scalar_subquery()


def _row(session: Session, version: str) -> MatcherConfigVersion | None:
    return session.exec(
        select(MatcherConfigVersion).where(MatcherConfigVersion.version == version)
    ).first()


def config_of(session: Session, runtime: Runtime, version: str) -> MatcherConfig:
    """The full config of `version`: the shipped file, with the version's overlay if any.

    Raises:
        NotFound: for an unknown version.
    """
    base = runtime.base_config
    assert base is not None
    if version == BASE_VERSION:
        return base
    row = _row(session, version)
    if row is None:
        raise NotFound(NOT_FOUND.format(entity=CONFIG_LABEL, id=version))
    return Overlay.from_dict(row.overlay).apply(base, f"{base.version}+{version}")


def sync_runtime(session: Session, runtime: Runtime, version: str | None = None) -> None:
    """Make `runtime.matcher_config` the active version's config (a no-op when it is).

    `version`: the active version as the caller read it (a column of its own query);
    None reads it here.
    """
    version = active_version(session) if version is None else version
    if version == runtime.active_version:
        return
    config = config_of(session, runtime, version)
    runtime.matcher_config, runtime.active_version = config, version
