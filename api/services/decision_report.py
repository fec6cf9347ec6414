"""What the officers' decisions say about the engine (dashboard and GET /matcher/decisions).

Three readings, each held to the caller's counties like every dashboard total:

* overrides by from → to category: where officers keep disagreeing with the diagnosis;
* rejection notes grouped by the component that ranked the rejected partner
  highest (the largest contribution in the match the officer rejected);
* the share of landed deals whose partner was in the engine's first five when
  the officers first took it up (the match of the pair's first review).

A match row pruned since (runs are kept a few at a time) falls back to the
pair's newest stored match; a pair with none is counted as unknown.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from api.auth import Principal
from api.services.dashboard import visible_enterprise_ids
from matcher.matching.registry import Registry
from models.tables import (
    DiagnosisOverride,
    DiagnosisRecord,
    Engagement,
    EngagementEvent,
    Match,
)

TOP = 5
NOTES_SHOWN = 5


@dataclass(frozen=True)
class OverrideFlow:
    from_category: str
    to_category: str
    count: int


@dataclass(frozen=True)
class RejectionGroup:
    component: str
    title: str
    count: int
    notes: list[str] = field(default_factory=list)
    """The most recent notes, newest first (at most NOTES_SHOWN)."""


@dataclass(frozen=True)
class DecisionReport:
    overrides: list[OverrideFlow]
    rejections: list[RejectionGroup]
    landed: int
    landed_in_top5: int
    landed_rank_unknown: int

    @property
    def landed_top5_share(self) -> float | None:
        known = self.landed - self.landed_rank_unknown
        return round(self.landed_in_top5 / known, 4) if known else None


def _override_flows(session: Session, ids: list[int]) -> list[OverrideFlow]:
    rows = session.exec(
        select(DiagnosisOverride, DiagnosisRecord)
        .join(DiagnosisRecord, col(DiagnosisRecord.id) == col(DiagnosisOverride.diagnosis_id))
        .where(col(DiagnosisOverride.enterprise_id).in_(ids))
    ).all()
    counts = Counter(
        (record.primary, override.primary)
        for override, record in rows
        if record.primary != override.primary
    )
    return [
        OverrideFlow(a, b, n) for (a, b), n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    ]


def _seen_match(session: Session, engagement: Engagement, first: bool) -> Match | None:
    """The match the officer acted on (first or last review event), or the pair's newest."""
    events = session.exec(
        select(EngagementEvent.match_id)
        .where(EngagementEvent.engagement_id == engagement.id)
        .order_by(col(EngagementEvent.id) if first else col(EngagementEvent.id).desc())
    ).all()
    for match_id in events:
        if match_id is not None:
            found = session.get(Match, match_id)
            if found is not None:
                return found
    return session.exec(
        select(Match)
        .where(
            Match.enterprise_id == engagement.enterprise_id,
            Match.partner_id == engagement.partner_id,
        )
        .order_by(col(Match.id).desc())
    ).first()


def _strongest_component(match: Match, registry: Registry) -> str | None:
    parts = {k: v for k, v in match.components.items() if k in registry.titles}
    if not parts:
        return None
    name, value = max(parts.items(), key=lambda kv: (kv[1], kv[0]))
    return name if value > 0 else None


def decision_report(
    *, session: Session, principal: Principal, registry: Registry
) -> DecisionReport:
    ids = visible_enterprise_ids(session, principal)
    if not ids:
        return DecisionReport([], [], 0, 0, 0)
    engagements = session.exec(
        select(Engagement)
        .where(col(Engagement.enterprise_id).in_(ids))
        .order_by(col(Engagement.updated_at).desc(), col(Engagement.id).desc())
    ).all()
    grouped: dict[str, list[str]] = defaultdict(list)
    landed = in_top = unknown = 0
    for e in engagements:
        if e.status == "rejected":
            match = _seen_match(session, e, first=False)
            component = _strongest_component(match, registry) if match else None
            grouped[component or ""].append(e.note)
        elif e.status == "landed":
            landed += 1
            match = _seen_match(session, e, first=True)
            if match is None:
                unknown += 1
            elif match.rank <= TOP:
                in_top += 1
    titles = {**registry.titles, "": "无正向贡献（未知）"}
    rejections = [
        RejectionGroup(c, titles.get(c, c), len(notes), [n for n in notes if n][:NOTES_SHOWN])
        for c, notes in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return DecisionReport(_override_flows(session, ids), rejections, landed, in_top, unknown)
