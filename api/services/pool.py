"""The partner pool as the matcher sees it: profiles, stored embeddings, a cached index.

Partner embeddings are computed once per (model, offer text) and stored; the
PartnerIndex is rebuilt only when the pool revision (bumped by every partner
write) or the encoder differs from the cached one.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select, update

from api.runtime import Runtime
from api.services.mapping import partner_profile
from matcher.cosine import to_grid
from matcher.matching.embeddings import StoredEmbedding, embed_partners, text_hash
from matcher.matching.pool import PartnerIndex
from matcher.matching.texts import enterprise_need_text, partner_offer_text
from matcher.profile import EnterpriseProfile, PartnerProfile
from models.tables import EnterpriseEmbedding, Partner, PartnerEmbedding, PoolState, utcnow


def _pool_state(session: Session) -> tuple[str, int, int] | None:
    # Columns, not the entity: a session's identity map could hand back a row
    # read before another transaction bumped it.
    state = session.exec(
        select(PoolState.epoch, PoolState.revision, PoolState.embedding_revision).where(
            col(PoolState.id) == 1
        )
    ).first()
    return None if state is None else (state[0], state[1], state[2])


def pool_version(session: Session) -> str:
    """The live pool's revision: it changes whenever a partner is added, changed or archived,
    and when partner embeddings computed in the background land.

    One primary-key read: every ranking read checks it, and the partner
    services bump it in the same transaction as each write (bump_pool_revision).
    """
    return _version_text(_pool_state(session))


def _version_text(state: tuple[str, int, int] | None) -> str:
    return "none" if state is None else f"{state[0]}:r{state[1]}:e{state[2]}"


def _partners_version(session: Session) -> str:
    """The pool revision without the embedding revision: what the rule arrays depend on."""
    state = _pool_state(session)
    return "none" if state is None else f"{state[0]}:r{state[1]}"


def bump_embedding_revision(session: Session) -> None:
    """Mark that stored partner embeddings changed (not committed): rankings may do better now."""
    session.exec(  # type: ignore[call-overload]
        update(PoolState)
        .where(col(PoolState.id) == 1)
        .values(embedding_revision=col(PoolState.embedding_revision) + 1)
    )
    session.flush()


def bump_pool_revision(session: Session) -> None:
    """Mark the pool changed; call in the transaction that writes a partner (not committed).

    An UPDATE of one row, so concurrent writers serialise on it and each
    committed change gets its own revision.
    """
    bumped = session.exec(  # type: ignore[call-overload]
        update(PoolState).where(col(PoolState.id) == 1).values(revision=col(PoolState.revision) + 1)
    )
    if bumped.rowcount == 0:  # the row was removed (e.g. a TRUNCATE of every table)
        session.add(PoolState(id=1, revision=1))
    session.flush()


def pool_key(session: Session, model_name: str) -> str:
    """What a ranking depends on from the pool side: its partners and the encoder."""
    return pool_key_of(_pool_state(session), model_name)


def pool_key_of(state: tuple[str, int, int] | None, model_name: str) -> str:
    """`pool_key` from the pool state row's (epoch, revision, embedding_revision), read
    by the caller (in a query of its own that reads more at once)."""
    combined = f"{_version_text(state)}:{model_name}".encode()
    return hashlib.sha256(combined).hexdigest()[:32]


def load_stored_embeddings(
    session: Session, model_name: str, partner_ids: list[str] | None = None
) -> dict[str, StoredEmbedding]:
    """Stored partner vectors of one model (all, or those of `partner_ids`)."""
    query = select(PartnerEmbedding).where(PartnerEmbedding.model_name == model_name)
    if partner_ids is None:
        rows = list(session.exec(query).all())
    else:
        rows = []
        ids = [int(p) for p in partner_ids]
        for start in range(0, len(ids), ID_CHUNK):
            chunk = ids[start : start + ID_CHUNK]
            rows += session.exec(query.where(col(PartnerEmbedding.partner_id).in_(chunk))).all()
    return {
        str(r.partner_id): StoredEmbedding(
            r.model_name, r.text_hash, np.frombuffer(r.vector, dtype=np.float32).copy()
        )
        for r in rows
    }


ID_CHUNK = 500
"""Ids per IN list (SQLite's bound-parameter limit)."""


def upsert(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Insert rows or update them on a key clash (two workers embedding the same thing)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(rows)
    changed = {k: statement.excluded[k] for k in rows[0] if k not in keys}
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed))


