"""In-process stages: embedding throughput, one enterprise against a pool, batch re-score.

These call the engine's public functions exactly as the service does
(matcher.matching.embeddings.embed_partners, PartnerIndex.build,
matcher.matching.ranking.rank_partners
with a ready query vector) and time the baselines of bench.baselines over the
same arrays in the same process.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.baselines import NaiveScorer, SemanticSearch, floor_batch, floor_single
from bench.measure import Samples, held_bytes, peak_memory, repeat, timed, traced_peak_mb
from bench.synth import distinct, make_partners, offer_texts
from matcher.chain import IndustryChain
from matcher.encoders.loading import Encoder
from matcher.industry import IndustryTable
from matcher.matching.config import MatcherConfig
from matcher.matching.embeddings import StoredEmbedding, embed_partners, text_hash
from matcher.matching.lexical import NgramStore
from matcher.matching.pool import LevelMemo, PartnerIndex
from matcher.matching.ranking import rank_partners, rank_partners_many
from matcher.profile import EnterpriseProfile


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Engine:
    """The read-only objects ranking needs (as api.runtime.Runtime holds them)."""

    encoder: Encoder
    config: MatcherConfig
    industries: IndustryTable
    chain: IndustryChain


@dataclass
class Queries:
    """The enterprises with their diagnoses and query vectors (rows align)."""

    enterprises: list[EnterpriseProfile]
    diagnoses: list[dict[str, float]]
    vectors: np.ndarray


@dataclass
class Budget:
    """Time caps (seconds) and sample counts; `--quick` shrinks them."""

    single_s: float = 15.0
    single_min: int = 20
    single_max: int = 200
    naive_full_max: int = 10_000
    """Pools up to this size run the naive scorer on every partner; larger on a subsample."""
    naive_subsample: int = 10_000
    naive_runs: int = 3
    batch_s: float = 60.0
    """Cap of each batch path per pool; past it the rest is extrapolated."""
    batch_block: int = 50
    """Enterprises per matrix product in the batched path (divides 100 and 1k)."""


# --------------------------------------------------------------------- embedding


def embedding_stage(
    encoder: Encoder,
    offers: Sequence[str],
    needs: Sequence[str],
    *,
    sample: int,
    one_by_one: int,
    cache: dict[tuple[str, str], np.ndarray] | None = None,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Encode the distinct offer and need texts once; time a fixed sample cold.

    `cache` ((prompt, text) → vector, from `--embed-cache`) spares re-encoding
    the texts outside the timed sample on repeated development runs; the
    sample is always encoded afresh.  Returns the figures, the offer vectors
    and the need (query) vectors.
    """
    cache = {} if cache is None else cache
    figures: dict[str, Any] = {"model": encoder.name}
    first_s, _ = timed(lambda: encoder.encode([offers[0]], prompt_name="passage"))
    figures["first_call_s"] = round(first_s, 3)
    head = list(offers[:sample])
    with peak_memory() as mem:
        cold_s, head_vecs = timed(lambda: encoder.encode(head, prompt_name="passage"))
    figures["cold"] = {
        "texts": len(head),
        "seconds": round(cold_s, 3),
        "texts_per_s": round(len(head) / cold_s, 2),
        "mean_chars": round(float(np.mean([len(t) for t in head])), 1),
        "memory": mem.as_dict(),
    }
    rest = list(offers[sample:])
    hits = sum((p, t) in cache for p, ts in (("passage", rest), ("query", needs)) for t in ts)
    rest_s, rest_vecs = timed(lambda: _encode_cached(encoder, rest, "passage", cache))
    need_s, need_vecs = timed(lambda: _encode_cached(encoder, list(needs), "query", cache))
    figures["all_distinct"] = {
        "offer_texts": len(offers),
        "need_texts": len(needs),
        "seconds": round(cold_s + rest_s + need_s, 3),
        "texts_per_s": round((len(offers) + len(needs)) / (cold_s + rest_s + need_s), 2),
        "from_cache": hits,
    }
    cache.update({("passage", t): v for t, v in zip(head, head_vecs, strict=True)})
    singles = list(head[:one_by_one])
    each = Samples(
        [timed(lambda t=t: encoder.encode([t], prompt_name="passage"))[0] for t in singles]
    )
    figures["one_text_per_call"] = {
        "texts": each.n,
        "texts_per_s": round(each.n / max(each.total, 1e-9), 2),
    }
    query = Samples(
        [
            timed(lambda t=t: encoder.encode([t], prompt_name="query"))[0]
            for t in list(needs)[:one_by_one]
        ]
    )
    figures["query_embedding"] = query.summary_ms() | {
        "mean_chars": round(float(np.mean([len(t) for t in list(needs)[:one_by_one]])), 1)
    }
    offer_vecs = np.concatenate([head_vecs, rest_vecs]) if len(rest) else head_vecs
    return figures, np.asarray(offer_vecs, np.float32), np.asarray(need_vecs, np.float32)


