"""Array-only search over embeddings: no model, no profiles (as sentence-transformers' util)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def top_partners(
    query_emb: np.ndarray, corpus_emb: np.ndarray, partner_ids: Sequence[str], top_k: int
) -> list[tuple[str, float]]:
    """The `top_k` partners by cosine similarity, best first (array-only).

    Uses argpartition (no full sort of the pool).

    Example:
        >>> top_partners(np.array([1.0, 0.0]), np.eye(2), ["a", "b"], 1)
        [('a', 1.0)]
    """
    if len(partner_ids) != len(corpus_emb):
        raise ValueError("partner_ids and corpus_emb differ in length")
    if top_k <= 0 or len(partner_ids) == 0:
        return []
    scores = np.asarray(corpus_emb, np.float32) @ np.asarray(query_emb, np.float32).reshape(-1)
    idx = top_indices(scores, top_k)
    return [(partner_ids[i], float(scores[i])) for i in idx]


def top_indices(scores: np.ndarray, top_k: int) -> np.ndarray:
    """Indices of the `top_k` largest scores, best first; ties by lower index.

    Example:
        >>> top_indices(np.array([0.2, 0.9, 0.9]), 2).tolist()
        [1, 2]
    """
    n = len(scores)
    k = min(top_k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.arange(n)
    if k < n:
        # Every score at least the k-th largest, in index order: argpartition would
        # keep an arbitrary k of them where equal scores straddle the k-th place,
        # and which ones depends on NumPy's selection kernel for the CPU.
        kth = np.partition(scores, n - k)[n - k]
        above = np.flatnonzero(scores >= kth)
        if len(above) >= k:  # fewer only when NaNs fill the top (they rank last here)
            part = above
    order = np.lexsort((part, -scores[part]))
    return part[order[:k]]
