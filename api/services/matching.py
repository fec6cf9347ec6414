"""Ranked partners per enterprise: computed, stored as a run, replaced atomically.

A run records what it was computed from (config hash, model, pool version,
enterprise version and diagnosis), so the service knows when it is stale.  A new
run is written beside the old one and becomes current in the same transaction
that demotes the old one: a reader sees one list or the other, never a mix.
Old runs are kept (a few) to say what changed between them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import numpy as np
from sqlalchemy import Connection, Float, Integer, String, bindparam
from sqlmodel import Session, col, func, select, update

from api.auth import Principal
from api.errors import NOT_FOUND, NotFound
from api.runtime import Runtime
from api.services.config_state import STATE as CONFIG_STATE
from api.services.config_state import sync_runtime
from api.services.diagnoses import DiagnosisView, current_diagnosis
from api.services.diagnosis_models import STATE as MODEL_STATE
from api.services.diagnosis_models import sync_diagnosis_model
from api.services.enterprises import (
    get_asset,
    get_enterprise,
    list_assets,
    require_county,
    require_enterprise_access,
)
from api.services.mapping import asset_profile, enterprise_profile
from api.services.pool import enterprise_query_vector, partner_index, pool_key_of
from matcher.diagnosis.engine import model_version_of
from matcher.encoders.loading import encoder_ready
from matcher.matching.explain import MatchResult
from matcher.matching.pool import LevelMemo, PartnerIndex
from matcher.matching.ranking import rank_partners, rank_partners_for_asset, rank_partners_many
from matcher.profile import EnterpriseProfile
from models.tables import (
    DiagnosisOverride,
    DiagnosisRecord,
    Engagement,
    Enterprise,
    EnterpriseEmbedding,
    Match,
    MatchRun,
    Partner,
    PoolState,
)

STORED_PER_RUN = 100
RUNS_KEPT = 5


@dataclass(frozen=True)
class MatchView:
    match: Match
    partner: Partner
    status: str | None


def enterprise_version(row: Enterprise, diagnosis: DiagnosisView | None) -> str:
    if diagnosis is None:
        return version_stamp(row.updated_at, None)
    override = diagnosis.override.id if diagnosis.override else 0
    return version_stamp(row.updated_at, (diagnosis.record.id or 0, override or 0))


def version_stamp(updated_at: datetime, diagnosis: tuple[int, int] | None) -> str:
    """The enterprise's version as a run records it: its last write, and the ids of its
    latest diagnosis and override (0: none) when it has been diagnosed."""
    stamp = updated_at.replace(tzinfo=None).isoformat()
    if diagnosis is None:
        return stamp
    return f"{stamp}|d{diagnosis[0]}|o{diagnosis[1]}"


def rejected_partner_ids(session: Session, enterprise_id: int) -> set[int]:
    rows = session.exec(
        select(Engagement.partner_id).where(
            Engagement.enterprise_id == enterprise_id, Engagement.status == "rejected"
        )
    ).all()
    return set(rows)


@dataclass(frozen=True)
class RankingInput:
    """What ranking one enterprise needs, read (and, for the query vector, kept) beforehand."""

    row: Enterprise
    diagnosis: DiagnosisView
    profile: EnterpriseProfile
    query_vector: np.ndarray | None
    """None while the need text waits for the background worker (no dense similarity)."""
    rejected: frozenset[str]


def ranking_input(*, session: Session, row: Enterprise, runtime: Runtime) -> RankingInput:
    """The enterprise's diagnosis, profile, query vector and rejected partners (not committed).

    The reads come first and the diagnosis, which may be a write, last: on SQLite
    a write holds the database's lock until the caller commits.
    """
    assert row.id is not None
    profile = enterprise_profile(row, list_assets(session=session, enterprise_id=row.id))
    rejected = frozenset(str(i) for i in rejected_partner_ids(session, row.id))
    query_vector = enterprise_query_vector(session=session, profile=profile, runtime=runtime)
    return RankingInput(
        row=row,
        diagnosis=current_diagnosis(session=session, row=row, runtime=runtime),
        profile=profile,
        query_vector=query_vector,
        rejected=rejected,
    )


def compute_matches(
    *, session: Session, row: Enterprise, runtime: Runtime, job_id: int | None = None
) -> MatchRun:
    """Rank the pool for one enterprise and make the result its current run (not committed).

    All in the caller's transaction: for batch commands (the seed) that own the
    database.  A request ranks with `refresh_matches`, which holds no lock meanwhile.
    """
    item = ranking_input(session=session, row=row, runtime=runtime)
    index, version = partner_index(session=session, runtime=runtime)
    return store_run(
        session=session,
        item=item,
        results=rank_input(item, index=index, runtime=runtime),
        runtime=runtime,
        pool_version=version,
        job_id=job_id,
        pending_embeddings=index.pending_count,
    )


def rank_input(item: RankingInput, *, index: PartnerIndex, runtime: Runtime) -> list[MatchResult]:
    """The ranking of one prepared enterprise: CPU only, no database."""
    return rank_partners(
        item.profile,
        item.diagnosis.categories_for_matching(),
        index=index,
        encoder_or_query_embedding=item.query_vector,  # None: rules and lexical alone
        config=runtime.matcher_config,
        industries=runtime.industries,
        chain=runtime.chain,
        limit=STORED_PER_RUN,
        exclude_partner_ids=item.rejected,
        include_weak=True,
    )


RANKING_ATTEMPTS = 3
"""Rankings redone when the enterprise or the pool changed while one was computed."""


def refresh_matches(
    *, session: Session, row: Enterprise, runtime: Runtime, seen: MatchRun | None
) -> MatchRun:
    """Rank one enterprise anew and store the run, with no write lock held while ranking.

    The inputs are read and prepared first (which may store a fresh diagnosis)
    and committed, so SQLite's one write lock is not held while the pool is
    ranked: other requests' short writes (a review, a partner edit) go through
    meanwhile.  The run is then written in one short transaction that first
    holds the enterprise's row (`_hold_enterprise`) and checks that nothing
    moved: if another request stored a run that is still current, that one is
    answered and ours dropped; if the enterprise, its diagnosis or the pool
    changed since the inputs were read, the ranking is done again (at most
    RANKING_ATTEMPTS times; the last one is stored, and its recorded versions
    make the next read compute again).  `seen` is the current run read before
    (None: there was none).  Committed.
    """
    assert row.id is not None
    seen_id = seen.id if seen is not None else None
    for attempt in range(1, RANKING_ATTEMPTS + 1):
        index, version = partner_index(session=session, runtime=runtime)
        item = ranking_input(session=session, row=row, runtime=runtime)
        session.commit()  # the diagnosis written on the way: the lock is free while ranking
        results = rank_input(item, index=index, runtime=runtime)
        _hold_enterprise(session, row.id)
        stored = ranking_state(session, row.id, runtime)
        ours = (enterprise_version(row, item.diagnosis), version)
        standing = stored.standing_instead(seen_id, ours)
        if standing is not None and (stored.current or attempt == RANKING_ATTEMPTS):
            # Another request stored a ranking of the state now: use it.  Or both are
            # behind: leave the other writer's run, and the next read ranks again.
            session.rollback()
            return standing
        if stored.moved_on_from(ours) and attempt < RANKING_ATTEMPTS:
            session.rollback()
            session.refresh(row)
            continue
        run = store_run(
            session=session,
            item=item,
            results=results,
            runtime=runtime,
            pool_version=version,
            pending_embeddings=index.pending_count,
        )
        session.commit()
        return run
    raise AssertionError("unreachable: the last attempt stores its run")


def store_unless_superseded(
    *,
    session: Session,
    item: RankingInput,
    results: Sequence[MatchResult],
    runtime: Runtime,
    pool_version: str,
    seen_id: int | None,
    job_id: int | None = None,
    pending_embeddings: int = 0,
) -> MatchRun | None:
    """`store_run`, unless a run stored since `seen_id` was read is to stand instead
    (`StoredRun.standing_instead`); None then, and nothing written (not committed).

    For a re-score job, whose block of rankings is computed long after its inputs
    were read: a request may have ranked the enterprise anew meanwhile, from a newer
    state, and the job's older ranking must not replace it.  The enterprise's row is
    held first (`_hold_enterprise`), so no other run can be stored between the check
    and the write.
    """
    assert item.row.id is not None
    _hold_enterprise(session, item.row.id)
    stored = ranking_state(session, item.row.id, runtime)
    ours = (enterprise_version(item.row, item.diagnosis), pool_version)
    if stored.standing_instead(seen_id, ours) is not None:
        return None
    return store_run(
        session=session,
        item=item,
        results=results,
        runtime=runtime,
        pool_version=pool_version,
        job_id=job_id,
        pending_embeddings=pending_embeddings,
    )


def current_run_ids(session: Session, enterprise_ids: Sequence[int]) -> dict[int, int]:
    """Each enterprise's current run id (enterprises with none are left out)."""
    rows = session.exec(
        select(MatchRun.enterprise_id, MatchRun.id).where(
            col(MatchRun.enterprise_id).in_(list(enterprise_ids)), col(MatchRun.is_current)
        )
    ).all()
    return {enterprise_id: run_id for enterprise_id, run_id in rows if run_id is not None}