def _encode_cached(
    encoder: Encoder, texts: list[str], prompt: str, cache: dict[tuple[str, str], np.ndarray]
) -> np.ndarray:
    todo = [t for t in texts if (prompt, t) not in cache]
    if todo:
        vecs = encoder.encode(todo, prompt_name=prompt)
        cache.update({(prompt, t): v for t, v in zip(todo, vecs, strict=True)})
    if not texts:
        return np.zeros((0, 0), np.float32)
    return np.stack([cache[(prompt, t)] for t in texts]).astype(np.float32)


def reuse_stage(
    encoder: Encoder, partners: Sequence[Any], offer_vecs: np.ndarray, cold_texts_per_s: float
) -> tuple[dict[str, Any], np.ndarray]:
    """embed_partners with every partner's embedding already stored (the service's warm path)."""
    texts = offer_texts(partners)
    unique, rows = distinct(texts)
    stored = {
        p.id or str(j): StoredEmbedding(encoder.name, text_hash(t), offer_vecs[r])
        for j, (p, t, r) in enumerate(zip(partners, texts, rows, strict=True))
    }
    with peak_memory() as mem:
        seconds, (matrix, fresh) = timed(lambda: embed_partners(encoder, partners, stored))
    if fresh:
        raise RuntimeError(f"{len(fresh)} partners were re-encoded although all were stored")
    n = len(partners)
    figures = {
        "partners": n,
        "distinct_texts": len(unique),
        "seconds": round(seconds, 3),
        "texts_per_s": round(n / seconds, 1),
        "cold_equivalent_s": round(n / cold_texts_per_s, 1),
        "speedup_vs_cold": round((n / cold_texts_per_s) / seconds, 1),
        "memory": mem.as_dict(),
    }
    return figures, matrix


# --------------------------------------------------------------------- ranking


def _rank(engine: Engine, index: PartnerIndex, queries: Queries, i: int, k: int) -> list[Any]:
    j = i % len(queries.enterprises)
    return rank_partners(
        queries.enterprises[j],
        queries.diagnoses[j],
        index=index,
        encoder_or_query_embedding=queries.vectors[j],
        config=engine.config,
        industries=engine.industries,
        chain=engine.chain,
        limit=k,
    )


def _rank_many(
    engine: Engine,
    index: PartnerIndex,
    queries: Queries,
    rows: np.ndarray,
    k: int,
    block: int,
    memo: LevelMemo | None = None,
) -> list[Any]:
    return rank_partners_many(
        [queries.enterprises[i] for i in rows],
        [queries.diagnoses[i] for i in rows],
        queries.vectors[rows],
        index=index,
        config=engine.config,
        industries=engine.industries,
        chain=engine.chain,
        limit=k,
        block=block,
        memo=memo,
    )


def _agreement(service: list[Any], naive: list[Any]) -> dict[str, float]:
    a = [r.partner_id for r in service]
    b = [r.partner_id for r in naive]
    if not a and not b:
        return {"topk_overlap": 1.0, "max_score_diff": 0.0}
    common = set(a) & set(b)
    scores_a = {r.partner_id: r.score for r in service}
    scores_b = {r.partner_id: r.score for r in naive}
    diff = max((abs(scores_a[x] - scores_b[x]) for x in common), default=float("nan"))
    return {
        "topk_overlap": round(len(common) / max(len(a), len(b)), 4),
        "max_score_diff": float(f"{diff:.3g}"),
    }


