"""Exact grid cosines: the same bits in every batch shape, noise never standardised into a score."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.cosine import GRID, from_grid, grid_cosines, to_grid
from matcher.matching.config import MatcherConfig
from matcher.matching.fusion import MIN_SPREAD, standardise
from matcher.matching.pool import PartnerIndex
from matcher.matching.ranking import rank_partners, rank_partners_many
from matcher.profile import PartnerProfile
from tests.matcher.match_helpers import chain, enterprise, table


@pytest.mark.parametrize("dim", [384, 1024])
def test_grid_products_are_exact_integers(dim: int) -> None:
    rng = np.random.default_rng(dim)
    rows = to_grid(rng.normal(size=(2000, dim)))
    queries = to_grid(rng.normal(size=(40, dim)))
    exact = queries.astype(np.int64) @ rows.astype(np.int64).T
    assert np.array_equal((queries @ rows.T).astype(np.int64), exact)
    # A vector aligned with one axis reaches the bound ‖a‖·‖b‖ itself.
    spike = to_grid(np.eye(dim)[:3])
    assert grid_cosines(spike, spike[0]).tolist() == [1.0, 0.0, 0.0]


def test_one_query_alone_equals_its_row_in_any_block() -> None:
    rng = np.random.default_rng(7)
    rows = to_grid(rng.normal(size=(3000, 384)).astype(np.float32))
    queries = to_grid(rng.normal(size=(64, 384)).astype(np.float32))
    alone = np.stack([grid_cosines(rows, q) for q in queries])
    for block in (1, 5, 16, 32, 64):
        batched = np.concatenate(
            [grid_cosines(rows, queries[s : s + block]) for s in range(0, 64, block)]
        )
        assert np.array_equal(batched, alone), block


def test_grid_keeps_the_direction() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 384)).astype(np.float32)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    back = from_grid(to_grid(x))
    back /= np.linalg.norm(back, axis=1, keepdims=True)
    assert np.min(np.sum(unit * back, axis=1)) > 0.99999
    # The similarity the ranking reads is within 5e-4 of the true cosine.
    grid = to_grid(x)
    true = unit[1:] @ unit[0]
    assert np.max(np.abs(grid_cosines(grid[1:], grid[0]) - true)) < 5e-4
    assert to_grid(np.zeros(4)).tolist() == [0.0] * 4
    assert np.abs(to_grid(x)).max() <= GRID


def test_too_large_a_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        to_grid(np.ones((1, 40_000)))


def test_noise_is_not_standardised_into_a_score() -> None:
    rng = np.random.default_rng(0)
    noisy = (0.8 + rng.normal(scale=6e-8, size=500)).astype(np.float32)
    rows = np.arange(500)
    assert not standardise(noisy, rows, 3.0).any()
    real = np.linspace(0.70, 0.72, 500, dtype=np.float32)
    z = standardise(real, rows, 3.0)
    assert np.std(z) == pytest.approx(1.0, abs=1e-3) and MIN_SPREAD < np.std(real)


def test_pool_of_near_identical_offers_scores_the_same_batched_and_alone() -> None:
    """The case that failed on AMD EPYC: raw similarities all equal up to float32 noise."""
    rng = np.random.default_rng(5)
    base = rng.normal(size=384)
    emb = base + rng.normal(scale=1e-9, size=(80, 384))
    partners = [
        PartnerProfile(name=f"乙{j}", id=f"N{j}", industries=("C2911",), capabilities="橡胶")
        for j in range(80)
    ]
    index = PartnerIndex.build(partners, emb, table(), lexical=False)
    ents = [enterprise(name=f"甲{i}") for i in range(64)]
    dxs = [{"relief": 1.0}] * 64
    queries = base + rng.normal(size=(64, 384))
    common = {"index": index, "config": MatcherConfig(), "industries": table(), "chain": chain()}
    batched = rank_partners_many(ents, dxs, queries, limit=20, block=64, **common)
    for i, e in enumerate(ents):
        alone = rank_partners(e, dxs[i], encoder_or_query_embedding=queries[i], limit=20, **common)
        assert [(r.partner_id, r.score, r.components) for r in batched[i]] == [
            (r.partner_id, r.score, r.components) for r in alone
        ]
        assert all(r.components["dense"] == 0.0 for r in alone)


def test_int16_storage_gives_the_same_bits_as_float32() -> None:
    """A pool's grid is stored as int16; its cosines equal those of the float32 grid."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(5000, 384))
    wide, narrow = to_grid(x), to_grid(x, np.int16)
    assert narrow.dtype == np.int16 and np.array_equal(wide, narrow.astype(np.float32))
    queries = to_grid(rng.normal(size=(40, 384)))
    assert np.array_equal(grid_cosines(narrow, queries), grid_cosines(wide, queries))
    for q in queries[:5]:
        assert np.array_equal(grid_cosines(narrow, q), grid_cosines(wide, q))
    with pytest.raises(ValueError, match="float32 or int16"):
        to_grid(x, np.int8)


def test_a_row_is_put_on_the_grid_the_same_alone_as_inside_any_pool() -> None:
    """What lets an index refresh only the rows whose vectors landed (PartnerIndex.with_rows)
    and still hold exactly the grid of a fresh build."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5000, 384)).astype(np.float32)  # more rows than one conversion step
    whole = to_grid(x, np.int16)
    for rows in (np.array([0]), np.array([4999]), np.arange(2040, 2060), rng.choice(5000, 300)):
        assert np.array_equal(to_grid(x[rows], np.int16), whole[rows])
    assert np.array_equal(to_grid(x[17], np.int16), whole[17])
