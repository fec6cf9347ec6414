"""The officers' decisions on matches, along the project lifecycle (项目全生命周期).

A decision belongs to the enterprise–partner pair, not to one computed match,
so it survives every re-score; each change is kept as an event with who and
when.  The lifecycle is declared once, in `TRANSITIONS`: only forward steps
(a stage may be skipped when officers record late), `rejected` from any stage
but the final one and only with a note, reopened through `shortlisted`, and
`landed` final.

Checking a step and writing it is one atomic act: the write is conditional on
the status the check was made against (an UPDATE … WHERE status = old, or an
INSERT … ON CONFLICT DO NOTHING for a pair's first decision).  When another
officer's decision landed in between, the write changes nothing; the new
status is read again and the step is checked against it, exactly as if the two
requests had come one after the other.  So concurrent reviews always leave a
history that is a valid path, and nothing ever leaves `landed`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select, update

from api.auth import Principal
from api.errors import NOT_FOUND, ROLE_FORBIDDEN, Conflict, FieldInvalid, Forbidden, NotFound
from api.services.audit import record_audit
from api.services.enterprises import get_enterprise
from matcher.vocab import REVIEW_STATUSES
from models.tables import Engagement, EngagementEvent, Match, utcnow

STAGES = ("shortlisted", "contacted", "negotiating", "signed", "landed")
REJECTED = "rejected"
REOPEN = "shortlisted"
FIRST_STAGES = STAGES[:2]
"""Where a pair's first decision may put it (a late record may start at 已对接)."""


def _transitions() -> Mapping[str | None, tuple[str, ...]]:
    table: dict[str | None, tuple[str, ...]] = {None: (*FIRST_STAGES, REJECTED)}
    for position, stage in enumerate(STAGES):
        later = STAGES[position + 1 :]
        table[stage] = (*later, REJECTED) if later else ()  # the last stage is final
    table[REJECTED] = (REOPEN,)
    return table


TRANSITIONS = _transitions()
"""Status (None: not yet reviewed) → the statuses it may move to: the whole lifecycle."""

REJECT_NEEDS_NOTE = "标记为“不合适”（rejected）须填写说明"
BAD_TRANSITION = "不能从“{old}”改为“{new}”：{hint}"
REVIEW_BUSY = "该匹配的状态正被频繁修改，请刷新后重试"
WRITE_ATTEMPTS = 8
"""Conditional writes tried before giving up; each miss means another decision was stored."""


def allowed_next(status: str | None) -> tuple[str, ...]:
    """The statuses a pair may move to from `status` (None: not yet reviewed)."""
    return TRANSITIONS[status]


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


def _check_step(old: str | None, new: str) -> None:
    if new not in allowed_next(old):
        options = "、".join(_label(s) for s in allowed_next(old)) or "已是最终状态"
        hint = f"可选：{options}"
        raise Conflict(BAD_TRANSITION.format(old=_label(old), new=_label(new), hint=hint))


def _current(session: Session, enterprise_id: int, partner_id: int) -> Engagement | None:
    """The pair's engagement as committed now (not as this session first loaded it)."""
    return session.exec(
        select(Engagement)
        .where(Engagement.enterprise_id == enterprise_id, Engagement.partner_id == partner_id)
        .execution_options(populate_existing=True)
    ).first()


def _insert_first(session: Session, match: Match, values: dict[str, object]) -> bool:
    """Create the pair's engagement unless another request just did; True if this one did."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Engagement.__table__)  # type: ignore[attr-defined]  # Core, not an ORM bulk insert
        .values(
            enterprise_id=match.enterprise_id,
            partner_id=match.partner_id,
            created_at=values["updated_at"],
            **values,
        )
        .on_conflict_do_nothing(index_elements=["enterprise_id", "partner_id"])
        .returning(col(Engagement.id))  # a row back only if this insert made one
    )
    return session.connection().execute(statement).first() is not None


def _move(session: Session, engagement: Engagement, old: str, values: dict[str, object]) -> bool:
    """Set the new status only if it is still `old`; True if this request's write won."""
    result = session.exec(  # type: ignore[call-overload]
        update(Engagement)
        .where(col(Engagement.id) == engagement.id, col(Engagement.status) == old)
        .values(**values)
    )
    return bool(result.rowcount == 1)


def _write_step(
    session: Session, match: Match, status: str, note: str, actor: str
) -> tuple[Engagement, str | None]:
    """Check and store one step atomically; returns the engagement and the status it left."""
    values: dict[str, object] = {
        "status": status,
        "note": note,
        "updated_by": actor,
        "updated_at": utcnow(),
    }
    for _ in range(WRITE_ATTEMPTS):
        engagement = _current(session, match.enterprise_id, match.partner_id)
        old = engagement.status if engagement else None
        _check_step(old, status)
        if engagement is None:
            won = _insert_first(session, match, values)
        else:
            won = _move(session, engagement, engagement.status, values)
        if won:
            stored = _current(session, match.enterprise_id, match.partner_id)
            assert stored is not None
            return stored, old
    raise Conflict(REVIEW_BUSY)


def review_match(
    *, session: Session, match_id: int, status: str, note: str, principal: Principal
) -> tuple[Match, Engagement]:
    """Move the pair to `status`, keeping the step in its history (see the module's note)."""
    if not principal.can_review:
        raise Forbidden(ROLE_FORBIDDEN.format(role=principal.role))
    if status == REJECTED and not note.strip():
        raise FieldInvalid(("body", "note"), REJECT_NEEDS_NOTE)
    match = get_match(session=session, match_id=match_id, principal=principal)
    engagement, old = _write_step(session, match, status, note, principal.actor)
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