def _vector_row(item_vector: Any, text_hash_value: str) -> dict[str, Any]:
    vector = np.asarray(item_vector, dtype=np.float32)
    return {
        "text_hash": text_hash_value,
        "dim": int(vector.shape[0]),
        "vector": vector.tobytes(),
        "updated_at": utcnow(),
    }


def store_embeddings(session: Session, fresh: dict[str, StoredEmbedding]) -> None:
    rows = [
        {
            "partner_id": int(pid),
            "model_name": item.model_name,
            **_vector_row(item.vector, item.text_hash),
        }
        for pid, item in fresh.items()
    ]
    upsert(session, PartnerEmbedding, rows, ["partner_id", "model_name"])


def partner_index(
    *, session: Session, runtime: Runtime, encode: bool | None = None
) -> tuple[PartnerIndex, str]:
    """The index of the live pool and its version, rebuilt only when the pool changed.

    With `encode` (default: the runtime's `inline_embeddings`) missing partner
    embeddings are computed here and now, as batch commands want; without it
    (a request of the service) nothing is encoded: partners lacking a current
    vector are marked pending in the index and the background worker embeds
    them (api.services.embedding_jobs).  When only the embedding revision moved,
    the cached index gets the new vectors without a rebuild of its rule arrays.
    """
    encode = runtime.inline_embeddings if encode is None else encode
    version = pool_key(session, runtime.model_name)
    cache = runtime.pool
    with cache.lock:
        index = cache.index
        if (
            index is not None
            and cache.version == version
            and (not encode or not index.pending_count)
        ):
            return index, version
        partners_key = f"{_partners_version(session)}:{runtime.model_name}"
        if index is not None and cache.partners_key == partners_key and not encode:
            index = _refreshed(session, runtime, index)
        else:
            index = _built(session, runtime, encode)
        cache.index, cache.version, cache.partners_key = index, version, partners_key
        return index, version


def _built(session: Session, runtime: Runtime, encode: bool) -> PartnerIndex:
    rows = session.exec(
        select(Partner).where(col(Partner.archived).is_(False)).order_by(col(Partner.id))
    ).all()
    profiles = [partner_profile(r) for r in rows]
    hashes = tuple(text_hash(partner_offer_text(p)) for p in profiles)
    runtime.pool.hashes = hashes
    grid, pending = _stored_grid(session, profiles, hashes, runtime.model_name)
    # What the database lacks: vectors this process encoded before (for another
    # database) and, with `encode`, those encoded now.
    unsaved = _remembered(hashes, pending, runtime)
    if encode:
        todo = [j for j in np.flatnonzero(pending).tolist() if j not in unsaved]
        if todo:
            _, fresh = embed_partners(runtime.encoder, [profiles[j] for j in todo], {})
            for j in todo:
                item = fresh[profiles[j].id or ""]
                runtime.pool.encoded.add(item.model_name, item.text_hash, item.vector)
                unsaved[j] = item
    if unsaved:
        grid = _on_grid(grid, len(profiles), list(unsaved), [v.vector for v in unsaved.values()])
        pending[list(unsaved)] = False
    index = PartnerIndex.build(
        profiles,
        None,
        runtime.industries,
        ngram_store=runtime.pool.ngrams,
        registry=runtime.registry,
        pending=pending,
        grid=grid if len(profiles) else None,
    )
    # Written after the build: on SQLite a write holds the database's one lock until the
    # caller commits, and the build of a large pool takes a while.
    if unsaved:
        store_embeddings(session, {profiles[j].id or "": item for j, item in unsaved.items()})
    return index


STREAM_ROWS = 2000
"""Stored vectors fetched from the database per step while the index is built."""


