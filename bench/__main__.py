"""`python -m bench`: the matching service's benchmark (issue #7).

Default sizes: pools of 1k, 10k and 100k partners; 100 and 1k enterprises;
the HTTP API over 10k partners.  `--quick` runs 1k partners and 100
enterprises in a minute or so.  Prints a table with the ratios to the
baselines and writes everything as JSON (`--out`).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import typer

from bench.engine_bench import Budget, Engine, Queries, embedding_stage, log, pool_stage
from bench.measure import machine_info
from bench.report import check_targets, render
from bench.synth import distinct, make_enterprises, make_partners, need_texts, offer_texts

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results" / "latest.json"
DEFAULT_MODEL_CACHE = ROOT / ".cache" / "models"


def _ints(text: str) -> list[int]:
    return [int(x.replace("k", "000")) for x in text.split(",") if x.strip()]


@dataclass
class BenchArgs:
    """The run's settings after the --quick defaults are applied (written into the JSON)."""

    quick: bool
    partners: list[int]
    enterprises: list[int]
    k: int
    distinct_offers: int
    distinct_needs: int
    embed_sample: int
    encoder: str
    model_cache: Path
    embed_cache: Path | None
    no_http: bool
    http_partners: int
    http_concurrency: list[int]
    http_fresh: int
    http_requests: int
    http_seconds: float
    http_workers: list[int]
    batch_seconds: float
    profile: Path | None
    out: Path
    devsets: list[Path]
    encoders: bool
    bulk_partners: int
    bulk_backend: str | None
    encoders_only: bool = False
    backends: list[str] | None = None


app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command(help=__doc__)
def bench(
    quick: Annotated[
        bool, typer.Option(help="1k partners, 100 enterprises, small HTTP pool, short caps")
    ] = False,
    partners: Annotated[str | None, typer.Option(help="pool sizes (default 1k,10k,100k)")] = None,
    enterprises: Annotated[
        str | None, typer.Option(help="enterprise counts (default 100,1k)")
    ] = None,
    k: Annotated[
        int, typer.Option(help="results per enterprise (the service stores 100 per run)")
    ] = 100,
    distinct_offers: Annotated[
        int | None,
        typer.Option(help="distinct partner offer texts embedded with the model (default 300)"),
    ] = None,
    distinct_needs: Annotated[
        int | None, typer.Option(help="distinct enterprise need texts (default 100)")
    ] = None,
    embed_sample: Annotated[
        int | None, typer.Option(help="fixed sample of offer texts timed cold (default 64)")
    ] = None,
    encoder: Annotated[
        Literal["default", "hash"],
        typer.Option(help="the bundled model (default) or a fast stand-in (no HTTP stage)"),
    ] = "default",
    model_cache: Annotated[Path, typer.Option(help="where the converted model is kept")] = (
        DEFAULT_MODEL_CACHE
    ),
    embed_cache: Annotated[
        Path | None,
        typer.Option(
            metavar="NPZ",
            help="keep the distinct texts' vectors in this file between development runs "
            "(the timed cold sample is always encoded afresh)",
        ),
    ] = None,
    no_http: Annotated[bool, typer.Option("--no-http", help="skip the HTTP and job stages")] = (
        False
    ),
    http_partners: Annotated[int | None, typer.Option(help="default 10k (quick: 1k)")] = None,
    http_concurrency: Annotated[str, typer.Option(help="client counts")] = "1,8",
    http_fresh: Annotated[
        int | None, typer.Option(help="fresh computations per concurrency level (default 25)")
    ] = None,
    http_requests: Annotated[int, typer.Option(help="request cap per stored/health load")] = 200,
    http_seconds: Annotated[float, typer.Option(help="time cap per load")] = 20.0,
    http_workers: Annotated[
        str,
        typer.Option(
            help="server process counts for the stored-GET scaling run (8 clients; '' skips)"
        ),
    ] = "1,2",
    batch_seconds: Annotated[
        float | None, typer.Option(help="time cap of the service batch loop per pool (default 60)")
    ] = None,
    profile: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="write pyinstrument profiles of ranking and index build, py-spy of the "
            "server, into DIR",
        ),
    ] = None,
    devset: Annotated[
        list[Path] | None,
        typer.Option(help="labelled set for the encoders' NDCG@10 (repeat; e.g. both shared sets)"),
    ] = None,
    no_encoders: Annotated[
        bool, typer.Option("--no-encoders", help="skip the encoder backend comparison")
    ] = False,
    bulk_partners: Annotated[
        int | None,
        typer.Option(
            help="partners in the background-embedding bulk write (default 1200; 0: skip)"
        ),
    ] = None,
    bulk_backend: Annotated[
        str | None, typer.Option(help="backend of the bulk stage (default: the fastest kept)")
    ] = None,
    backends: Annotated[
        str | None,
        typer.Option(help="encoder backends to compare, comma-separated (default: all)"),
    ] = None,
    encoders_only: Annotated[
        bool,
        typer.Option(
            "--encoders-only",
            help="only the encoder comparison and the bulk write (no pools, no HTTP table)",
        ),
    ] = False,
    out: Annotated[Path, typer.Option(help="JSON results file")] = DEFAULT_OUT,
) -> None:
    args = BenchArgs(
        quick=quick,
        partners=_ints(partners or "") or ([1000] if quick else [1000, 10_000, 100_000]),
        enterprises=_ints(enterprises or "") or ([100] if quick else [100, 1000]),
        k=k,
        distinct_offers=distinct_offers or (150 if quick else 300),
        distinct_needs=distinct_needs or (40 if quick else 100),
        embed_sample=embed_sample or (32 if quick else 64),
        encoder=encoder,
        model_cache=model_cache,
        embed_cache=embed_cache,
        no_http=no_http,
        http_partners=http_partners or (1000 if quick else 10_000),
        http_concurrency=_ints(http_concurrency),
        http_fresh=http_fresh or (10 if quick else 25),
        http_requests=min(http_requests, 100) if quick else http_requests,
        http_seconds=min(http_seconds, 10.0) if quick else http_seconds,
        http_workers=_ints(http_workers),
        batch_seconds=batch_seconds or (15.0 if quick else 60.0),
        profile=profile,
        out=out,
        devsets=list(devset or []),
        encoders=not no_encoders and encoder == "default",
        bulk_partners=(200 if quick else 1200) if bulk_partners is None else bulk_partners,
        bulk_backend=bulk_backend,
        encoders_only=encoders_only,
        backends=[b.strip() for b in backends.split(",") if b.strip()] if backends else None,
    )
    run(args)


