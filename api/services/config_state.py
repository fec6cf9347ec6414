"""Which matcher config a process follows: the active version's state row, read per request.

Its own module (not api.services.matcher_configs, which learns and activates) so
that the ranking services can read the state without importing the learner.
"""

from __future__ import annotations

from sqlmodel import Session, select

from api.errors import NOT_FOUND, NotFound
from api.runtime import Runtime
from api.services.active_versions import ActiveVersion
from matcher.matching.config import MatcherConfig
from matcher.matching.learning_data import Overlay
from models.config_tables import BASE_VERSION, MatcherConfigState, MatcherConfigVersion

CONFIG_LABEL = "匹配配置"


ALREADY_ACTIVE = "匹配配置 {version} 已是当前生效版本"
STATE = ActiveVersion(MatcherConfigState, entity="matcher_config", already_active=ALREADY_ACTIVE)
"""The row naming the active matcher config (read on every request and job block)."""


def active_version(session: Session) -> str:
    return STATE.read(session)


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
