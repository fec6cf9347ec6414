"""A partner whose embedding is pending is ranked on its rules and lexical similarity alone,
and does not move anyone else's dense part (PartnerIndex.pending)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matcher.cosine import to_grid
from matcher.matching.config import MatcherConfig
from matcher.matching.embeddings import embed_partners
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners, rank_partners_many
from matcher.matching.texts import partner_offer_text
from matcher.profile import PartnerProfile
from tests.matcher.match_helpers import HashEncoder, chain, enterprise, pool, table

CONFIG = MatcherConfig()


def _pool() -> list[PartnerProfile]:
    """The helpers' pool with offer texts that differ (theirs share one)."""
    texts = ["化工园区并购整合", "轮胎产能出清与债务重组", "纺织企业续贷", "", "港口物流资产盘活"]
    return [
        dataclasses.replace(p, track_record=texts[j % len(texts)] + f"{j}起")
        for j, p in enumerate(pool())
    ]


def _dense_parts(index: PartnerIndex, many: bool = False) -> dict[str, float]:
    common = {
        "index": index,
        "config": CONFIG,
        "industries": table(),
        "chain": chain(),
        "limit": len(index),
    }
    ent = enterprise()
    vector = HashEncoder().encode([partner_offer_text(_pool()[2])], prompt_name="query")
    if many:
        results = rank_partners_many(
            [ent, ent], [None, None], np.vstack([vector, vector]), **common
        )[1]
    else:
        results = rank_partners(ent, None, encoder_or_query_embedding=vector[0], **common)
    return {r.partner_id: r.components["dense"] for r in results}


def test_a_pending_partner_gets_no_dense_part_and_leaves_the_others_as_without_it() -> None:
    partners = _pool()
    emb, _ = embed_partners(HashEncoder(), partners, {})
    pending = np.zeros(len(partners), dtype=bool)
    pending[1] = True
    with_pending = PartnerIndex.build(partners, emb, table(), pending=pending)
    assert with_pending.pending_count == 1
    without = PartnerIndex.build(partners[:1] + partners[2:], np.delete(emb, 1, axis=0), table())
    for many in (False, True):
        parts = _dense_parts(with_pending, many)
        reference = _dense_parts(without, many)
        gone = partners[1].id
        if gone in parts:  # it may be filtered out by a hard filter; if ranked, no dense part
            assert parts.pop(gone) == 0.0
        assert parts == {k: v for k, v in reference.items() if k in parts}
        assert any(v != 0 for v in parts.values())


def test_vectors_that_land_replace_the_pending_rows_without_a_rebuild() -> None:
    partners = _pool()
    emb, _ = embed_partners(HashEncoder(), partners, {})
    pending = np.ones(len(partners), dtype=bool)
    waiting = PartnerIndex.build(partners, None, table(), pending=pending)
    assert waiting.pending_count == len(partners) and waiting.grid is None
    landed = waiting.with_embeddings(emb)
    assert landed.pending is None and landed.lexical is waiting.lexical
    full = PartnerIndex.build(partners, emb, table())
    assert _dense_parts(landed) == _dense_parts(full)


def test_rows_that_land_give_the_grid_and_ranking_of_a_fresh_build() -> None:
    """with_rows computes only the landed rows; the others keep their grid unconverted."""
    partners = _pool()
    emb, _ = embed_partners(HashEncoder(), partners, {})
    pending = np.zeros(len(partners), dtype=bool)
    pending[[1, 3, 4]] = True
    waiting = PartnerIndex.build(
        partners, np.where(pending[:, None], 0, emb), table(), pending=pending
    )
    one = waiting.with_rows([4], emb[[4]], pending & (np.arange(len(partners)) != 4))
    assert one.pending_count == 2 and one.lexical is waiting.lexical
    assert waiting.grid is not None and one.grid is not None
    assert one.grid[4].any() and not one.grid[[1, 3]].any()
    assert not waiting.grid[4].any(), "the index refreshed from is left as it was"
    landed = one.with_rows([1, 3], emb[[1, 3]], np.zeros(len(partners), dtype=bool))
    full = PartnerIndex.build(partners, emb, table())
    assert landed.pending is None and landed.grid is not None and full.grid is not None
    assert np.array_equal(landed.grid, full.grid)
    assert _dense_parts(landed) == _dense_parts(full)
    assert _dense_parts(landed, many=True) == _dense_parts(full, many=True)
    first = PartnerIndex.build(partners, None, table(), pending=np.ones(len(partners), dtype=bool))
    assert np.array_equal(first.with_rows(range(len(partners)), emb).grid, full.grid)


def test_a_grid_built_a_block_at_a_time_is_the_grid_of_the_embeddings() -> None:
    """PartnerIndex.build(grid=...): the service streams stored vectors onto the grid."""
    partners = _pool()
    emb, _ = embed_partners(HashEncoder(), partners, {})
    grid = np.zeros(emb.shape, dtype=np.int16)
    for start in range(0, len(emb), 2):
        grid[start : start + 2] = to_grid(emb[start : start + 2], np.int16)
    streamed = PartnerIndex.build(partners, None, table(), grid=grid)
    full = PartnerIndex.build(partners, emb, table())
    assert streamed.grid is not None and full.grid is not None
    assert np.array_equal(streamed.grid, full.grid)
    assert _dense_parts(streamed) == _dense_parts(full)
    with pytest.raises(ValueError, match="int16 grid"):
        PartnerIndex.build(partners, None, table(), grid=grid.astype(np.float32))
    with pytest.raises(ValueError, match="differ in length"):
        PartnerIndex.build(partners, None, table(), grid=grid[1:])
