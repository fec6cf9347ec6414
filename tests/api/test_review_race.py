"""Concurrent reviews of one match: real threads, each with its own connection, like requests."""

from __future__ import annotations

import threading

from sqlmodel import Session, col, select

from api.auth import Principal
from api.config import FIXTURES_DIR
from api.errors import Conflict
from api.services.reviews import allowed_next, review_match
from api.services.seed import seed_fixtures
from matcher.industry import IndustryTable
from models.db import session_scope
from models.tables import Engagement, EngagementEvent, Match, MatchRun
from tests.api.job_helpers import shared_engine

OFFICER = Principal(name="并发测试", role="officer")
RIVALS = ["signed", "landed", "rejected", "signed", "landed", "rejected", "landed", "signed"]
"""Eight decisions sent at once from 考察洽谈: each is allowed from there, not all in a row."""
ROUNDS = 4


def _matches(url: str, industries: IndustryTable) -> list[int]:
    """A stored ranking of enterprise 1 over partners 1..ROUNDS (the reviews' targets)."""
    with session_scope(shared_engine(url)) as session:
        seed_fixtures(session=session, fixtures_dir=FIXTURES_DIR, industries=industries)
        run = MatchRun(
            enterprise_id=1,
            config_hash="race",
            model_name="race",
            pool_version="race",
            enterprise_version="race",
            is_current=True,
        )
        session.add(run)
        session.flush()
        matches = [
            Match(run_id=run.id or 0, enterprise_id=1, partner_id=p, rank=p, score=1.0 / p)
            for p in range(1, ROUNDS + 1)
        ]
        session.add_all(matches)
        session.flush()
        return [m.id or 0 for m in matches]


def _review(url: str, match_id: int, status: str) -> str:
    """One request's work: its own session, the service, the commit; "ok" or the 409."""
    with Session(shared_engine(url), expire_on_commit=False) as session:
        try:
            review_match(
                session=session, match_id=match_id, status=status, note="并发", principal=OFFICER
            )
            session.commit()
            return "ok"
        except Conflict:
            session.rollback()
            return "409"


def _all_at_once(url: str, match_id: int, statuses: list[str]) -> list[str]:
    start = threading.Barrier(len(statuses))
    outcomes = [""] * len(statuses)

    def send(n: int) -> None:
        start.wait()
        outcomes[n] = _review(url, match_id, statuses[n])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(statuses))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def _history(url: str, match_id: int) -> tuple[list[tuple[str | None, str]], str]:
    with Session(shared_engine(url)) as session:
        match = session.get(Match, match_id)
        assert match is not None
        engagement = session.exec(
            select(Engagement).where(
                Engagement.enterprise_id == match.enterprise_id,
                Engagement.partner_id == match.partner_id,
            )
        ).one()
        events = session.exec(
            select(EngagementEvent)
            .where(EngagementEvent.engagement_id == engagement.id)
            .order_by(col(EngagementEvent.id))
        ).all()
        return [(e.from_status, e.to_status) for e in events], engagement.status


def test_concurrent_reviews_leave_a_valid_path(shared_url: str, industries: IndustryTable) -> None:
    for match_id in _matches(shared_url, industries):
        for step in ("shortlisted", "negotiating"):
            assert _review(shared_url, match_id, step) == "ok"
        outcomes = _all_at_once(shared_url, match_id, RIVALS)
        path, final = _history(shared_url, match_id)
        assert path[:2] == [(None, "shortlisted"), ("shortlisted", "negotiating")]
        raced = path[2:]
        assert len(raced) == outcomes.count("ok") >= 1, (outcomes, path)
        status: str | None = "negotiating"
        for old, new in raced:
            assert old == status, path  # each step starts where the previous one ended
            assert new in allowed_next(old), path  # … and is a step the lifecycle allows
            status = new
        assert final == status
        if "landed" in [new for _, new in path]:
            assert path[-1][1] == "landed", path  # nothing ever leaves 落地
