"""Embeddings computed in the background: a job kind of its own, with progress.

A request never encodes a text (LD_EMBEDDINGS=background): after a write,
partners whose offer text has no current vector are *pending* in the pool
index, and an enterprise whose need text has none is ranked without the dense
similarity.  The worker notices pending texts when idle (`ensure_embedding_job`),
queues one `embed` job and works it batch by batch: each batch is encoded
outside any transaction and stored with a bump of the embedding revision, so a
ranking asked for meanwhile answers at once from what is ready and the next one
sees the new vectors.  When nothing is pending any more, the runs computed
without them are queued for a re-score (the stored run is refreshed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select, update

from api.auth import SYSTEM_ACTOR
from api.runtime import Runtime
from api.services.enterprises import live_assets_by_enterprise
from api.services.mapping import enterprise_profile
from api.services.pool import (
    bump_embedding_revision,
    partner_index,
    store_embeddings,
    store_query_vectors,
)
from api.services.triggers import queue_automatic_rescore
from matcher.matching.embeddings import StoredEmbedding, text_hash
from matcher.matching.texts import enterprise_need_text, partner_offer_text
from models.tables import Enterprise, EnterpriseEmbedding, Job, MatchRun, utcnow

log = logging.getLogger("api.embeddings")

EMBED_KIND = "embed"
EMBED_REASON = "embeddings pending"
EMBED_OWNER = SYSTEM_ACTOR
BATCH = 64
"""Texts encoded per step: a step commits its vectors, so progress shows and rankings improve."""


@dataclass(frozen=True)
class EmbeddingStatus:
    partners: int
    embedded: int
    pending: int
    model: str
    backend: str


def embedding_status(*, session: Session, runtime: Runtime) -> EmbeddingStatus:
    """Live partners, how many have a current vector, and the encoder (nothing is encoded)."""
    index, _ = partner_index(session=session, runtime=runtime, encode=False)
    pending = index.pending_count
    return EmbeddingStatus(
        partners=len(index),
        embedded=len(index) - pending,
        pending=pending,
        model=runtime.model_name,
        backend=encoder_backend(runtime),
    )


def encoder_backend(runtime: Runtime) -> str:
    return str(getattr(runtime.encoder, "backend", "") or "custom")


@dataclass(frozen=True)
class PendingTexts:
    partners: list[tuple[str, str, str]]
    """(partner id, offer text, its hash) without a current vector."""
    enterprises: list[tuple[int, str, str]]
    """(enterprise id, need text, its hash) without a current query vector."""

    def __len__(self) -> int:
        return len(self.partners) + len(self.enterprises)


def _enterprise_signature(session: Session, model_name: str) -> str:
    """Changes whenever a live enterprise is added, changed or archived (or the model)."""
    count, latest = session.exec(
        select(func.count(), func.max(Enterprise.updated_at)).where(
            col(Enterprise.archived).is_(False)
        )
    ).one()
    return f"{count}:{latest}:{model_name}"


def pending_texts(*, session: Session, runtime: Runtime) -> PendingTexts:
    """Every offer and need text that lacks a vector of the current encoder."""
    index, _ = partner_index(session=session, runtime=runtime, encode=False)
    partners = []
    if index.pending is not None:
        for j in np.flatnonzero(index.pending).tolist():
            text = partner_offer_text(index.partners[j])
            partners.append((index.ids[j], text, text_hash(text)))
    signature = _enterprise_signature(session, runtime.model_name)
    if runtime.pool.enterprises_checked == signature:
        return PendingTexts(partners, [])
    enterprises = _pending_enterprises(session, runtime)
    if not enterprises:
        runtime.pool.enterprises_checked = signature
    return PendingTexts(partners, enterprises)


def _pending_enterprises(session: Session, runtime: Runtime) -> list[tuple[int, str, str]]:
    stored = dict(
        session.exec(
            select(EnterpriseEmbedding.enterprise_id, EnterpriseEmbedding.text_hash).where(
                EnterpriseEmbedding.model_name == runtime.model_name
            )
        ).all()
    )
    rows = session.exec(
        select(Enterprise).where(col(Enterprise.archived).is_(False)).order_by(col(Enterprise.id))
    ).all()
    assets = live_assets_by_enterprise(session=session)
    out = []
    for row in rows:
        assert row.id is not None
        text = enterprise_need_text(enterprise_profile(row, assets.get(row.id, [])))
        digest = text_hash(text)
        if stored.get(row.id) != digest:
            out.append((row.id, text, digest))
    return out


def ensure_embedding_job(*, engine: Engine, runtime: Runtime) -> int | None:
    """Queue an embed job when texts are pending and none is waiting; its id, or None.

    Called by an idle worker (cheap while nothing changed: the cached index
    and one aggregate over the enterprises).
    """
    if runtime.inline_embeddings:
        return None
    with Session(engine) as session:
        waiting = session.exec(
            select(Job.id).where(Job.kind == EMBED_KIND, col(Job.status).in_(("queued", "running")))
        ).first()
        if waiting is not None:
            return None
        todo = pending_texts(session=session, runtime=runtime)
        if not len(todo):
            session.commit()  # the index build may have stored remembered vectors
            return None
        job = Job(
            kind=EMBED_KIND,
            total=len(todo),
            reason=EMBED_REASON,
            created_by=EMBED_OWNER,
        )
        session.add(job)
        session.commit()
        return job.id


def _holds(worker: str, job_id: int) -> object:
    return (
        (col(Job.id) == job_id) & (col(Job.claimed_by) == worker) & (col(Job.status) == "running")
    )


def run_embedding_job(
    engine: Engine,
    job_id: int,
    runtime: Runtime,
    worker: str,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch: int = BATCH,
) -> str:
    """Embed pending texts `batch` at a time until none is left; see the module docstring.

    Returns "done", "released" (stopped on request: back in the queue),
    "cancelled" or "lost" (as api.services.job_runner.run_job).
    """
    while True:
        with Session(engine, expire_on_commit=False) as session:
            job = session.get(Job, job_id)
            if job is None or job.claimed_by != worker or job.status != "running":
                return "cancelled" if job is not None and job.status == "cancelled" else "lost"
            done = job.done
            todo = pending_texts(session=session, runtime=runtime)
            if should_stop is not None and should_stop():
                session.exec(  # type: ignore[call-overload]
                    update(Job).where(_holds(worker, job_id)).values(status="queued", claimed_by="")
                )
                session.commit()
                return "released"
            if not len(todo):
                _finish(session, worker, job_id)
                return "done"
            session.commit()  # end the read transaction: encoding takes seconds
        partners = _shortest_first(todo.partners)[:batch]
        enterprises = todo.enterprises[: max(batch - len(partners), 0)]
        offer = _encode_once(runtime, [t for _, t, _ in partners], "passage")
        need = _encode_once(runtime, [t for _, t, _ in enterprises], "query")
        step = len(partners) + len(enterprises)
        with Session(engine) as session:
            moved = session.exec(  # type: ignore[call-overload]
                update(Job)
                .where(_holds(worker, job_id))
                .values(done=done + step, total=done + len(todo), heartbeat_at=utcnow())
            )
            if moved.rowcount != 1:
                session.rollback()
                status = session.exec(select(Job.status).where(Job.id == job_id)).first()
                return "cancelled" if status == "cancelled" else "lost"
            if partners:
                store_embeddings(
                    session,
                    {
                        pid: StoredEmbedding(runtime.model_name, digest, vector)
                        for (pid, _, digest), vector in zip(partners, offer, strict=True)
                    },
                )
                bump_embedding_revision(session)
            if enterprises:
                store_query_vectors(
                    session,
                    runtime.model_name,
                    {
                        eid: (digest, vector)
                        for (eid, _, digest), vector in zip(enterprises, need, strict=True)
                    },
                )
            session.commit()
        if progress is not None:
            progress(done + step, done + len(todo))


def _shortest_first(texts: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Pending offers by text length (ties by id): each step's texts are of similar length,
    so the encoder's batches pad little, whatever order the partners were written in; and
    the most partners get their vectors soonest."""
    return sorted(texts, key=lambda item: (len(item[1]), item[0]))


def _encode_once(runtime: Runtime, texts: list[str], prompt: str) -> list[np.ndarray]:
    """Vectors for `texts`, each distinct text encoded once (imports repeat boilerplate)."""
    distinct = list(dict.fromkeys(texts))
    vectors = runtime.encoder.encode(distinct, prompt_name=prompt) if distinct else []
    found = dict(zip(distinct, vectors, strict=True))
    return [found[t] for t in texts]


def _finish(session: Session, worker: str, job_id: int) -> None:
    """End the job and queue the re-score of every run computed without some vector."""
    session.exec(  # type: ignore[call-overload]
        update(Job).where(_holds(worker, job_id)).values(status="done", finished_at=utcnow())
    )
    waiting = session.exec(
        select(MatchRun.enterprise_id).where(
            col(MatchRun.is_current).is_(True),
            (col(MatchRun.pending_embeddings) > 0) | col(MatchRun.query_pending),
        )
    ).all()
    if waiting:
        queue_automatic_rescore(session=session, enterprise_ids=sorted(set(waiting)))
    session.commit()
