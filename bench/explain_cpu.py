"""CPU time of explaining one ranking's results, per 100 (issue 17): `python -m bench.explain_cpu`.

Builds a synthetic pool (bench.synth, 300 distinct offer texts, the hash encoder) and
ranks `--enterprises` enterprises with k = 100 in rounds, timing with
`time.process_time` only the `explain` calls inside each ranking (the results' parts,
levels and Chinese reasons); prints the p50 per 100 results of each round.  To compare
two commits, run this same file in an export of each, one after the other.
"""

from __future__ import annotations

import statistics
import time
from typing import Annotated, Any

import typer


def main(
    partners: Annotated[int, typer.Option(help="pool size")] = 20_000,
    enterprises: Annotated[int, typer.Option(help="rankings per round")] = 40,
    rounds: Annotated[int, typer.Option(help="rounds")] = 3,
) -> None:
    """The p50 CPU of `explain` per 100 results, per round."""
    from bench.hash_pool import hash_pool
    from matcher.matching import ranking

    built = hash_pool(partners, enterprises)
    runtime, ents, diagnoses = built.runtime, built.enterprises, built.diagnoses
    queries, index = built.queries, built.index
    spent: list[tuple[float, int]] = []
    explain = ranking.explain

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        out = explain(*args, **kwargs)
        spent.append((time.process_time() - t0, len(out)))
        return out

    def one_round() -> None:
        for j, e in enumerate(ents):
            ranking.rank_partners(
                e,
                diagnoses[j],
                index=index,
                encoder_or_query_embedding=queries[j],
                config=runtime.matcher_config,
                industries=runtime.industries,
                chain=runtime.chain,
                limit=100,
            )

    ranking.explain = timed  # type: ignore[assignment]
    try:
        one_round()  # warm up
        for r in range(rounds):
            spent.clear()
            one_round()
            per_100 = statistics.median(s / n * 100 for s, n in spent if n)
            print(f"round {r + 1}: explain per 100 results p50 {per_100 * 1e3:.2f} ms", flush=True)
    finally:
        ranking.explain = explain  # type: ignore[assignment]


if __name__ == "__main__":
    typer.run(main)
