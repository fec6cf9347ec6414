"""The ranking's fast paths return what the straightforward ways return, bit for bit.

Each optimised step of a ranking (the rule sum from level-combination tables,
the coverage step over one candidate per role, the top-k selection, the lexical
product over the query's rows in place, the explanations) is checked against
its reference form, and a whole ranking against a reference ranking built from
those forms, on a pool full of exact ties (duplicated partners: same profile,
same offer text, so the same vector, n-grams and levels).
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
from scipy import sparse

import matcher.matching.components.industry as industry_component
import matcher.matching.components.region as region_component
import matcher.matching.components.role as role_component
import matcher.matching.lexical as lexical
from matcher.cosine import grid_cosines, to_grid
from matcher.encoders.search import top_indices
from matcher.matching.components.role import ROLE_CODES
from matcher.matching.config import MatcherConfig
from matcher.matching.context import MatchQuery
from matcher.matching.coverage import COVERAGE, SHORTLIST_FACTOR, _cover_scan, cover, free_places
from matcher.matching.embeddings import embed_partners
from matcher.matching.explain import (
    WEAK_REASON,
    MatchResult,
    coverage_reason,
    reasons,
    role_numbers,
)
from matcher.matching.fusion import exact_rule_sums, rule_sum, score_pool, sum_parts
from matcher.matching.lexical import LexicalIndex, rows_product
from matcher.matching.pool import LevelMemo, PartnerIndex
from matcher.matching.ranking import rank_partners, rank_partners_many
from matcher.matching.registry import FULL_MODE, RULES_MODE, STANDARD_REGISTRY
from matcher.matching.roles import derive_role
from matcher.matching.texts import enterprise_need_text
from matcher.profile import PartnerProfile
from tests.matcher.match_helpers import HashEncoder, chain, ctx, pool, table
from tests.matcher.test_scoring import DIAGNOSES, ENTERPRISES


def _tied_pool(n: int = 180, seed: int = 11) -> list[PartnerProfile]:
    """Partners recombining the hand-built pool's fields, each twice or three times."""
    rng = random.Random(seed)
    base = pool()
    out: list[PartnerProfile] = []
    while len(out) < n:
        a, b, c = rng.choice(base), rng.choice(base), rng.choice(base)
        made = dataclasses.replace(
            a,
            industries=b.industries,
            preferred_regions=c.preferred_regions,
            asset_interests=c.asset_interests,
            ticket_min=b.ticket_min,
            ticket_max=c.ticket_max
            if c.ticket_max is None or b.ticket_min is None
            else max(c.ticket_max, b.ticket_min),
        )
        for _ in range(rng.choice([2, 3])):
            out.append(dataclasses.replace(made, id=f"T{len(out):03d}"))
    return out[:n]


@pytest.fixture(scope="module")
def tied() -> PartnerIndex:
    partners = _tied_pool()
    emb, _ = embed_partners(HashEncoder(), partners, {})
    return PartnerIndex.build(partners, emb, table())


def _reference_ranking(
    index: PartnerIndex,
    enterprise: object,
    dx: object,
    vector: np.ndarray,
    config: MatcherConfig,
    limit: int,
    mode: str = FULL_MODE,
    include_weak: bool = False,
) -> list[MatchResult]:
    """A ranking the straightforward way from the same levels, filters and z-scores.

    The total adds the full part arrays one after the other, the top is a full
    sort by (score, row), the coverage step scans every candidate, and each
    result's reasons come from `reasons` (the per-pair forms), element by element.
    """
    c = ctx(config)
    text = enterprise_need_text(enterprise)  # type: ignore[arg-type]
    q = MatchQuery.build(enterprise, dx, c, text=text, embedding=vector)  # type: ignore[arg-type]
    scored = score_pool(q, index, c, mode=mode)
    registry = index.registry
    parts = scored.parts
    rules = [parts[k.name] for k in registry.components]
    if mode == RULES_MODE:
        total = sum_parts(config.base, rules)
    elif mode in scored.sims:
        total = scored.sims[mode].astype(np.float64)
    else:
        total = sum_parts(config.base, parts.values())
    assert np.array_equal(total, scored.total)  # the tables' sum is the sequential one
    judged = mode in (FULL_MODE, RULES_MODE)
    floor = config.fit_floor if judged else -np.inf
    rows = scored.rows.tolist()
    strong = [j for j in rows if total[j] >= floor]
    by_score = sorted(strong, key=lambda j: (-total[j], j))
    order = np.array(by_score[: max(SHORTLIST_FACTOR * limit, 30)], dtype=np.int64)
    roles = role_numbers(index)
    assert roles is not None
    penalty = config.coverage_penalty if judged and q.primary is not None else 0.0
    k = min(limit, len(order))
    if penalty > 0 and k > 1:
        free = free_places(q, c)
        role = roles.take(order).astype(np.int64)
        allowed = np.ones(max(int(role.max()) + 1, len(free)), dtype=np.int64)
        allowed[: len(free)] = np.maximum(free, 1)
        covered = _cover_scan(order, total.take(order), role, allowed, k, penalty)
        picked, adjust, above = covered.rows, covered.adjust, covered.above
    else:
        picked, adjust, above = order[:k], np.zeros(k), np.zeros(k, dtype=np.int64)
    out = [
        _reference_result(index, q, c, scored, total, int(j), float(a), int(n), rank, False)
        for rank, (j, a, n) in enumerate(zip(picked, adjust, above, strict=True), 1)
    ]
    if include_weak and len(out) < limit:
        rest = sorted((j for j in rows if total[j] < floor), key=lambda j: (-total[j], j))
        for j in rest[: limit - len(out)]:
            out.append(_reference_result(index, q, c, scored, total, j, 0.0, 0, len(out) + 1, True))
    return out


