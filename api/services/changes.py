"""What changed between an enterprise's last two rankings, and why.

Compares the top N of the current run with the top N of the run before it.  A
partner that entered or left is explained by what the runs themselves record:
a partner new to (or gone from) the pool, a rejection, or the score components
that moved most between the two runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from api.auth import Principal
from api.services.enterprises import get_enterprise
from matcher.matching.registry import STANDARD_REGISTRY, Registry
from models.tables import Engagement, Match, MatchRun, Partner


@dataclass(frozen=True)
class RankChange:
    partner_id: int
    partner_name: str
    old_rank: int | None
    new_rank: int | None
    old_score: float | None
    new_score: float | None
    why: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunChanges:
    current_run_id: int | None
    previous_run_id: int | None
    entered: list[RankChange]
    left: list[RankChange]
    moved: list[RankChange]


def _runs(session: Session, enterprise_id: int) -> list[MatchRun]:
    return list(
        session.exec(
            select(MatchRun)
            .where(MatchRun.enterprise_id == enterprise_id)
            .order_by(col(MatchRun.id).desc())
            .limit(2)
        ).all()
    )


def _matches(session: Session, run: MatchRun | None) -> dict[int, Match]:
    if run is None:
        return {}
    rows = session.exec(select(Match).where(Match.run_id == run.id)).all()
    return {m.partner_id: m for m in rows}


def _component_shifts(old: Match | None, new: Match | None, titles: Mapping[str, str]) -> list[str]:
    if old is None or new is None:
        return []
    deltas = {
        k: new.components.get(k, 0.0) - old.components.get(k, 0.0)
        for k in set(old.components) | set(new.components)
    }
    moved = sorted((d, k) for k, d in deltas.items() if abs(d) >= 0.05)
    return [
        f"{titles.get(k, k)}{'上升' if d > 0 else '下降'} {abs(d):.2f}"
        for d, k in sorted(moved, key=lambda x: -abs(x[0]))[:3]
    ]


def _why(
    session: Session,
    enterprise_id: int,
    partner_id: int,
    old: Match | None,
    new: Match | None,
    all_old: dict[int, Match],
    all_new: dict[int, Match],
    titles: Mapping[str, str],
) -> list[str]:
    partner = session.get(Partner, partner_id)
    reasons = []
    if partner is None or partner.archived:
        reasons.append("该主体已归档")
    elif not partner.active:
        reasons.append("该主体已停止合作（inactive）")
    engagement = session.exec(
        select(Engagement).where(
            Engagement.enterprise_id == enterprise_id, Engagement.partner_id == partner_id
        )
    ).first()
    if engagement is not None and engagement.status == "rejected":
        reasons.append("经办人已标记为不合适")
    if partner_id not in all_old:
        reasons.append("新进入候选池（新增或此前未入围）")
    if partner_id not in all_new and not reasons:
        reasons.append("本次被硬性条件过滤或跌出候选范围")
    reasons += _component_shifts(all_old.get(partner_id), all_new.get(partner_id), titles)
    return reasons or ["其他主体得分变化导致名次变动"]


def match_changes(
    *,
    session: Session,
    enterprise_id: int,
    principal: Principal,
    top: int = 10,
    registry: Registry = STANDARD_REGISTRY,
) -> RunChanges:
    """The partners that entered, left or moved in the top `top`, each with why.

    Component shifts are named by `registry`'s titles (the runtime's registry).
    """
    get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    runs = _runs(session, enterprise_id)
    current = runs[0] if runs else None
    previous = runs[1] if len(runs) > 1 else None
    new_all, old_all = _matches(session, current), _matches(session, previous)
    new_top = {p: m for p, m in new_all.items() if m.rank <= top}
    old_top = {p: m for p, m in old_all.items() if m.rank <= top}

    def change(pid: int) -> RankChange:
        old, new = old_top.get(pid), new_top.get(pid)
        partner = session.get(Partner, pid)
        return RankChange(
            partner_id=pid,
            partner_name=partner.name if partner else str(pid),
            old_rank=old.rank if old else None,
            new_rank=new.rank if new else None,
            old_score=old.score if old else None,
            new_score=new.score if new else None,
            why=_why(session, enterprise_id, pid, old, new, old_all, new_all, registry.titles),
        )

    entered = [
        change(p) for p in sorted(set(new_top) - set(old_top), key=lambda p: new_top[p].rank)
    ]
    left = [change(p) for p in sorted(set(old_top) - set(new_top), key=lambda p: old_top[p].rank)]
    moved = [
        change(p)
        for p in sorted(set(new_top) & set(old_top), key=lambda p: new_top[p].rank)
        if new_top[p].rank != old_top[p].rank
    ]
    return RunChanges(
        current_run_id=current.id if current else None,
        previous_run_id=previous.id if previous else None,
        entered=entered,
        left=left,
        moved=moved,
    )
