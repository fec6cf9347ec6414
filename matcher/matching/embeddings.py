"""Partner embeddings reused from storage: re-encode only what changed.

A stored vector names the model and the hash of the exact offer text it was
computed from; `embed_partners` reuses it while both still hold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from matcher.encoders.loading import Encoder, normalise_rows
from matcher.matching.texts import partner_offer_text
from matcher.profile import PartnerProfile


def text_hash(text: str) -> str:
    """A stable content hash, stored with an embedding to know when it is stale.

    Example:
        >>> len(text_hash("轮胎"))
        32
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class StoredEmbedding:
    """A partner embedding as stored: which model, which text, which vector."""

    model_name: str
    text_hash: str
    vector: np.ndarray


def embed_partners(
    encoder: Encoder,
    partners: Sequence[PartnerProfile],
    stored: Mapping[str, StoredEmbedding] | None = None,
) -> tuple[np.ndarray, dict[str, StoredEmbedding]]:
    """Partner embeddings, re-encoding only those whose model or text changed.

    Args:
        encoder: the current encoder.
        partners: the pool, each with an `id`.
        stored: previously stored embeddings by partner id.

    Returns:
        (matrix aligned with `partners`, the fresh records to store by id).

    Example:
        >>> matrix, fresh = embed_partners(enc, partners, stored={})  # doctest: +SKIP
    """
    stored = stored or {}
    texts = [partner_offer_text(p) for p in partners]
    hashes = [text_hash(t) for t in texts]
    rows: list[np.ndarray | None] = []
    todo: list[int] = []
    for i, (p, h) in enumerate(zip(partners, hashes, strict=True)):
        old = stored.get(p.id or "")
        if old is not None and old.model_name == encoder.name and old.text_hash == h:
            rows.append(np.asarray(old.vector, dtype=np.float32))
        else:
            rows.append(None)
            todo.append(i)
    fresh: dict[str, StoredEmbedding] = {}
    if todo:
        new = encoder.encode([texts[i] for i in todo], prompt_name="passage")
        for i, vec in zip(todo, new, strict=True):
            rows[i] = vec
            fresh[partners[i].id or str(i)] = StoredEmbedding(encoder.name, hashes[i], vec)
    if not rows:
        return np.zeros((0, 0), np.float32), fresh
    return normalise_rows(np.stack([r for r in rows if r is not None])), fresh