def _reference_result(index, q, c, scored, total, j, adjust, above, rank, weak) -> MatchResult:  # type: ignore[no-untyped-def]
    registry = index.registry
    partner = index.partners[j]
    components = {k: float(np.round(np.float64(v[j]), 6)) for k, v in scored.parts.items()}
    components[COVERAGE] = float(np.round(np.float64(adjust), 6))
    sims = {k: float(v[j]) for k, v in scored.sims.items()}
    text = {k: (components[k], float(scored.z[k][j]), sims[k]) for k in sims}
    role = ROLE_CODES[int(role_numbers(index)[j])]
    said = reasons(q, partner, c, text, registry)
    moved = coverage_reason(above, role, q)
    if moved:
        said = (*said, moved)
    if weak:
        said = (WEAK_REASON, *said)
    return MatchResult(
        partner_id=index.ids[j],
        partner_name=partner.name,
        score=float(total[j] + adjust),
        components=components,
        reasons=said,
        config_hash=c.config.config_hash(),
        levels={k.name: k.labels[int(scored.levels[k.name][j])] for k in registry.components},
        similarities=sims,
        rank=rank,
        role=role,
        weak=weak,
    )


@pytest.mark.parametrize("mode", ["full", "rules", "dense", "lexical"])
@pytest.mark.parametrize("dx", DIAGNOSES)
def test_ranking_equals_the_reference_ranking_on_a_pool_of_ties(
    tied: PartnerIndex, dx: object, mode: str
) -> None:
    config = MatcherConfig()
    vectors = HashEncoder().encode(
        [enterprise_need_text(e) for e in ENTERPRISES], prompt_name="query"
    )
    for e, vector in zip(ENTERPRISES, vectors, strict=True):
        for limit in (1, 7, 40):
            got = rank_partners(
                e,
                dx,  # type: ignore[arg-type]
                index=tied,
                encoder_or_query_embedding=vector,
                config=config,
                industries=table(),
                chain=chain(),
                limit=limit,
                mode=mode,
                include_weak=True,
            )
            want = _reference_ranking(tied, e, dx, vector, config, limit, mode, True)
            assert [r.partner_id for r in got] == [r.partner_id for r in want]
            assert got == want  # every field: scores, components, levels, reasons, roles
    # The pool does tie: a duplicated partner's twin has its score exactly.
    scores = [r.score for r in got]
    assert len(set(scores)) < len(scores)


def test_batched_ranking_equals_the_reference_ranking(tied: PartnerIndex) -> None:
    config = MatcherConfig()
    ents = [e for e in ENTERPRISES for _ in DIAGNOSES]
    dxs = [dx for _ in ENTERPRISES for dx in DIAGNOSES]
    vectors = HashEncoder().encode([enterprise_need_text(e) for e in ents], prompt_name="query")
    got = rank_partners_many(
        ents, dxs, vectors, index=tied, config=config, industries=table(), chain=chain(), limit=25
    )
    for i, (e, dx) in enumerate(zip(ents, dxs, strict=True)):
        assert got[i] == _reference_ranking(tied, e, dx, vectors[i], config, 25), i


def test_rule_sum_from_tables_is_the_sequential_sum() -> None:
    rng = np.random.default_rng(5)
    n = 5000
    sizes = [7, 10, 7, 9, 4, 3, 4]
    levels = [rng.integers(0, s, n).astype(np.int8) for s in sizes]
    for scale in (1.0, 0.37, 3.1):
        weights = [(rng.normal(size=s) * scale).astype(np.float32) for s in sizes]
        for w in weights:
            w[0] = 0.0  # the null level
        assert exact_rule_sums(weights)
        want = sum_parts(0.0, [w.take(lv) for w, lv in zip(weights, levels, strict=True)])
        got = rule_sum(weights, levels)
        assert got.dtype == np.float64
        assert np.array_equal(got, want)
    # A weight too small for every sum to be exact: added one after the other.
    weights[2][1] = np.float32(1e-9)
    assert not exact_rule_sums(weights)
    want = sum_parts(0.0, [w.take(lv) for w, lv in zip(weights, levels, strict=True)])
    assert np.array_equal(rule_sum(weights, levels), want)
    # So are weights whose sums could reach 2**10.
    assert not exact_rule_sums([np.array([0.0, 600.0], np.float32)] * 2)