def single_stage(
    engine: Engine,
    index: PartnerIndex,
    partners: Sequence[Any],
    queries: Queries,
    k: int,
    budget: Budget,
) -> dict[str, Any]:
    """Latency of one enterprise against the pool, with the three baselines."""
    n = len(index)
    emb = index.embeddings
    assert emb is not None
    out: dict[str, Any] = {}
    with peak_memory() as mem:
        service = repeat(
            lambda i: _rank(engine, index, queries, i, k),
            min_runs=budget.single_min,
            max_runs=budget.single_max,
            budget_s=budget.single_s,
        )
    mem.py_peak_mb = traced_peak_mb(lambda: _rank(engine, index, queries, 0, k))
    out["service"] = service.summary_ms() | {"memory": mem.as_dict()}

    with peak_memory() as mem:
        floor = repeat(
            lambda i: floor_single(emb, queries.vectors[i % len(queries.vectors)], k),
            min_runs=budget.single_min,
            max_runs=max(budget.single_max, 200),
            budget_s=budget.single_s / 2,
        )
    mem.py_peak_mb = traced_peak_mb(lambda: floor_single(emb, queries.vectors[0], k))
    out["floor"] = floor.summary_ms() | {"memory": mem.as_dict()}

    search = SemanticSearch(emb)
    with peak_memory() as mem:
        sem = repeat(
            lambda i: search.search(queries.vectors[i % len(queries.vectors)], k),
            min_runs=budget.single_min,
            max_runs=budget.single_max,
            budget_s=budget.single_s / 2,
        )
    out["semantic_search"] = sem.summary_ms() | {"memory": mem.as_dict()}

    sub = n if n <= budget.naive_full_max else budget.naive_subsample
    naive = NaiveScorer(
        partners[:sub],
        emb[:sub],
        config=engine.config,
        industries=engine.industries,
        chain=engine.chain,
    )
    with peak_memory() as mem:
        runs = repeat(
            lambda i: naive.rank(
                queries.enterprises[i], queries.diagnoses[i], queries.vectors[i], k
            ),
            min_runs=1,
            max_runs=budget.naive_runs,
            budget_s=budget.single_s / 2,
            warmup=0,
        )
    scale = n / sub
    out["naive"] = {
        "n": runs.n,
        "measured_partners": sub,
        "p50_ms": round(runs.p50 * scale * 1e3, 3),
        "p99_ms": round(runs.p99 * scale * 1e3, 3),
        "mean_ms": round(runs.mean * scale * 1e3, 3),
        "pairs_per_s": round(sub / runs.mean, 1),
        "extrapolated": sub < n,
        "memory": mem.as_dict(),
    }
    if sub == n:
        out["agreement"] = _agreement(
            _rank(engine, index, queries, 0, k),
            naive.rank(queries.enterprises[0], queries.diagnoses[0], queries.vectors[0], k),
        )
    out["ratios"] = {
        "service_over_floor_p50": round(service.p50 / floor.p50, 2),
        "service_over_semantic_search_p50": round(service.p50 / sem.p50, 2),
        "naive_over_service_p50": round(runs.p50 * scale / service.p50, 1),
    }
    return out