def load_engine(args: BenchArgs) -> tuple[Engine, Any]:
    from api.config import Settings
    from api.runtime import load_runtime
    from bench.encoders import HashEncoder

    encoder = HashEncoder() if args.encoder == "hash" else None
    settings = Settings(model_cache=args.model_cache, start_worker=False)
    runtime = load_runtime(settings, encoder=encoder)
    return Engine(
        runtime.encoder, runtime.matcher_config, runtime.industries, runtime.chain
    ), runtime


def diagnose_all(runtime: Any, enterprises: list[Any], need_rows: list[int]) -> list[dict]:
    """The engine's diagnosis once per distinct need text, shared by the enterprises using it.

    Diagnosing is not part of ranking; this keeps the setup short while every
    enterprise gets a real diagnosis of a profile with its texts.
    """
    from matcher.diagnosis import diagnose

    by_need: dict[int, dict[str, float]] = {}
    for e, r in zip(enterprises, need_rows, strict=True):
        if r not in by_need:
            d = diagnose(e, lexicon=runtime.lexicon, model=runtime.treatment_model)
            by_need[r] = {c.code: c.probability for c in d.categories}
    return [by_need[r] for r in need_rows]


def load_cache(path: Path, model: str) -> dict[tuple[str, str], np.ndarray]:
    if not path.exists():
        return {}
    data = np.load(path, allow_pickle=False)
    if str(data["model"]) != model:
        return {}
    keys = zip(data["prompts"].tolist(), data["texts"].tolist(), strict=True)
    return {(str(p), str(t)): v for (p, t), v in zip(keys, data["vectors"], strict=True)}