def _stored_grid(
    session: Session, profiles: list[PartnerProfile], hashes: tuple[str, ...], model_name: str
) -> tuple[np.ndarray | None, np.ndarray]:
    """The grid of the stored vectors that still hold (model and text; zero rows elsewhere)
    and the pending mask; no grid at all while not one partner has a vector.

    The rows are streamed from the database and put on the grid a block at a
    time (`PartnerIndex.build(grid=...)`): no float32 matrix of the pool, and no
    array or ORM object per partner, is ever made; at 100k partners those were
    each about the size of the grid several times over during the build.
    """
    positions = {p.id: j for j, p in enumerate(profiles)}
    pending = np.ones(len(profiles), dtype=bool)
    grid: np.ndarray | None = None
    query = (
        select(PartnerEmbedding.partner_id, PartnerEmbedding.text_hash, PartnerEmbedding.vector)
        .where(PartnerEmbedding.model_name == model_name)
        .execution_options(yield_per=STREAM_ROWS)
    )
    for batch in session.exec(query).partitions():
        rows: list[int] = []
        vectors: list[np.ndarray] = []
        for partner_id, digest, vector in batch:
            j = positions.get(str(partner_id))
            if j is not None and digest == hashes[j]:
                rows.append(j)
                vectors.append(np.frombuffer(vector, dtype=np.float32))
        if rows:
            grid = _on_grid(grid, len(profiles), rows, vectors)
            pending[rows] = False
    return grid, pending


def _on_grid(
    grid: np.ndarray | None, n: int, rows: list[int], vectors: list[np.ndarray]
) -> np.ndarray:
    """`grid` (or zeros) with `rows` set to the grid of `vectors`, in place."""
    block = to_grid(np.stack(vectors), np.int16)
    if grid is None:
        grid = np.zeros((n, block.shape[1]), dtype=np.int16)
    grid[rows] = block
    return grid


def _remembered(
    hashes: tuple[str, ...], pending: np.ndarray, runtime: Runtime
) -> dict[int, StoredEmbedding]:
    """Row → a vector this process encoded for the same text, for the rows still pending.

    A process that moved to another database (the test suite, a demo reset)
    then stores them there instead of encoding the same texts again.
    """
    found = {}
    for j in np.flatnonzero(pending).tolist():
        vector = runtime.pool.encoded.get(runtime.model_name, hashes[j])
        if vector is not None:
            found[j] = StoredEmbedding(runtime.model_name, hashes[j], vector)
    return found


def _refreshed(session: Session, runtime: Runtime, index: PartnerIndex) -> PartnerIndex:
    """The cached index with the vectors that have landed for its pending partners.

    Only the landed rows of the grid are computed (`PartnerIndex.with_rows`);
    the others are kept as they are, so the index is exactly the one a fresh
    build from the same stored vectors would make.
    """
    if index.pending is None:
        return index
    waiting = [index.ids[j] for j in np.flatnonzero(index.pending).tolist()]
    landed = load_stored_embeddings(session, runtime.model_name, partner_ids=waiting)
    hashes = runtime.pool.hashes
    pending = index.pending.copy()
    rows: list[int] = []
    vectors: list[np.ndarray] = []
    for pid, item in landed.items():
        j = index.positions.get(pid)
        if j is not None and j < len(hashes) and item.text_hash == hashes[j]:
            rows.append(j)
            vectors.append(item.vector)
            pending[j] = False
    if not rows:
        return index
    return index.with_rows(rows, np.stack(vectors), pending)


def enterprise_query_vector(
    *, session: Session, profile: EnterpriseProfile, runtime: Runtime, encode: bool | None = None
) -> np.ndarray | None:
    """The enterprise's need-text query vector, encoded only when its text or the model changed.

    Encoding the need text is most of the cost of ranking one enterprise, and a
    re-score after a pool or config change leaves the text as it was.  Without
    `encode` (default: the runtime's `inline_embeddings`) a missing or stale
    vector is not computed here: None, and the background worker embeds it.
    """
    encode = runtime.inline_embeddings if encode is None else encode
    text = enterprise_need_text(profile)
    digest = text_hash(text)
    enterprise_id = int(profile.id or 0)
    row = session.get(EnterpriseEmbedding, (enterprise_id, runtime.model_name))
    if row is not None and row.text_hash == digest:
        return np.frombuffer(row.vector, dtype=np.float32).copy()
    if not encode:
        return None
    vector = np.asarray(runtime.encoder.encode([text], prompt_name="query")[0], dtype=np.float32)
    store_query_vectors(session, runtime.model_name, {enterprise_id: (digest, vector)})
    return vector


def store_query_vectors(
    session: Session, model_name: str, vectors: dict[int, tuple[str, np.ndarray]]
) -> None:
    """Store enterprises' query vectors: id → (need-text hash, vector)."""
    rows = [
        {"enterprise_id": eid, "model_name": model_name, **_vector_row(vector, digest)}
        for eid, (digest, vector) in vectors.items()
    ]
    upsert(session, EnterpriseEmbedding, rows, ["enterprise_id", "model_name"])
