"""The partner pool as the matcher sees it: profiles, stored embeddings, a cached index.

Partner embeddings are computed once per (model, offer text) and stored; the
PartnerIndex is rebuilt only when the pool version (every partner's id and
last change) or the encoder differs from the cached one.
"""

from __future__ import annotations

import hashlib

import numpy as np
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from api.runtime import Runtime
from api.services.mapping import partner_profile
from matcher.embed import StoredEmbedding, embed_partners, enterprise_need_text, text_hash
from matcher.partner_index import PartnerIndex
from matcher.profile import EnterpriseProfile, PartnerProfile
from models.tables import EnterpriseEmbedding, Partner, PartnerEmbedding, utcnow


def pool_version(session: Session) -> str:
    """A digest of the live pool: it changes whenever a partner is added, changed or archived."""
    rows = session.exec(
        select(Partner.id, Partner.updated_at).where(col(Partner.archived).is_(False))
    ).all()
    digest = hashlib.sha256()
    for partner_id, updated in sorted(rows, key=lambda r: r[0] or 0):
        digest.update(f"{partner_id}:{updated.replace(tzinfo=None).isoformat()};".encode())
    return digest.hexdigest()[:32]


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


def store_embeddings(session: Session, fresh: dict[str, StoredEmbedding]) -> None:
    """Upsert vectors: two workers embedding the same new partner must not collide."""
    if not fresh:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    values = [
        {
            "partner_id": int(partner_id),
            "model_name": item.model_name,
            "text_hash": item.text_hash,
            "dim": int(np.asarray(item.vector).shape[0]),
            "vector": np.asarray(item.vector, dtype=np.float32).tobytes(),
            "updated_at": now,
        }
        for partner_id, item in fresh.items()
    ]
    statement = insert(PartnerEmbedding).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["partner_id", "model_name"],
        set_={
            name: statement.excluded[name] for name in ("text_hash", "dim", "vector", "updated_at")
        },
    )
    session.execute(statement)


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
        index = PartnerIndex.build(profiles, embeddings, runtime.industries)
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
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    values = {
        "enterprise_id": enterprise_id,
        "model_name": runtime.model_name,
        "text_hash": digest,
        "dim": int(vector.shape[0]),
        "vector": vector.tobytes(),
        "updated_at": utcnow(),
    }
    statement = insert(EnterpriseEmbedding).values(values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["enterprise_id", "model_name"],
            set_={k: statement.excluded[k] for k in ("text_hash", "dim", "vector", "updated_at")},
        )
    )
    return vector