def batch_stage(
    engine: Engine,
    index: PartnerIndex,
    partners: Sequence[Any],
    queries: Queries,
    sizes: Sequence[int],
    k: int,
    budget: Budget,
    naive_pairs_per_s: float,
) -> dict[str, Any]:
    """Re-score every enterprise against the pool (the service's loop), with the baselines.

    The service ranks enterprise after enterprise, so one loop over the largest
    enterprise count gives every smaller count as its prefix.  When the loop
    reaches the time cap, the remaining enterprises are extrapolated from the
    mean so far (said in `extrapolated`).
    """
    n = len(index)
    emb = index.embeddings
    assert emb is not None
    top = max(sizes)
    cumulative: list[float] = []
    with peak_memory() as mem:
        started = time.perf_counter()
        for i in range(top):
            _rank(engine, index, queries, i, k)
            cumulative.append(time.perf_counter() - started)
            if cumulative[-1] > budget.batch_s:
                break
    done = len(cumulative)
    batched = _batched_run(engine, index, queries, top, k, budget)
    search = SemanticSearch(emb)
    out: dict[str, Any] = {}
    for m in sizes:
        if m <= done:
            total, extrapolated = cumulative[m - 1], False
        else:
            total, extrapolated = cumulative[-1] / done * m, True
        vectors = queries.vectors[np.arange(m) % len(queries.vectors)]
        with peak_memory() as fmem:
            floor = floor_batch(vectors, emb, k)
        with peak_memory() as smem:
            sem_s, _ = timed(lambda v=vectors: search.search(v, k))
        naive_s = m * n / naive_pairs_per_s
        out[str(m)] = {
            "enterprises": m,
            "partners": n,
            "pairs": m * n,
            "service": {
                "seconds": round(total, 3),
                "pairs_per_s": round(m * n / total, 1),
                "measured_enterprises": min(m, done),
                "extrapolated": extrapolated,
                "memory": mem.as_dict(),
            },
            "batched": _batched_figures(batched, m, n),
            "floor": {
                "matmul_s": round(floor.matmul_s, 4),
                "topk_s": round(floor.topk_s, 4),
                "seconds": round(floor.total_s, 4),
                "pairs_per_s": round(m * n / floor.total_s, 1),
                "memory": fmem.as_dict(),
            },
            "semantic_search": {
                "seconds": round(sem_s, 4),
                "pairs_per_s": round(m * n / sem_s, 1),
                "memory": smem.as_dict(),
            },
            "naive": {
                "seconds": round(naive_s, 1),
                "pairs_per_s": round(naive_pairs_per_s, 1),
                "extrapolated": True,
            },
            "ratios": {
                "batched_over_floor_matmul": round(
                    _batched_seconds(batched, m) / floor.matmul_s, 1
                ),
                "batched_over_floor": round(_batched_seconds(batched, m) / floor.total_s, 1),
                "loop_over_batched": round(total / _batched_seconds(batched, m), 1),
                "naive_over_batched": round(naive_s / _batched_seconds(batched, m), 1),
                "service_over_floor_matmul": round(total / floor.matmul_s, 1),
                "service_over_floor": round(total / floor.total_s, 1),
                "service_over_semantic_search": round(total / sem_s, 1),
                "naive_over_service": round(naive_s / total, 1),
            },
        }
    return out


@dataclass
class _Batched:
    cumulative: list[float]
    """Seconds after each block of `block` enterprises."""
    block: int
    memory: dict[str, Any]


def _batched_run(
    engine: Engine, index: PartnerIndex, queries: Queries, top: int, k: int, budget: Budget
) -> _Batched:
    """rank_partners_many over the enterprises, block by block, until the time cap.

    One LevelMemo for all the blocks, as the re-score job keeps one per turn.
    """
    block = budget.batch_block
    memo = LevelMemo()
    cumulative: list[float] = []
    with peak_memory() as mem:
        started = time.perf_counter()
        for start in range(0, top, block):
            rows = np.arange(start, min(start + block, top)) % len(queries.enterprises)
            _rank_many(engine, index, queries, rows, k, block, memo)
            cumulative.append(time.perf_counter() - started)
            if cumulative[-1] > budget.batch_s:
                break
    return _Batched(cumulative, block, mem.as_dict())


def _batched_seconds(run: _Batched, m: int) -> float:
    """Seconds for the first m enterprises (blocks divide the default sizes; else pro rata)."""
    done = len(run.cumulative) * run.block
    if m > done:
        return run.cumulative[-1] / done * m
    full, part = divmod(m, run.block)
    before = run.cumulative[full - 1] if full else 0.0
    if part:
        before += (run.cumulative[full] - before) * part / run.block
    return before


def _batched_figures(run: _Batched, m: int, n: int) -> dict[str, Any]:
    seconds = _batched_seconds(run, m)
    return {
        "seconds": round(seconds, 3),
        "pairs_per_s": round(m * n / seconds, 1),
        "block": run.block,
        "measured_enterprises": min(m, len(run.cumulative) * run.block),
        "extrapolated": m > len(run.cumulative) * run.block,
        "memory": run.memory,
    }


