"""Batched ranking: the same results as ranking one enterprise at a time."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from matcher.matching.config import MatcherConfig
from matcher.matching.embeddings import embed_partners
from matcher.matching.pool import LevelMemo, PartnerIndex
from matcher.matching.ranking import rank_partners, rank_partners_many
from matcher.matching.texts import enterprise_need_text
from matcher.profile import Asset, PartnerProfile
from tests.matcher.match_helpers import HashEncoder, chain, enterprise, pool, table
from tests.matcher.test_scoring import DIAGNOSES, ENTERPRISES


def _shuffled_pool(n: int, seed: int = 3) -> list[PartnerProfile]:
    """n partners recombining the fields of the hand-built pool (every level occurs)."""
    rng = random.Random(seed)
    base = pool()
    out = []
    for j in range(n):
        a, b, c = rng.choice(base), rng.choice(base), rng.choice(base)
        out.append(
            dataclasses.replace(
                a,
                id=f"S{j:03d}",
                industries=b.industries,
                preferred_regions=c.preferred_regions,
                ticket_min=b.ticket_min,
                ticket_max=c.ticket_max
                if c.ticket_max is None or b.ticket_min is None
                else max(c.ticket_max, b.ticket_min),
                asset_interests=c.asset_interests,
                excluded_industries=rng.choice([(), (), ("C29",), ("C2911", "A")]),
            )
        )
    return out


@pytest.fixture(scope="module")
def big_index() -> PartnerIndex:
    partners = _shuffled_pool(240)
    emb, _ = embed_partners(HashEncoder(), partners, {})
    return PartnerIndex.build(partners, emb, table())


def _cases() -> tuple[list, list]:
    """Every test enterprise under every diagnosis, plus one differing only in its idle assets."""
    idle_land = enterprise(
        assets=(Asset(type="land", description="闲置土地", appraised_value=800.0, idle=True),)
    )
    ents, dxs = [], []
    for e in [*ENTERPRISES, idle_land]:
        for dx in DIAGNOSES:
            ents.append(e)
            dxs.append(dx)
    return ents, dxs


@pytest.mark.parametrize("block", [1, 5, 64])
def test_many_equals_one_at_a_time(big_index: PartnerIndex, block: int) -> None:
    ents, dxs = _cases()
    encoder = HashEncoder()
    vectors = encoder.encode([enterprise_need_text(e) for e in ents], prompt_name="query")
    rng = random.Random(block)
    excluded = [set(rng.sample(big_index.ids, 5)) for _ in ents]
    common = {
        "index": big_index,
        "config": MatcherConfig(),
        "industries": table(),
        "chain": chain(),
        "limit": 40,
    }
    batched = rank_partners_many(
        ents, dxs, vectors, exclude_partner_ids=excluded, block=block, **common
    )
    assert len(batched) == len(ents)
    for i, (e, dx) in enumerate(zip(ents, dxs, strict=True)):
        single = rank_partners(
            e, dx, encoder_or_query_embedding=vectors[i], exclude_partner_ids=excluded[i], **common
        )
        assert [r.partner_id for r in batched[i]] == [r.partner_id for r in single], i
        assert not {r.partner_id for r in batched[i]} & excluded[i]
        for got, want in zip(batched[i], single, strict=True):
            # Exactly equal: grid cosines do not depend on the product's shape.
            assert got.score == want.score
            assert got.levels == want.levels
            assert got.reasons == want.reasons
            assert got.components == want.components


def test_many_without_embeddings(big_index: PartnerIndex) -> None:
    ents, dxs = _cases()
    results = rank_partners_many(
        ents[:4],
        dxs[:4],
        None,
        index=big_index,
        config=MatcherConfig(),
        industries=table(),
        chain=chain(),
    )
    assert all(r.components["dense"] == 0.0 for rs in results for r in rs)
    assert any(results)


def test_many_checks_lengths(big_index: PartnerIndex) -> None:
    ents, dxs = _cases()
    common = {
        "index": big_index,
        "config": MatcherConfig(),
        "industries": table(),
        "chain": chain(),
    }
    with pytest.raises(ValueError, match="one diagnosis per enterprise"):
        rank_partners_many(ents[:3], dxs[:2], None, **common)
    with pytest.raises(ValueError, match="one query embedding per enterprise"):
        rank_partners_many(ents[:3], dxs[:3], np.zeros((2, 64), np.float32), **common)
    assert rank_partners_many([], [], None, **common) == []


def test_level_memo_keeps_at_most_its_bound() -> None:
    memo = LevelMemo(max_entries=2)
    calls: list[str] = []

    def make(key: str) -> np.ndarray:
        calls.append(key)
        return np.array([len(calls)])

    first = memo.get(("a",), lambda: make("a"))
    assert memo.get(("a",), lambda: make("a")) is first
    memo.get(("b",), lambda: make("b"))
    memo.get(("c",), lambda: make("c"))  # evicts "a", the oldest
    memo.get(("a",), lambda: make("a"))
    assert calls == ["a", "b", "c", "a"]
    nothing = LevelMemo(0)
    nothing.get(("a",), lambda: make("a"))
    nothing.get(("a",), lambda: make("a"))
    assert calls[-2:] == ["a", "a"]
