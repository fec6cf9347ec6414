"""语义相似 and 关键词相似: the two text similarities of need and offer.

Dense: the cosine of the e5 query and passage embeddings, on matcher.cosine's
exact grid, so a batch's matrix product and a single ranking give the same
bits.  Lexical: character n-gram TF-IDF (matcher.matching.lexical).  Each is
fused as weight × clipped z-score over the filtered pool (matcher.matching.fusion).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from matcher.cosine import grid_cosines, to_grid
from matcher.matching.component import SimilarityComponent
from matcher.matching.context import MatchQuery

if TYPE_CHECKING:  # a type only: the pool imports the registry of these components
    from matcher.matching.pool import PartnerIndex


def _dense(index: PartnerIndex, q: MatchQuery) -> np.ndarray | None:
    if q.embedding is None or index.grid is None or not len(index):
        return None
    return grid_cosines(index.grid, to_grid(q.embedding))


def _dense_block(index: PartnerIndex, queries: Sequence[MatchQuery]) -> np.ndarray | None:
    if index.grid is None or not len(index) or not queries:
        return None
    vectors = [q.embedding for q in queries]
    if any(v is None for v in vectors):
        return None
    return grid_cosines(index.grid, to_grid(np.stack(vectors)))  # type: ignore[arg-type]


def _lexical(index: PartnerIndex, q: MatchQuery) -> np.ndarray | None:
    if index.lexical is None or not len(index):
        return None
    return index.lexical.scores(q.text)


DENSE = SimilarityComponent(
    name="dense",
    title="语义相似",
    weight_field="dense_weight",
    reason="业务描述语义相近（相似度{cosine:.2f}）",
    scores=_dense,
    block_scores=_dense_block,
    needs_embedding=True,
)

LEXICAL = SimilarityComponent(
    name="lexical",
    title="关键词相似",
    weight_field="lexical_weight",
    reason="关键词重合度较高",
    scores=_lexical,
)
