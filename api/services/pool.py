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
from matcher.matching.embeddings import StoredEmbedding, embed_partners, text_hash
from matcher.matching.pool import PartnerIndex
from matcher.matching.texts import enterprise_need_text
from matcher.profile import EnterpriseProfile, PartnerProfile
from models.tables import EnterpriseEmbedding, Partner, PartnerEmbedding, PoolState, utcnow


def pool_version(session: Session) -> str:
    """The live pool's revision: it changes whenever a partner is added, changed or archived.

    One primary-key read: every ranking read checks it, and the partner
    services bump it in the same transaction as each write (bump_pool_revision).
    """
    # Columns, not the entity: a session's identity map could hand back a row
    # read before another transaction bumped it.
    state = session.exec(
        select(PoolState.epoch, PoolState.revision).where(col(PoolState.id) == 1)
    ).first()
    return "none" if state is None else f"{state[0]}:r{state[1]}"


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
    combined = f"{pool_version(session)}:{model_name}".encode()
    return hashlib.sha256(combined).hexdigest()[:32]


def load_stored_embeddings(session: Session, model_name: str) -> dict[str, StoredEmbedding]:
    rows = session.exec(
        select(PartnerEmbedding).where(PartnerEmbedding.model_name == model_name)
    ).all()
    return {
        str(r.partner_id): StoredEmbedding(
            r.model_name, r.text_hash, np.frombuffer(r.vector, dtype=np.float32).copy()
        )
        for r in rows
    }


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


def partner_index(*, session: Session, runtime: Runtime) -> tuple[PartnerIndex, str]:
    """The index of the live pool and its version, rebuilt only when the pool changed."""
    version = pool_key(session, runtime.model_name)
    with runtime.pool.lock:
        if runtime.pool.index is not None and runtime.pool.version == version:
            return runtime.pool.index, version
        rows = session.exec(
            select(Partner).where(col(Partner.archived).is_(False)).order_by(col(Partner.id))
        ).all()
        profiles = [partner_profile(r) for r in rows]
        in_db = load_stored_embeddings(session, runtime.model_name)
        known = _with_remembered(in_db, profiles, runtime)
        matrix, fresh = embed_partners(runtime.encoder, profiles, known)
        # What the database lacks: freshly encoded vectors and ones this process remembered.
        unsaved = {pid: item for pid, item in known.items() if pid not in in_db}
        unsaved.update(fresh)
        if unsaved:
            store_embeddings(session, unsaved)
        runtime.pool.vectors.update(
            {(pid, item.model_name): item for pid, item in {**known, **fresh}.items()}
        )
        embeddings = matrix if len(profiles) else None
        index = PartnerIndex.build(
            profiles,
            embeddings,
            runtime.industries,
            ngram_store=runtime.pool.ngrams,
            registry=runtime.registry,
        )
        runtime.pool.index, runtime.pool.version = index, version
        return index, version


def _with_remembered(
    in_db: dict[str, StoredEmbedding], profiles: list[PartnerProfile], runtime: Runtime
) -> dict[str, StoredEmbedding]:
    """Stored embeddings, completed with those this process computed for another database.

    embed_partners still checks each one's model and text hash, so a remembered
    vector is reused only for the same text.
    """
    known = dict(in_db)
    for profile in profiles:
        pid = profile.id or ""
        remembered = runtime.pool.vectors.get((pid, runtime.model_name))
        if pid not in known and remembered is not None:
            known[pid] = remembered
    return known


def enterprise_query_vector(
    *, session: Session, profile: EnterpriseProfile, runtime: Runtime
) -> np.ndarray:
    """The enterprise's need-text query vector, encoded only when its text or the model changed.

    Encoding the need text is most of the cost of ranking one enterprise, and a
    re-score after a pool or config change leaves the text as it was.
    """
    text = enterprise_need_text(profile)
    digest = text_hash(text)
    enterprise_id = int(profile.id or 0)
    row = session.get(EnterpriseEmbedding, (enterprise_id, runtime.model_name))
    if row is not None and row.text_hash == digest:
        return np.frombuffer(row.vector, dtype=np.float32).copy()
    vector = np.asarray(runtime.encoder.encode([text], prompt_name="query")[0], dtype=np.float32)
    row_values = {
        "enterprise_id": enterprise_id,
        "model_name": runtime.model_name,
        **_vector_row(vector, digest),
    }
    upsert(session, EnterpriseEmbedding, [row_values], ["enterprise_id", "model_name"])
    return vector