def rebuild_stage(engine: Engine, partners: Sequence[Any], matrix: np.ndarray) -> dict[str, Any]:
    """Index builds over distinct offer texts: cold, then after one partner's text changes.

    The pool's texts repeat (a bounded set is embedded), and the n-gram store
    analyses each distinct text once, so the plain build is optimistic; here
    each partner's track record gets its own number, as real texts differ.
    The service keeps the store between builds (api.runtime.PoolCache), so a
    partner write costs the warm figure.
    """
    numbered = [
        replace(p, track_record=f"{p.track_record}（第{j}号合作方）")
        for j, p in enumerate(partners)
    ]
    store = NgramStore()
    with peak_memory() as mem:
        cold_s, _ = timed(
            lambda: PartnerIndex.build(numbered, matrix, engine.industries, ngram_store=store)
        )
    numbered[0] = replace(numbered[0], interests=f"{numbered[0].interests}；新增：光伏组件回收")
    warm_s, _ = timed(
        lambda: PartnerIndex.build(numbered, matrix, engine.industries, ngram_store=store)
    )
    return {
        "cold_s": round(cold_s, 3),
        "after_one_change_s": round(warm_s, 3),
        "memory": mem.as_dict(),
    }


def pool_stage(
    engine: Engine,
    n: int,
    *,
    offer_vecs: np.ndarray,
    offer_index: dict[str, int],
    distinct_offers: int,
    queries: Queries,
    enterprise_sizes: Sequence[int],
    k: int,
    budget: Budget,
    cold_texts_per_s: float,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Everything measured on one pool size."""
    log(f"pool {n}: generating partners")
    gen_s, partners = timed(lambda: make_partners(n, distinct_offers=distinct_offers))
    texts = offer_texts(partners)
    missing = [t for t in set(texts) if t not in offer_index]
    if missing:
        raise RuntimeError(f"{len(missing)} offer texts were not embedded")
    rows = np.array([offer_index[t] for t in texts])
    figures: dict[str, Any] = {"partners": n, "generate_s": round(gen_s, 3)}
    reuse, matrix = reuse_stage(engine.encoder, partners, offer_vecs[rows], cold_texts_per_s)
    figures["embeddings_reused"] = reuse
    log(f"pool {n}: building the PartnerIndex")
    with peak_memory() as mem:
        build_s, index = timed(lambda: PartnerIndex.build(partners, matrix, engine.industries))
    figures["index_build"] = {
        "seconds": round(build_s, 3),
        "memory": mem.as_dict(),
        "held_mb": round(held_bytes(index) / 1e6, 1),
        "distinct_codes": len(index.state("industry").codes),  # type: ignore[attr-defined]
    }
    figures["index_rebuild"] = rebuild_stage(engine, partners, matrix)
    log(f"pool {n}: one enterprise against the pool")
    figures["single"] = single_stage(engine, index, partners, queries, k, budget)
    if profile_dir is not None:
        figures["profile"] = profile_pool(engine, index, partners, matrix, queries, k, profile_dir)
    log(f"pool {n}: batch re-score")
    naive_rate = figures["single"]["naive"]["pairs_per_s"]
    figures["batch"] = batch_stage(
        engine, index, partners, queries, enterprise_sizes, k, budget, naive_rate
    )
    return figures


def profile_pool(
    engine: Engine,
    index: PartnerIndex,
    partners: Sequence[Any],
    matrix: np.ndarray,
    queries: Queries,
    k: int,
    folder: Path,
    build_max: int = 10_000,
) -> dict[str, Any]:
    """pyinstrument over ten rankings, a batch of 100 and an index build (untimed)."""
    from pyinstrument import Profiler

    from bench.profiles import summarize_pyinstrument

    n = len(index)
    out: dict[str, Any] = {}
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for i in range(10):
        _rank(engine, index, queries, i, k)
    profiler.stop()
    (folder / f"rank-{n}.txt").write_text(
        profiler.output_text(unicode=True, color=False), encoding="utf-8"
    )
    out["rank"] = summarize_pyinstrument(profiler)
    profiler = Profiler(interval=0.001)
    profiler.start()
    _rank_many(engine, index, queries, np.arange(100) % len(queries.enterprises), k, 50)
    profiler.stop()
    (folder / f"rank-many-100-{n}.txt").write_text(
        profiler.output_text(unicode=True, color=False), encoding="utf-8"
    )
    out["rank_many_100"] = summarize_pyinstrument(profiler)
    build_n = min(n, build_max)
    profiler = Profiler(interval=0.001)
    profiler.start()
    PartnerIndex.build(partners[:build_n], matrix[:build_n], engine.industries)
    profiler.stop()
    (folder / f"index-build-{build_n}.txt").write_text(
        profiler.output_text(unicode=True, color=False), encoding="utf-8"
    )
    out[f"index_build_{build_n}"] = summarize_pyinstrument(profiler)
    return out
