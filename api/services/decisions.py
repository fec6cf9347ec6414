"""The officers' decisions as the learner and the decision report read them.

Each enterprise with at least one reviewed pair contributes its reviewed pairs
(the engagement's current status is the outcome, its last change the time)
and the pairs of its current ranking's visible top `VISIBLE` that nobody
reviewed ("shown").  Their components are scored afresh with the shipped
weights (matcher.matching.observed), so every decision is in the units a learned
overlay multiplies, whichever config ranked the list the officer saw; pairs a
hard filter now removes are left out.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from api.runtime import Runtime
from api.services.matching import current_run, ranking_input
from api.services.pool import partner_index
from matcher.matching.learning_data import SHOWN, Decision
from matcher.matching.observed import pair_parts
from models.tables import Engagement, Enterprise, Match

VISIBLE = 20
"""How many of a ranking the officers are taken to have seen (the page shows 20)."""


def engagements_by_enterprise(session: Session) -> dict[int, list[Engagement]]:
    rows = session.exec(select(Engagement).order_by(col(Engagement.id))).all()
    out: dict[int, list[Engagement]] = defaultdict(list)
    for row in rows:
        out[row.enterprise_id].append(row)
    return dict(out)


def shown_partner_ids(session: Session, enterprise_id: int) -> list[int]:
    run = current_run(session, enterprise_id)
    if run is None:
        return []
    return list(
        session.exec(
            select(Match.partner_id)
            .where(Match.run_id == run.id, col(Match.rank) <= VISIBLE)
            .order_by(col(Match.rank))
        ).all()
    )


def collect_decisions(*, session: Session, runtime: Runtime) -> list[Decision]:
    """Every reviewed pair and every shown-but-unreviewed pair, with base-weight components."""
    assert runtime.base_config is not None
    groups = engagements_by_enterprise(session)
    if not groups:
        return []
    index, _ = partner_index(session=session, runtime=runtime)
    decisions: list[Decision] = []
    for enterprise_id in sorted(groups):
        row = session.get(Enterprise, enterprise_id)
        if row is None or row.archived:
            continue
        reviewed = {e.partner_id: e for e in groups[enterprise_id]}
        shown = [p for p in shown_partner_ids(session, enterprise_id) if p not in reviewed]
        item = ranking_input(session=session, row=row, runtime=runtime)
        category, parts = pair_parts(
            item.profile,
            item.diagnosis.categories_for_matching(),
            [str(p) for p in (*reviewed, *shown)],
            index=index,
            query_embedding=item.query_vector,
            config=runtime.base_config,
            industries=runtime.industries,
            chain=runtime.chain,
        )
        for partner_id, engagement in reviewed.items():
            if str(partner_id) in parts:
                decisions.append(
                    Decision(
                        enterprise=str(enterprise_id),
                        partner=str(partner_id),
                        outcome=engagement.status,
                        parts=parts[str(partner_id)].parts,
                        levels=parts[str(partner_id)].levels,
                        scales=parts[str(partner_id)].scales,
                        crowded=parts[str(partner_id)].crowded,
                        category=category,
                        at=engagement.updated_at,
                        note=engagement.note,
                    )
                )
        for partner_id in shown:
            if str(partner_id) in parts:
                decisions.append(
                    Decision(
                        enterprise=str(enterprise_id),
                        partner=str(partner_id),
                        outcome=SHOWN,
                        parts=parts[str(partner_id)].parts,
                        levels=parts[str(partner_id)].levels,
                        scales=parts[str(partner_id)].scales,
                        crowded=parts[str(partner_id)].crowded,
                        category=category,
                    )
                )
    return decisions
