"""Versioned matcher configs: learn a candidate, list them, activate one (or roll back).

A candidate is the shipped weights file with a learned overlay
(matcher.matching.learning); it ranks nothing until an admin activates it.
Activation writes the one state row, audits it and queues the re-score of
every stored ranking; each process follows the state row (`sync_runtime`, one
primary-key read per request and per job block), so its rankings are stamped
with the active config's hash and the stored ones become stale at once.
Activating `base` (or any earlier version) brings back exactly the config, and
so exactly the rankings, it had.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.config import Settings
from api.errors import Conflict
from api.runtime import Runtime
from api.services.audit import record_audit
from api.services.config_state import STATE, active_version, config_of, sync_runtime
from api.services.decisions import collect_decisions
from api.services.triggers import queue_automatic_rescore
from matcher.matching.config import MatcherConfig
from matcher.matching.learning_data import LearnSettings, NotEnoughDecisions, Overlay
from matcher.matching.learning_loop import learn
from models.config_tables import BASE_VERSION, MatcherConfigVersion
from models.tables import Job

TOO_FEW_DECISIONS = (
    "决策数量不足，无法学习新的匹配权重：已有 {count} 条审核决策，至少需要 {needed} 条"
    "（LD_LEARN_MIN_DECISIONS）"
)
ACTIVATION_REASON = "matcher config activated"


class TooFewDecisions(Conflict):
    def __init__(self, count: int, needed: int) -> None:
        super().__init__(TOO_FEW_DECISIONS.format(count=count, needed=needed))
        self.extra = {"count": count, "needed": needed}


def learn_settings(settings: Settings) -> LearnSettings:
    return LearnSettings(
        min_decisions=settings.learn_min_decisions,
        strengths=tuple(settings.learn_strengths),
        category_strengths=tuple(settings.learn_category_strengths),
        inner_folds=settings.learn_inner_folds,
        min_category_decisions=settings.learn_min_category_decisions,
        holdout_share=settings.learn_holdout_share,
    )


def _next_version(session: Session) -> str:
    count = session.exec(select(func.count()).select_from(MatcherConfigVersion)).one()
    return f"v{int(count) + 1}"


def learn_candidate(
    *, session: Session, runtime: Runtime, settings: LearnSettings, actor: str
) -> MatcherConfigVersion:
    """Fit a candidate from the decisions and store it, inactive (not committed).

    Raises:
        TooFewDecisions: when fewer pairs were reviewed than the threshold.
    """
    sync_runtime(session, runtime)
    decisions = collect_decisions(session=session, runtime=runtime)
    active = runtime.active_version
    current = Overlay.of(runtime.matcher_config)
    try:
        learned = learn(decisions, current, runtime.registry.names, settings)
    except NotEnoughDecisions as error:
        raise TooFewDecisions(error.count, error.needed) from None
    version = _next_version(session)
    assert runtime.base_config is not None
    config = learned.overlay.apply(runtime.base_config, f"{runtime.base_config.version}+{version}")
    row = MatcherConfigVersion(
        version=version,
        overlay=learned.overlay.to_dict(),
        base_hash=runtime.base_config.config_hash(),
        config_hash=config.config_hash(),
        data=learned.data,
        held_out=learned.held_out,
        metrics=learned.metrics,
        compared_with=active,
        settings=asdict(settings),
        created_by=actor,
    )
    session.add(row)
    record_audit(
        session=session,
        actor=actor,
        action="learn",
        entity="matcher_config",
        entity_id=version,
        changes={"data": learned.data, "overlay": learned.overlay.to_dict()},
    )
    session.flush()
    return row


@dataclass(frozen=True)
class ConfigEntry:
    version: str
    active: bool
    config_hash: str
    overlay: dict[str, Any]
    data: dict[str, Any]
    held_out: dict[str, Any]
    metrics: dict[str, Any]
    compared_with: str
    created_by: str
    created_at: Any


def list_configs(*, session: Session, runtime: Runtime) -> tuple[str, list[ConfigEntry]]:
    """(the active version, every version newest first, the shipped `base` last)."""
    active = active_version(session)
    rows = session.exec(
        select(MatcherConfigVersion).order_by(col(MatcherConfigVersion.id).desc())
    ).all()
    entries = [
        ConfigEntry(
            version=r.version,
            active=r.version == active,
            config_hash=r.config_hash,
            overlay=r.overlay,
            data=r.data,
            held_out=r.held_out,
            metrics=r.metrics,
            compared_with=r.compared_with,
            created_by=r.created_by,
            created_at=r.created_at,
        )
        for r in rows
    ]
    base = runtime.base_config
    assert base is not None
    entries.append(
        ConfigEntry(
            version=BASE_VERSION,
            active=active == BASE_VERSION,
            config_hash=base.config_hash(),
            overlay={},
            data={},
            held_out={},
            metrics={},
            compared_with="",
            created_by="",
            created_at=None,
        )
    )
    return active, entries


def activate(
    *, session: Session, runtime: Runtime, version: str, actor: str
) -> tuple[MatcherConfig, Job | None]:
    """Make `version` the active config, audit it and queue the re-score (not committed).

    The caller commits, then calls `sync_runtime` (this process follows at once;
    the others at their next read of the state row).

    Raises:
        NotFound: for an unknown version.
        Conflict: when it is already active.
    """
    config = config_of(session, runtime, version)
    STATE.switch(session, version, actor=actor, changes={"config_hash": config.config_hash()})
    job = queue_automatic_rescore(session=session, enterprise_ids=None, reason=ACTIVATION_REASON)
    session.flush()
    return config, job
