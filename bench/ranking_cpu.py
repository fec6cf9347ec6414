"""CPU time of a ranking and of a batch re-score against the floor's, in one process (issue 17).

`OPENBLAS_NUM_THREADS=1 python -m bench.ranking_cpu --partners 100000` builds a synthetic
pool (bench.synth, 300 distinct offer texts, the hash encoder) and 200 enterprises with
the engine's diagnoses, then alternates, in rounds, `rank_partners` (k = 100) with the
floor's `floor_single` and one `rank_partners_many` over the enterprises (blocks of 50,
one LevelMemo as the re-score job keeps) with `floor_batch`, and prints each one's
`time.process_time` (the p50 of `--runs` for a single ranking).

On a machine shared with other sessions wall-clock ratios move with the contention
(BLAS threads waiting for a core inflate the floor as much as the service); the CPU
time of one thread moves far less.  To compare two commits, run this same file in an
export of each, one after the other.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Annotated

import typer

from bench.baselines import floor_batch, floor_single


def _cpu(call: Callable[[int], object], runs: int) -> float:
    """The p50 CPU seconds of `call(i)` for i in range(runs)."""
    spent = []
    for i in range(runs):
        t0 = time.process_time()
        call(i)
        spent.append(time.process_time() - t0)
    return statistics.median(spent)


def main(
    partners: Annotated[int, typer.Option(help="pool size")] = 100_000,
    enterprises: Annotated[int, typer.Option(help="enterprises (batch size)")] = 200,
    runs: Annotated[int, typer.Option(help="single rankings per round")] = 40,
    rounds: Annotated[int, typer.Option(help="alternations of service and floor")] = 3,
    k: Annotated[int, typer.Option(help="results per enterprise")] = 100,
) -> None:
    """CPU time of ranking and re-scoring against the floor's (bench/README.md, issue 17)."""
    from bench.hash_pool import hash_pool
    from matcher.matching.pool import LevelMemo
    from matcher.matching.ranking import rank_partners, rank_partners_many

    built = hash_pool(partners, enterprises)
    runtime, ents, diagnoses = built.runtime, built.enterprises, built.diagnoses
    queries, index = built.queries, built.index
    embeddings = index.embeddings
    assert embeddings is not None
    common = {
        "config": runtime.matcher_config,
        "industries": runtime.industries,
        "chain": runtime.chain,
        "limit": k,
    }

    def one(i: int) -> object:
        j = i % len(ents)
        return rank_partners(
            ents[j], diagnoses[j], index=index, encoder_or_query_embedding=queries[j], **common
        )

    def floor(i: int) -> object:
        return floor_single(embeddings, queries[i % len(ents)], k)

    def batch(_: int) -> object:
        kw = {"memo": LevelMemo()} if _takes_memo(rank_partners_many) else {}
        return rank_partners_many(ents, diagnoses, queries, index=index, block=50, **common, **kw)

    def batch_floor(_: int) -> object:
        return floor_batch(queries, embeddings, k)

    for i in range(5):  # warm up
        one(i)
        floor(i)
    print(f"{partners:,} partners, {enterprises} enterprises, k = {k}; CPU time", flush=True)
    for r in range(rounds):
        service, base = _cpu(one, runs), _cpu(floor, runs)
        many, many_base = _cpu(batch, 1), _cpu(batch_floor, 1)
        print(
            f"round {r + 1}: one enterprise {service * 1e3:.2f} ms, floor {base * 1e3:.2f} ms"
            f" ({service / base:.2f}×); batch {many:.3f} s, floor {many_base:.3f} s"
            f" ({many / many_base:.2f}×)",
            flush=True,
        )


def _takes_memo(function: Callable[..., object]) -> bool:
    """Whether `rank_partners_many` takes a memo (not before issue 17's second pass)."""
    import inspect

    return "memo" in inspect.signature(function).parameters


if __name__ == "__main__":
    typer.run(main)