def test_cover_over_role_heads_equals_the_scan() -> None:
    rng = np.random.default_rng(2)
    for trial in range(400):
        n = int(rng.integers(2, 80))
        total = np.round(rng.normal(size=300) * 2, int(rng.integers(0, 3)))  # ties
        order = np.lexsort((np.arange(300), -total))[:n]
        roles = rng.integers(0, len(ROLE_CODES), 300).astype(np.int8)
        free = rng.integers(0, 4, len(ROLE_CODES))
        penalty = float(rng.choice([0.25, 0.3, 0.5, 1.0]))
        k = int(rng.integers(2, n + 3))
        got = cover(order, total, roles, k, penalty, free)
        role = roles.take(order).astype(np.int64)
        allowed = np.maximum(free, 1).astype(np.int64)
        want = _cover_scan(order, total.take(order), role, allowed, min(k, n), penalty)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype, trial
            assert np.array_equal(a, b), trial
    # An order that is not best first is scanned, as before.
    unsorted = cover(np.array([2, 0, 1]), np.array([3.0, 2.9, 2.5]), np.zeros(3, np.int8), 3, 0.5)
    assert unsorted.rows.tolist() == [0, 1, 2]


def test_top_indices_breaks_ties_by_lower_index() -> None:
    rng = np.random.default_rng(9)
    for dtype in (np.float32, np.float64):
        for _ in range(200):
            n = int(rng.integers(1, 400))
            scores = np.round(rng.normal(size=n), 1).astype(dtype)  # many equal scores
            k = int(rng.integers(0, n + 3))
            want = np.lexsort((np.arange(n), -scores))[: min(k, n)]
            assert top_indices(scores, k).tolist() == want.tolist()
    # Scores equal at the k-th place: the lower indices are kept.
    assert top_indices(np.array([1.0, 2.0, 1.0, 1.0, 1.0]), 3).tolist() == [1, 0, 2]
    # NaN ranks last.
    assert top_indices(np.array([np.nan, 1.0, np.nan, 0.5]), 3).tolist() == [1, 3, 0]


def test_rows_product_is_scipys_product_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    dense = rng.random((40, 3000)) < 0.2
    dense[7] = False  # an empty row
    ones = sparse.csr_matrix(dense)
    rest = sparse.csr_matrix(np.where(dense, rng.random((40, 3000)), 0).astype(np.float32))
    rows = np.array([0, 3, 7, 8, 21, 39])
    x = rng.random(len(rows)).astype(np.float32)
    for matrix in (ones, rest):
        want = np.asarray(matrix[rows].T @ x, dtype=np.float32).ravel()
        got = rows_product(matrix, rows, x)
        assert got.dtype == np.float32
        assert np.array_equal(got, want)
    monkeypatch.setattr(lexical, "_csc_matvec", None)  # a SciPy without the kernel
    assert np.array_equal(rows_product(rest, rows, x), rest[rows].T @ x)


def test_lexical_scores_are_the_row_selection_product() -> None:
    texts = [p.name + p.capabilities + p.interests for p in pool()]
    index = LexicalIndex.fit(texts)
    for text in texts[:5] + ["轮胎企业寻求并购", "不良资产 债务重组"]:
        ids, weights = index.query_terms(text)
        x = weights * index._idf.take(ids)
        want = np.asarray(index._ones[ids].T @ x, dtype=np.float32).ravel()
        want += np.asarray(index._rest[ids].T @ x, dtype=np.float32).ravel()
        want /= index._norms
        assert np.array_equal(index.scores(text), want)