def save_cache(path: Path, model: str, cache: dict[tuple[str, str], np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(cache)
    np.savez(
        path,
        model=np.array(model),
        prompts=np.array([p for p, _ in keys]),
        texts=np.array([t for _, t in keys]),
        vectors=np.stack([cache[k] for k in keys]).astype(np.float32),
    )


def run(args: BenchArgs) -> None:
    """Every stage, the table on stdout and the JSON file."""
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = time.perf_counter()
    result: dict[str, Any] = {
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(args).items()},
        "notes": [
            "Pools reuse a bounded set of distinct offer texts (see settings.distinct_offers); "
            "each distinct text is embedded once with the model and every partner gets the "
            "vector of its own text.",
            "Ranking latency excludes the query's own embedding (reported under embedding).",
            "Memory: rss_* = peak resident set of the process during the stage (VmHWM reset "
            "per stage), py_peak_mb = tracemalloc peak over one extra untimed call.",
        ],
    }
    log("loading the runtime (rules, diagnosis model, sentence model)")
    engine, runtime = load_engine(args)
    budget = Budget(batch_s=args.batch_seconds)
    if args.quick:
        budget = Budget(
            single_s=5.0, single_min=10, single_max=100, naive_runs=2, batch_s=args.batch_seconds
        )
    top_m = max(args.enterprises)
    enterprises = make_enterprises(top_m, distinct_needs=args.distinct_needs)
    big = max(max(args.partners), 0 if args.no_http else args.http_partners)
    offers, _ = distinct(
        offer_texts(
            make_partners(min(big, args.distinct_offers * 4), distinct_offers=args.distinct_offers)
        )
    )
    if not args.encoders_only:
        _ranking_stages(args, result, engine, runtime, enterprises, offers, budget)
    _encoder_stages(args, result, runtime, enterprises, offers)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["targets"] = check_targets(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    print()
    print(render(result))
    print(f"\nJSON: {args.out}")


def _fastest_kept(encoders: dict[str, Any] | None) -> str:
    """The fastest backend the encoder stage kept (the reference without that stage)."""
    from matcher.encoders.loading import REFERENCE_BACKEND

    if not encoders:
        return REFERENCE_BACKEND
    kept = {b: r for b, r in encoders["backends"].items() if r["acceptable"]}
    return max(kept, key=lambda b: kept[b]["long_texts_per_s"])


def _ranking_stages(
    args: BenchArgs,
    result: dict[str, Any],
    engine: Engine,
    runtime: Any,
    enterprises: list[Any],
    offers: list[str],
    budget: Budget,
) -> None:
    """Embedding, the pools and the HTTP table (skipped by --encoders-only)."""
    needs, need_rows = distinct(need_texts(enterprises))
    cache = load_cache(args.embed_cache, engine.encoder.name) if args.embed_cache else {}
    log(f"embedding {len(offers)} distinct offer texts and {len(needs)} need texts")
    emb_fig, offer_vecs, need_vecs = embedding_stage(
        engine.encoder,
        offers,
        needs,
        sample=min(args.embed_sample, len(offers)),
        one_by_one=16 if not args.quick else 8,
        cache=cache,
    )
    if args.embed_cache is not None:
        save_cache(args.embed_cache, engine.encoder.name, cache)
    result["embedding"] = emb_fig
    offer_index = {t: i for i, t in enumerate(offers)}
    queries = Queries(
        enterprises, diagnose_all(runtime, enterprises, need_rows), need_vecs[need_rows]
    )
    cold_rate = emb_fig["cold"]["texts_per_s"]
    result["pools"] = {}
    for n in args.partners:
        result["pools"][str(n)] = pool_stage(
            engine,
            n,
            offer_vecs=offer_vecs,
            offer_index=offer_index,
            distinct_offers=args.distinct_offers,
            queries=queries,
            enterprise_sizes=args.enterprises,
            k=args.k,
            budget=budget,
            cold_texts_per_s=cold_rate,
            profile_dir=args.profile,
        )
    if not args.no_http and args.encoder == "default":
        from bench.http_bench import http_stage, job_stage

        http_partners = make_partners(args.http_partners, distinct_offers=args.distinct_offers)
        levels = args.http_concurrency
        http_enterprises = enterprises[: 1 + args.http_fresh * len(levels)]
        if len(http_enterprises) < 1 + args.http_fresh * len(levels):
            http_enterprises = make_enterprises(
                1 + args.http_fresh * len(levels), distinct_needs=args.distinct_needs
            )
        result["http"] = http_stage(
            encoder=engine.encoder,
            partners=http_partners,
            enterprises=http_enterprises,
            offer_vecs=offer_vecs,
            offer_index=offer_index,
            model_cache=args.model_cache,
            concurrency=levels,
            fresh_per_level=args.http_fresh,
            stored_requests=args.http_requests,
            max_seconds=args.http_seconds,
            profile_dir=args.profile,
            workers=args.http_workers,
            after=lambda server, ids: job_stage(
                server,
                ids,
                encoder=engine.encoder,
                model_cache=args.model_cache,
                k=args.k,
                max_enterprises=len(ids),
                profile_dir=args.profile,
            ),
        )


def _encoder_stages(
    args: BenchArgs, result: dict[str, Any], runtime: Any, enterprises: list[Any], offers: list[str]
) -> None:
    """The encoder backends side by side and the bulk write (bench.encoder_bench)."""
    if args.encoders:
        from bench.encoder_bench import encoder_stage

        result["encoders"] = encoder_stage(
            model_cache=args.model_cache,
            long_texts=offers,
            sample=min(args.embed_sample, len(offers)),
            devsets=args.devsets,
            runtime=runtime,
            **({"backends": args.backends} if args.backends else {}),
        )
    if args.bulk_partners and args.encoder == "default" and not args.no_http:
        from bench.encoder_bench import bulk_stage
        from bench.synth import with_distinct_records

        backend = args.bulk_backend or _fastest_kept(result.get("encoders"))
        result["bulk"] = bulk_stage(
            model_cache=args.model_cache,
            backend=backend,
            partners=with_distinct_records(
                make_partners(args.bulk_partners, distinct_offers=args.distinct_offers)
            ),
            enterprises=enterprises[:5],
        )


if __name__ == "__main__":
    app()