def _hold_enterprise(session: Session, enterprise_id: int) -> None:
    """Start the write transaction by holding the enterprise's row until the commit.

    A no-op UPDATE: on SQLite it takes the database's write lock (a plain read
    would not, and another writer could commit between the checks and the
    write), on PostgreSQL the row lock that the enterprise's own writes (version
    claims) and any other run being stored for it also take; so the checks that
    follow see what is committed and nothing changes under them.
    """
    session.exec(  # type: ignore[call-overload]
        update(Enterprise)
        .where(col(Enterprise.id) == enterprise_id)
        .values(version=col(Enterprise.version))
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class RankingState:
    """What a run of one enterprise must have been computed from to be current now."""

    enterprise: str
    pool: str
    config_hash: str
    model_name: str
    query_vector_at: datetime | None
    """When the enterprise's query vector was last stored (None: it has none)."""
    diagnosed_by: str | None
    """The model that made the latest diagnosis (None: none yet)."""
    diagnosis_model: str
    """The model that diagnoses now (the active version's)."""

    def holds(self, run: MatchRun) -> bool:
        """Whether `run` was computed from this state (so it needs no new ranking)."""
        if (run.enterprise_version, run.pool_version) != (self.enterprise, self.pool):
            return False
        if self.diagnosed_by is not None and self.diagnosed_by != self.diagnosis_model:
            return False  # another diagnosis model is active: diagnose again, then rank
        if (run.config_hash, run.model_name) != (self.config_hash, self.model_name):
            return False
        # Ranked while the query vector was pending: redone once it has landed.
        landed = self.query_vector_at is not None and _naive(self.query_vector_at) >= _naive(
            run.created_at
        )
        return not (run.query_pending and landed)


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _state_query(run: Sequence[Any]) -> Any:
    """The statement of `ranking_state`, built once (bound: enterprise_id, model_name);
    `run`: what it reads of the current run (the MatchRun entity, or its table's columns)."""
    enterprise_id = bindparam("enterprise_id", type_=Integer)
    latest_diagnosis = (
        select(func.max(DiagnosisRecord.id))
        .where(col(DiagnosisRecord.enterprise_id) == enterprise_id)
        .scalar_subquery()
    )
    latest_override = (
        select(func.max(DiagnosisOverride.id))
        .where(col(DiagnosisOverride.enterprise_id) == enterprise_id)
        .scalar_subquery()
    )
    diagnosed_by = (
        select(DiagnosisRecord.model_version)
        .where(col(DiagnosisRecord.id) == latest_diagnosis)
        .scalar_subquery()
    )
    vector_at = (
        select(EnterpriseEmbedding.updated_at)
        .where(
            col(EnterpriseEmbedding.enterprise_id) == enterprise_id,
            col(EnterpriseEmbedding.model_name) == bindparam("model_name", type_=String),
        )
        .scalar_subquery()
    )
    return (
        select(  # type: ignore[call-overload]
            Enterprise.county,
            Enterprise.updated_at,
            latest_diagnosis,
            latest_override,
            vector_at,
            PoolState.epoch,
            PoolState.revision,
            PoolState.embedding_revision,
            CONFIG_STATE.column(),
            diagnosed_by,
            MODEL_STATE.column(),
            *run,
        )
        .select_from(Enterprise)
        .outerjoin(PoolState, col(PoolState.id) == 1)
        .outerjoin(
            MatchRun,
            (col(MatchRun.enterprise_id) == col(Enterprise.id)) & col(MatchRun.is_current),
        )
        .where(col(Enterprise.id) == enterprise_id)
    )


_STATE_QUERY = _state_query([MatchRun])
_RUN_COLUMNS = list(MatchRun.__table__.columns)  # type: ignore[attr-defined]
_STATE_COLUMNS_QUERY = _state_query(_RUN_COLUMNS)


@dataclass(frozen=True)
class StoredRun:
    """An enterprise's current run (None: none yet), the state a run must match, its county."""

    run: MatchRun | None
    state: RankingState
    county: str
    active_version: str
    """The matcher config version active in the database (the runtime may be behind)."""
    active_model: str
    """The diagnosis model version active in the database (likewise)."""

    @property
    def current(self) -> bool:
        return self.run is not None and self.state.holds(self.run)

    def runtime_behind(self, runtime: Runtime) -> bool:
        """The runtime has not yet loaded the matcher config or diagnosis model active in
        the database (another process activated one): it must follow before ranking."""
        return (
            self.active_version != runtime.active_version
            or self.active_model != runtime.active_diagnosis_version
        )

    def standing_instead(self, seen_id: int | None, ours: tuple[str, str]) -> MatchRun | None:
        """The run another writer stored since the caller read `seen_id` (the current
        run's id then, None: none) that is to stand rather than the caller's new one.

        `ours`: the enterprise and pool versions the caller ranked from.  The other
        run stands if it holds the state now (it is as new as ours, or newer), or if
        ours was ranked from a state that has moved on meanwhile (then ours is no
        newer either; the next read ranks again).  None: store ours.
        """
        other = self.run if self.run is not None and self.run.id != seen_id else None
        if other is None:
            return None
        return other if self.current or self.moved_on_from(ours) else None

    def moved_on_from(self, ours: tuple[str, str]) -> bool:
        """The enterprise or the pool changed since the caller read `ours` (the enterprise
        and pool versions it ranked from): a ranking of `ours` is already behind."""
        return ours != (self.state.enterprise, self.state.pool)


def ranking_state(session: Session, enterprise_id: int, runtime: Runtime) -> StoredRun:
    """The enterprise's current run and the state it must match, in one query.

    The statement is the one a stored `GET …/matches` runs on every request
    (`read_ranking_state`, without a session): one round trip for the ids it
    needs (latest diagnosis and override, the pool state row, the query
    vector's time) rather than the entities (a diagnosis row carries its JSON
    findings) and five queries, with the statement built once.

    Raises:
        NotFound: there is no such enterprise.
    """
    row = session.exec(_STATE_QUERY, params=_state_params(enterprise_id, runtime)).first()
    if row is None:
        raise NotFound(NOT_FOUND.format(entity="企业", id=enterprise_id))
    return _stored_run(row[:11], row[11], runtime)


RunKey = tuple[int, int, datetime]
"""A stored run by id, enterprise and creation time (an id alone could be reused: SQLite
may hand out a deleted row's id again)."""


class RunMemo(Protocol):
    """Runs already read, by RunKey (api.services.match_pages.PageCache).  A stored run
    never changes, only which run is current (the state query's join asks that anew), so
    one read again need not be built again from its columns."""

    def known_run(self, key: RunKey) -> MatchRun | None: ...

    def keep_run(self, key: RunKey, run: MatchRun) -> None: ...


_RUN_ID, _RUN_ENTERPRISE, _RUN_CREATED = (
    [column.key for column in _RUN_COLUMNS].index(name)
    for name in ("id", "enterprise_id", "created_at")
)


def read_ranking_state(
    connection: Connection, enterprise_id: int, runtime: Runtime, runs: RunMemo
) -> StoredRun:
    """`ranking_state` on a plain connection, with no ORM session: the run comes back as a
    transient MatchRun (in no session's identity map) to read, built from its columns
    the first time `runs` sees it.

    The stored `GET …/matches` asks this on every request; the session's execution
    and its identity map, then building the run, cost it more than the statement
    (bench/README.md, issue 17).

    Raises:
        NotFound: there is no such enterprise.
    """
    params = _state_params(enterprise_id, runtime)
    row = connection.execute(_STATE_COLUMNS_QUERY, params).first()
    if row is None:
        raise NotFound(NOT_FOUND.format(entity="企业", id=enterprise_id))
    values = row[11:]
    run = None
    if values[_RUN_ID] is not None:  # None: the outer join found no current run
        key = (values[_RUN_ID], values[_RUN_ENTERPRISE], values[_RUN_CREATED])
        run = runs.known_run(key)
        if run is None:
            columns = zip(_RUN_COLUMNS, values, strict=True)
            run = MatchRun(**{column.key: value for column, value in columns})
            runs.keep_run(key, run)
    return _stored_run(row[:11], run, runtime)


def _state_params(enterprise_id: int, runtime: Runtime) -> dict[str, Any]:
    return {"enterprise_id": enterprise_id, "model_name": runtime.model_name}


def _stored_run(values: Sequence[Any], run: MatchRun | None, runtime: Runtime) -> StoredRun:
    """The StoredRun of the state query's first eleven columns and the run it read."""
    county, updated_at, diagnosis_id, override_id, vector_time, epoch, revision, embedded = values[
        :8
    ]
    active, diagnosed_by, active_model = values[8:]
    pool = None if epoch is None else (epoch, revision, embedded)
    state = RankingState(
        enterprise=version_stamp(updated_at, diagnosis_id and (diagnosis_id, override_id or 0)),
        pool=pool_key_of(pool, runtime.model_name),
        config_hash=runtime.matcher_config.config_hash(),
        model_name=runtime.model_name,
        query_vector_at=vector_time,
        diagnosed_by=diagnosed_by,
        diagnosis_model=model_version_of(runtime.treatment_model),
    )
    return StoredRun(run, state, county, CONFIG_STATE.of(active), MODEL_STATE.of(active_model))


def _query_matrix(items: Sequence[RankingInput]) -> np.ndarray | None:
    """The items' query vectors stacked; a zero row for one still pending (its dense
    similarity is then 0 for every partner, which standardising turns into no part at all)."""
    ready = [item.query_vector for item in items if item.query_vector is not None]
    if not ready:
        return None
    zero = np.zeros_like(ready[0])
    return np.stack([zero if item.query_vector is None else item.query_vector for item in items])


def rank_inputs(
    items: Sequence[RankingInput],
    *,
    index: PartnerIndex,
    runtime: Runtime,
    memo: LevelMemo | None = None,
) -> list[list[MatchResult]]:
    """Rank many enterprises in one batch (matcher.matching.ranking), in order.

    `memo`: level arrays shared with the job's earlier blocks (LevelMemo).
    """
    return rank_partners_many(
        [item.profile for item in items],
        [item.diagnosis.categories_for_matching() for item in items],
        _query_matrix(items),
        index=index,
        config=runtime.matcher_config,
        industries=runtime.industries,
        chain=runtime.chain,
        limit=STORED_PER_RUN,
        exclude_partner_ids=[item.rejected for item in items],
        include_weak=True,
        memo=memo,
    )


def store_run(
    *,
    session: Session,
    item: RankingInput,
    results: Sequence[MatchResult],
    runtime: Runtime,
    pool_version: str,
    job_id: int | None = None,
    pending_embeddings: int = 0,
) -> MatchRun:
    """Write the results as the enterprise's new current run, demoting the old (not committed).

    `pending_embeddings`: how many partners of the pool were ranked without their
    embedding; with `item.query_vector` None, this run is to be redone once
    the vectors land (RankingState.holds).

    Weak results (below the fit floor) are stored marked, so that a request
    with include_weak can list them; `qualified` is the ranking's count.
    """
    row = item.row
    assert row.id is not None
    run = MatchRun(
        enterprise_id=row.id,
        config_hash=runtime.matcher_config.config_hash(),
        model_name=runtime.model_name,
        diagnosis_id=item.diagnosis.record.id,
        pool_version=pool_version,
        enterprise_version=enterprise_version(row, item.diagnosis),
        job_id=job_id,
        pending_embeddings=pending_embeddings,
        query_pending=item.query_vector is None,
        qualified=getattr(results, "qualified", None),
    )
    session.add(run)
    session.flush()
    session.add_all(
        Match(
            run_id=run.id,
            enterprise_id=row.id,
            partner_id=int(r.partner_id),
            rank=rank,
            score=round(r.score, 6),
            components=r.components,
            levels=r.levels,
            reasons=list(r.reasons),
            weak=r.weak,
        )
        for rank, r in enumerate(results, start=1)
    )
    session.exec(  # type: ignore[call-overload]
        update(MatchRun)
        .where(col(MatchRun.enterprise_id) == row.id)
        .values(is_current=(col(MatchRun.id) == run.id))
    )
    _prune_runs(session, row.id)
    session.flush()
    session.refresh(run)
    return run


def _prune_runs(session: Session, enterprise_id: int) -> None:
    runs = session.exec(
        select(MatchRun.id)
        .where(MatchRun.enterprise_id == enterprise_id)
        .order_by(col(MatchRun.id).desc())
    ).all()
    for run_id in runs[RUNS_KEPT:]:
        stale = session.get(MatchRun, run_id)
        if stale is not None:
            for match in session.exec(select(Match).where(Match.run_id == run_id)).all():
                session.delete(match)
            session.delete(stale)


def current_run(session: Session, enterprise_id: int) -> MatchRun | None:
    return session.exec(
        select(MatchRun).where(
            MatchRun.enterprise_id == enterprise_id, col(MatchRun.is_current).is_(True)
        )
    ).first()


def get_matches(
    *,
    session: Session,
    enterprise_id: int,
    runtime: Runtime,
    principal: Principal,
    limit: int = 10,
    kind: str | None = None,
    min_score: float | None = None,
    include_rejected: bool = False,
    include_weak: bool = False,
) -> tuple[MatchRun, list[MatchView]]:
    """The current run and its ranking, computed now if there is none or it is stale."""
    run = current_matches_run(
        session=session, enterprise_id=enterprise_id, runtime=runtime, principal=principal
    )
    views = list_run_matches(
        session=session,
        run=run,
        limit=limit,
        kind=kind,
        min_score=min_score,
        include_rejected=include_rejected,
        include_weak=include_weak,
    )
    return run, views


def current_matches_run(
    *, session: Session, enterprise_id: int, runtime: Runtime, principal: Principal
) -> MatchRun:
    """The enterprise's current run, ranked now if there is none or it is stale.

    The runtime need not be synced with the active matcher config and diagnosis
    model beforehand: the state query reads both active versions too, and a change
    is followed here.
    """
    stored = ranking_state(session, enterprise_id, runtime)
    if stored.runtime_behind(runtime):
        sync_runtime(session, runtime, stored.active_version)
        sync_diagnosis_model(session, runtime, stored.active_model)
        stored = ranking_state(session, enterprise_id, runtime)
    require_enterprise_access(session, principal, enterprise_id, stored.county)
    run = stored.run
    if run is None or not stored.current:
        row = get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
        run = refresh_matches(session=session, row=row, runtime=runtime, seen=run)
    return run


def served_run(
    *,
    connection: Connection,
    enterprise_id: int,
    runtime: Runtime,
    principal: Principal,
    runs: RunMemo,
) -> MatchRun | None:
    """The enterprise's current run if it is to be served as it is, read with no ORM session:
    what a stored `GET …/matches` asks on every request.  None: the caller takes
    `current_matches_run` (the run is missing or stale and is ranked anew, the runtime
    follows a newly activated matcher config or diagnosis model first, or a department
    token's case access is to be checked) and gets the same answers and refusals as ever.

    Raises:
        NotFound: there is no such enterprise.
        Forbidden: the enterprise's county is not the caller's.
    """
    stored = read_ranking_state(connection, enterprise_id, runtime, runs)
    if stored.runtime_behind(runtime) or principal.is_department:
        return None
    require_county(principal, stored.county)
    return stored.run if stored.current else None


def list_run_matches(
    *,
    session: Session,
    run: MatchRun,
    limit: int,
    kind: str | None = None,
    min_score: float | None = None,
    include_rejected: bool = False,
    include_weak: bool = False,
) -> list[MatchView]:
    """The run's matches, best first; weak ones (below the fit floor) only on request."""
    query = _matches_query(kind is not None, min_score is not None, include_weak, include_rejected)
    params = {"run_id": run.id, "limit": max(limit, 0), "kind": kind, "min_score": min_score}
    rows = session.exec(query, params=params).all()
    return [MatchView(match, partner, status) for match, partner, status in rows]


def page_rows(
    *,
    connection: Connection,
    run: MatchRun,
    limit: int,
    kind: str | None = None,
    min_score: float | None = None,
    include_rejected: bool = False,
    include_weak: bool = False,
) -> list[Any]:
    """The match ids and review statuses of `list_run_matches`' page (PAGE_COLUMNS' names):
    what the stored `GET …/matches` reads on every request (api.services.match_pages)."""
    flags = (kind is not None, min_score is not None, include_weak, include_rejected)
    query = _matches_query(*flags, view="page")
    params = {"run_id": run.id, "limit": max(limit, 0), "kind": kind, "min_score": min_score}
    return list(connection.execute(query, params).all())


def items_by_id(*, connection: Connection, match_ids: Sequence[int]) -> list[Any]:
    """The matches `match_ids` as plain rows of ITEM_COLUMNS (their statuses included)."""
    return list(connection.execute(_ITEMS_BY_ID, {"ids": list(match_ids)}).all())


PAGE_COLUMNS = (col(Match.id).label("match_id"), col(Engagement.status).label("status"))
"""What changes between two reads of one stored run: which matches are listed, and their
review status."""

ITEM_COLUMNS = (
    col(Match.id).label("match_id"),
    col(Match.partner_id).label("partner_id"),
    col(Match.rank).label("rank"),
    col(Match.score).label("score"),
    col(Match.components).label("components"),
    col(Match.levels).label("levels"),
    col(Match.reasons).label("reasons"),
    col(Match.weak).label("weak"),
    col(Partner.name).label("partner_name"),
    col(Partner.kind).label("partner_kind"),
    col(Partner.capabilities).label("partner_capabilities"),
    col(Partner.treatment_types).label("partner_treatments"),
    col(Partner.industries).label("partner_industries"),
    col(Engagement.status).label("status"),
)
"""What a listed match shows (api.presenters.match_item_of_row), the partner's role included."""


def _with_partner(query: Any) -> Any:
    """`query` over Match joined to its partner and to the pair's engagement, if any."""
    return (
        query.select_from(Match)
        .join(Partner, col(Partner.id) == col(Match.partner_id))
        .join(
            Engagement,
            (col(Engagement.partner_id) == col(Match.partner_id))
            & (col(Engagement.enterprise_id) == col(Match.enterprise_id)),
            isouter=True,
        )
    )


_ITEMS_BY_ID = _with_partner(select(*ITEM_COLUMNS)).where(  # type: ignore[call-overload]
    col(Match.id).in_(bindparam("ids", expanding=True))
)


@functools.cache
def _matches_query(
    by_kind: bool,
    by_score: bool,
    include_weak: bool,
    include_rejected: bool,
    view: Literal["objects", "page"] = "objects",
) -> Any:
    """The statement of `list_run_matches` for one combination of filters, built once
    (bound: run_id, limit, kind, min_score): building it cost more than running it.
    `view`: the Match and Partner objects, or only PAGE_COLUMNS."""
    chosen = PAGE_COLUMNS if view == "page" else (Match, Partner, Engagement.status)
    query = _with_partner(select(*chosen)).where(  # type: ignore[call-overload]
        col(Match.run_id) == bindparam("run_id", type_=Integer)
    )
    query = query.order_by(col(Match.rank))
    if by_kind:
        query = query.where(col(Partner.kind) == bindparam("kind", type_=String))
    if by_score:
        query = query.where(col(Match.score) >= bindparam("min_score", type_=Float))
    if not include_weak:
        query = query.where(col(Match.weak).is_(False))
    if not include_rejected:
        query = query.where(
            col(Engagement.status).is_(None) | (col(Engagement.status) != "rejected")
        )
    # Partners changed since the run are left out here; the next run drops them anyway.
    query = query.where(col(Partner.archived).is_(False), col(Partner.active).is_(True))
    # Every filter is in SQL, so only the page is read: building the Match and
    # Partner objects of all 100 stored rows was most of a stored GET (py-spy).
    return query.limit(bindparam("limit", type_=Integer))


def match_view(*, session: Session, match: Match, engagement: Engagement | None) -> MatchView:
    partner = session.get(Partner, match.partner_id)
    assert partner is not None
    return MatchView(match, partner, engagement.status if engagement else None)


def asset_matches(
    *,
    session: Session,
    enterprise_id: int,
    asset_id: int,
    runtime: Runtime,
    principal: Principal,
    limit: int = 10,
) -> list[tuple[MatchResult, Partner]]:
    """Who would buy, lease or operate one asset (资产盘活), computed on request."""
    asset = get_asset(
        session=session, enterprise_id=enterprise_id, asset_id=asset_id, principal=principal
    )
    row = get_enterprise(session=session, enterprise_id=enterprise_id, principal=principal)
    profile = enterprise_profile(row, list_assets(session=session, enterprise_id=enterprise_id))
    index, _ = partner_index(session=session, runtime=runtime)
    rejected = {str(i) for i in rejected_partner_ids(session, enterprise_id)}
    results = rank_partners_for_asset(
        profile,
        asset_profile(asset),
        index=index,
        # The asset's own text is encoded here (it is not stored), unless the model is
        # still loading at start: then rules and keywords alone rather than a wait.
        encoder_or_query_embedding=runtime.encoder if encoder_ready(runtime.encoder) else None,
        config=runtime.matcher_config,
        industries=runtime.industries,
        chain=runtime.chain,
        limit=limit,
        exclude_partner_ids=rejected,
    )
    session.commit()  # keeps any partner embeddings computed on the way
    partners = {
        p.id: p
        for p in session.exec(
            select(Partner).where(col(Partner.id).in_([int(r.partner_id) for r in results]))
        ).all()
    }
    return [(r, partners[int(r.partner_id)]) for r in results if int(r.partner_id) in partners]
