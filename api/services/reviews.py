"""The officers' decisions on matches, along the project lifecycle (项目全生命周期).

A decision belongs to the enterprise–partner pair, not to one computed match,
so it survives every re-score; each change is kept as an event with who and
when.  Only forward steps are allowed (a stage may be skipped when officers
record late), `rejected` needs a note and can be reopened to `shortlisted`.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.auth import Principal
from api.errors import NOT_FOUND, ROLE_FORBIDDEN, Conflict, FieldInvalid, Forbidden, NotFound
from api.services.audit import record_audit
from api.services.enterprises import get_enterprise
from matcher.vocab import REVIEW_STATUSES
from models.tables import Engagement, EngagementEvent, Match, utcnow

STAGES = ("shortlisted", "contacted", "negotiating", "signed", "landed")
REJECT_NEEDS_NOTE = "标记为“不合适”（rejected）须填写说明"
BAD_TRANSITION = "不能从“{old}”改为“{new}”：{hint}"


def allowed_next(status: str | None) -> tuple[str, ...]:
    """The statuses a pair may move to from `status` (None: not yet reviewed)."""
    if status is None:
        return (*STAGES[:2], "rejected")
    if status == "rejected":
        return ("shortlisted",)
    if status == "landed":
        return ()
    position = STAGES.index(status)
    return (*STAGES[position + 1 :], "rejected")


def _label(status: str | None) -> str:
    return "未处理" if status is None else REVIEW_STATUSES[status]


def get_match(*, session: Session, match_id: int, principal: Principal) -> Match:
    match = session.get(Match, match_id)
    if match is None:
        raise NotFound(NOT_FOUND.format(entity="匹配", id=match_id))
    get_enterprise(session=session, enterprise_id=match.enterprise_id, principal=principal)
    return match


def engagement_for(session: Session, enterprise_id: int, partner_id: int) -> Engagement | None:
    return session.exec(
        select(Engagement).where(
            Engagement.enterprise_id == enterprise_id, Engagement.partner_id == partner_id
        )
    ).first()


def history(session: Session, engagement: Engagement | None) -> list[EngagementEvent]:
    if engagement is None:
        return []
    return list(
        session.exec(
            select(EngagementEvent)
            .where(EngagementEvent.engagement_id == engagement.id)
            .order_by(col(EngagementEvent.id))
        ).all()
    )


def review_match(
    *, session: Session, match_id: int, status: str, note: str, principal: Principal
) -> tuple[Match, Engagement]:
    """Move the pair to `status`, keeping the step in its history."""
    if not principal.can_review:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))
    if status == "rejected" and not note.strip():
        raise FieldInvalid(("body", "note"), REJECT_NEEDS_NOTE)
    match = get_match(session=session, match_id=match_id, principal=principal)
    engagement = engagement_for(session, match.enterprise_id, match.partner_id)
    old = engagement.status if engagement else None
    if status not in allowed_next(old):
        options = "、".join(_label(s) for s in allowed_next(old)) or "已是最终状态"
        raise Conflict(
            BAD_TRANSITION.format(old=_label(old), new=_label(status), hint=f"可选：{options}")
        )
    if engagement is None:
        engagement = Engagement(
            enterprise_id=match.enterprise_id, partner_id=match.partner_id, status=status
        )
    engagement.status, engagement.note = status, note
    engagement.updated_by, engagement.updated_at = principal.actor, utcnow()
    session.add(engagement)
    session.flush()
    session.add(
        EngagementEvent(
            engagement_id=engagement.id,
            match_id=match.id,
            from_status=old,
            to_status=status,
            note=note,
            actor=principal.actor,
        )
    )
    record_audit(
        session=session,
        actor=principal.actor,
        action="review",
        entity="engagement",
        entity_id=engagement.id,
        changes={"status": [old, status], "note": note, "match_id": match.id},
    )
    session.flush()
    return match, engagement