def test_a_memo_shared_by_the_blocks_of_a_job_changes_no_ranking(tied: PartnerIndex) -> None:
    config = MatcherConfig()
    ents = [e for e in ENTERPRISES for _ in DIAGNOSES]
    dxs = [dx for _ in ENTERPRISES for dx in DIAGNOSES]
    vectors = HashEncoder().encode([enterprise_need_text(e) for e in ents], prompt_name="query")
    common = {"config": config, "industries": table(), "chain": chain(), "limit": 20}
    alone = rank_partners_many(ents, dxs, vectors, index=tied, **common)  # type: ignore[arg-type]
    memo = LevelMemo(max_entries=6)  # small: arrays are evicted and computed again
    blocks = []
    for start in range(0, len(ents), 5):
        stop = start + 5
        blocks += rank_partners_many(
            ents[start:stop], dxs[start:stop], vectors[start:stop], index=tied, memo=memo, **common
        )  # type: ignore[arg-type]
    assert blocks == alone
    # Another pool (or config) empties it: no array of the old pool is ranked with.
    other = PartnerIndex.build(_tied_pool(60, seed=3), None, table())
    got = rank_partners_many(ents[:3], dxs[:3], None, index=other, memo=memo, **common)  # type: ignore[arg-type]
    assert got == rank_partners_many(ents[:3], dxs[:3], None, index=other, **common)  # type: ignore[arg-type]
    assert all(len(v) == len(other) for v in memo._store.values())


def test_level_memo_drops_the_least_recently_used_and_bounds_bytes() -> None:
    memo = LevelMemo(max_entries=2)
    calls: list[str] = []

    def make(key: str) -> np.ndarray:
        calls.append(key)
        return np.zeros(1000, np.int8)

    memo.get(("a",), lambda: make("a"))
    memo.get(("b",), lambda: make("b"))
    memo.get(("a",), lambda: make("a"))  # a used again: b is now the least recent
    memo.get(("c",), lambda: make("c"))  # evicts b
    memo.get(("a",), lambda: make("a"))
    memo.get(("b",), lambda: make("b"))
    assert calls == ["a", "b", "c", "b"]
    by_bytes = LevelMemo(max_bytes=3000)
    for key in "defgh":
        by_bytes.get((key,), lambda k=key: make(k))
    assert len(by_bytes._store) == 3


def test_grid_products_in_steps_equal_one_product() -> None:
    """The int16 grid is converted a step of rows at a time (1024 for one query, 16384
    for a block); every step, the last one short, gives the bits of one float32 product."""
    rng = np.random.default_rng(8)
    narrow = to_grid(rng.normal(size=(2 * 16384 + 1029, 32)), np.int16)
    wide = narrow.astype(np.float32)
    queries = to_grid(rng.normal(size=(7, 32)))
    block = grid_cosines(narrow, queries)
    assert np.array_equal(block, grid_cosines(wide, queries))
    for i, q in enumerate(queries[:3]):
        assert np.array_equal(grid_cosines(narrow, q), block[i])


def test_the_explanations_take_each_partners_role_from_the_index(
    tied: PartnerIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ranking derived every partner's role when its index was built (the role
    component's state); explaining 100 results derives none again, and says the same."""
    config = MatcherConfig()
    vectors = HashEncoder().encode(
        [enterprise_need_text(e) for e in ENTERPRISES], prompt_name="query"
    )
    common = {"index": tied, "config": config, "industries": table(), "chain": chain()}

    def ranked() -> list[list[MatchResult]]:
        return [
            rank_partners(
                e, dx, encoder_or_query_embedding=v, limit=100, include_weak=True, **common
            )  # type: ignore[arg-type]
            for e, v in zip(ENTERPRISES, vectors, strict=True)
            for dx in DIAGNOSES
        ]

    want = ranked()

    def derived_again(p: PartnerProfile) -> object:
        raise AssertionError(f"the role of {p.id} was derived again")

    for module in (role_component, industry_component, region_component):
        monkeypatch.setattr(module, "derive_role", derived_again)
    assert ranked() == want


def test_a_pair_form_given_the_role_is_the_pair_form() -> None:
    """A per-pair form given the partner's own role is the form deriving it, partner by
    partner, on the branches that read the role; another role changes some verdict of each."""
    c = ctx()
    with_role = [k for k in STANDARD_REGISTRY.explained if k.takes_role]
    assert {k.name for k in with_role} == {"role", "industry", "region"}
    partners = [
        *pool(),
        # A county's platform naming its home and no region: the region reads its role.
        PartnerProfile(name="利津县城市建设投资集团有限公司", kind="local_soe", id="P-home"),
        PartnerProfile(name="某县产业投资有限公司", kind="local_soe", industries=(), id="P-none"),
    ]
    changed = {k.name: False for k in with_role}
    for e in ENTERPRISES:
        for dx in DIAGNOSES:
            q = MatchQuery.build(e, dx, c)  # type: ignore[arg-type]
            for p in partners:
                own = derive_role(p).code
                other = "platform" if own != "platform" else "financial"
                for k in with_role:
                    assert k.pair(q, p, c, own) == k.pair(q, p, c), (k.name, p.id)  # type: ignore[call-arg]
                    if k.pair(q, p, c, other) != k.pair(q, p, c):  # type: ignore[call-arg]
                        changed[k.name] = True
    assert all(changed.values()), changed
