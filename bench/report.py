"""The printed table (also written into bench/README.md by hand) and the target checks."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        if abs(value) >= 100:
            text = f"{value:,.0f}"
        elif abs(value) >= 10:
            text = f"{value:.1f}"
        else:
            text = f"{value:.3g}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return text + unit


def _size(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join([line, sep, *body])


def _mem(m: dict[str, Any] | None) -> str:
    if not m:
        return "–"
    return _fmt(m.get("rss_delta_mb"), " MB")


def render(result: dict[str, Any]) -> str:
    out: list[str] = []
    machine = result["machine"]
    out.append(
        f"machine: {machine.get('cpu')} · {machine.get('cores')} cores · "
        f"{machine.get('memory_gib')} GiB · Python {machine.get('python')} · "
        f"NumPy {machine.get('numpy')} ({'; '.join(machine.get('blas', []))}) · "
        f"torch {machine.get('torch')}"
    )
    out.append(
        f"load average at start {machine.get('load_average_at_start')}, "
        f"at end {result.get('load_average_at_end')} · run {result.get('elapsed_s')} s · "
        f"k = {result['settings']['k']}"
    )
    emb = result.get("embedding")
    if emb:
        cold, one, q = emb["cold"], emb["one_text_per_call"], emb["query_embedding"]
        out.append("")
        out.append(f"## Embedding throughput ({emb['model']})")
        rows = [
            [
                "cold, batched (fixed sample)",
                f"{cold['texts']} × {cold['mean_chars']:.0f} chars",
                _fmt(cold["texts_per_s"]),
                "1.0",
                _mem(cold["memory"]),
            ],
            [
                "cold, one text per call (naive)",
                f"{one['texts']}",
                _fmt(one["texts_per_s"]),
                _fmt(one["texts_per_s"] / cold["texts_per_s"]),
                "–",
            ],
        ]
        for n, pool in sorted(result.get("pools", {}).items(), key=lambda kv: int(kv[0])):
            r = pool["embeddings_reused"]
            rows.append(
                [
                    f"stored embeddings reused, {_size(int(n))} pool",
                    f"{r['partners']:,} ({r['distinct_texts']} distinct)",
                    _fmt(r["texts_per_s"]),
                    _fmt(r["speedup_vs_cold"]),
                    _mem(r["memory"]),
                ]
            )
        out.append(_table(["path", "texts", "texts/s", "× cold", "RSS Δ"], rows))
        out.append(
            f"query embedding (one need text, {q['mean_chars']:.0f} chars): "
            f"p50 {q['p50_ms']:.1f} ms, p99 {q['p99_ms']:.1f} ms (n={q['n']}); "
            f"all {emb['all_distinct']['offer_texts']} + "
            f"{emb['all_distinct']['need_texts']} distinct texts: "
            f"{emb['all_distinct']['seconds']:.1f} s"
        )
    pools = result.get("pools", {})
    if pools:
        out.append("")
        out.append("## One enterprise against the pool (ranking only; query embedding above)")
        rows = []
        for n, pool in sorted(pools.items(), key=lambda kv: int(kv[0])):
            s = pool["single"]
            svc, fl, sem, nv, rt = (
                s["service"],
                s["floor"],
                s["semantic_search"],
                s["naive"],
                s["ratios"],
            )
            naive = _fmt(nv["p50_ms"]) + ("*" if nv["extrapolated"] else "")
            rows.append(
                [
                    _size(int(n)),
                    _fmt(svc["p50_ms"]),
                    _fmt(svc["p99_ms"]),
                    str(svc["n"]),
                    _fmt(fl["p50_ms"]),
                    _fmt(rt["service_over_floor_p50"], "×"),
                    _fmt(sem["p50_ms"]),
                    _fmt(rt["service_over_semantic_search_p50"], "×"),
                    naive,
                    _fmt(rt["naive_over_service_p50"], "×"),
                    _mem(svc["memory"]),
                    _fmt(svc["memory"].get("py_peak_mb"), " MB"),
                    _fmt(pool["index_build"]["seconds"], " s")
                    + " / "
                    + _mem(pool["index_build"]["memory"])
                    + " / "
                    + _fmt(pool["index_build"].get("held_mb"), " MB"),
                ]
            )
        out.append(
            _table(
                [
                    "partners",
                    "p50 ms",
                    "p99 ms",
                    "n",
                    "floor p50",
                    "÷ floor",
                    "sem.search p50",
                    "÷ sem",
                    "naive p50",
                    "naive ÷",
                    "RSS Δ",
                    "py peak",
                    "index build: s / RSS Δ / held",
                ],
                rows,
            )
        )
        out.append("* naive measured on a subsample and scaled linearly to the pool size")
        rebuilds = [
            f"{_size(int(n))}: {_fmt(p['index_rebuild']['cold_s'], ' s')} cold, "
            f"{_fmt(p['index_rebuild']['after_one_change_s'], ' s')} after one partner changes"
            for n, p in sorted(pools.items(), key=lambda kv: int(kv[0]))
            if "index_rebuild" in p
        ]
        if rebuilds:
            out.append(
                "index build with a distinct offer text per partner (the pool above repeats "
                "300): " + "; ".join(rebuilds)
            )
        agree = [
            f"{_size(int(n))}: top-k overlap {p['single']['agreement']['topk_overlap']:.0%}"
            for n, p in sorted(pools.items(), key=lambda kv: int(kv[0]))
            if "agreement" in p["single"]
        ]
        if agree:
            out.append("naive vs service ranking: " + ", ".join(agree))
        out.append("")
        out.append(
            "## Batch re-score of all enterprises (query vectors ready; "
            "loop = rank_partners per enterprise, batched = rank_partners_many; "
            "ratios and pairs/s of the batched path)"
        )
        rows = []
        for n, pool in sorted(pools.items(), key=lambda kv: int(kv[0])):
            for m, b in sorted(pool["batch"].items(), key=lambda kv: int(kv[0])):
                svc, fl, sem, nv, rt = (
                    b["service"],
                    b["floor"],
                    b["semantic_search"],
                    b["naive"],
                    b["ratios"],
                )
                total = _fmt(svc["seconds"], " s") + ("*" if svc["extrapolated"] else "")
                bt = b["batched"]
                batched = _fmt(bt["seconds"], " s") + ("*" if bt["extrapolated"] else "")
                rows.append(
                    [
                        f"{_size(int(m))} × {_size(int(n))}",
                        total,
                        batched,
                        _fmt(bt["pairs_per_s"]),
                        _fmt(fl["matmul_s"], " s"),
                        _fmt(fl["seconds"], " s"),
                        _fmt(rt["batched_over_floor_matmul"], "×"),
                        _fmt(rt["batched_over_floor"], "×"),
                        _fmt(sem["seconds"], " s"),
                        _fmt(rt["service_over_semantic_search"], "×"),
                        _fmt(nv["seconds"], " s†"),
                        _fmt(rt["naive_over_batched"], "×"),
                        _mem(bt["memory"]),
                        _mem(fl["memory"]),
                    ]
                )
        out.append(
            _table(
                [
                    "enterprises × partners",
                    "loop",
                    "batched",
                    "pairs/s",
                    "floor matmul",
                    "floor total",
                    "÷ matmul",
                    "÷ floor",
                    "sem.search",
                    "÷ sem",
                    "naive",
                    "naive ÷",
                    "RSS Δ",
                    "floor RSS Δ",
                ],
                rows,
            )
        )
        out.append(
            "* measured on the first enterprises until the time cap, rest extrapolated; "
            "† naive = pairs ÷ its measured pairs/s"
        )
    http = result.get("http")
    if http:
        out.append("")
        out.append(
            f"## HTTP API (uvicorn, SQLite file, {http['partners']:,} partners, "
            f"{http['enterprises']} enterprises)"
        )
        out.append(
            f"first GET …/matches after start (builds the index): "
            f"{http['first_request']['seconds']:.2f} s"
        )
        rows = []
        for c, level in sorted(http.get("levels", {}).items(), key=lambda kv: int(kv[0])):
            for name in ("health", "stored", "fresh"):
                r = level.get(name)
                if not r:
                    continue
                label = {
                    "health": "GET /health (framework floor)",
                    "stored": "GET …/matches, stored run",
                    "fresh": "GET …/matches, fresh computation",
                }[name]
                rows.append(
                    [
                        c,
                        label,
                        str(r["ok"]),
                        str(r["errors"]),
                        _fmt(r["rps"]),
                        _fmt(r["p50_ms"]),
                        _fmt(r["p99_ms"]),
                        _fmt(r["server_memory"].get("rss_peak_mb"), " MB"),
                    ]
                )
        out.append(
            _table(
                [
                    "clients",
                    "request",
                    "ok",
                    "errors",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "server RSS peak",
                ],
                rows,
            )
        )
        out.extend(_http_ratios(result, http))
        out.extend(_workers_lines(http.get("workers")))
        job = http.get("job")
        if job:
            out.append(
                f"service re-score job (api.services.jobs.run_job, {job['enterprises']} × "
                f"{job['partners']:,}): {job['seconds']:.2f} s, {job['per_enterprise_ms']:.1f} "
                f"ms per enterprise, {_fmt(job['pairs_per_s'])} pairs/s; "
                f"÷ floor {job['ratios']['job_over_floor']}× "
                f"(includes the DB reads and storing each run); RSS Δ {_mem(job['memory'])}"
            )
    from bench.encoder_bench import bulk_lines, encoder_lines

    if result.get("encoders"):
        out += ["", *encoder_lines(result["encoders"])]
    if result.get("bulk"):
        out += ["", *bulk_lines(result["bulk"])]
    targets = result.get("targets")
    if targets:
        out.append("")
        out.append("## Targets")
        for t in targets:
            out.append(f"- {t['name']}: {t['value']} → {'MET' if t['met'] else 'NOT MET'}")
    return "\n".join(out)


def _workers_lines(workers: dict[str, Any] | None) -> list[str]:
    """Stored GETs by 1, 2… server processes (uvicorn --workers), same clients."""
    if not workers:
        return []
    counts = sorted((k for k in workers if k.isdigit()), key=int)
    rows = []
    base = None
    for n in counts:
        level = workers[n]
        stored, health = level["stored"], level["health"]
        base = base or stored["rps"]
        rows.append(
            [
                n,
                _fmt(health["rps"]),
                _fmt(stored["rps"]),
                f"{stored['rps'] / base:.2f}×" if base else "–",
                _fmt(stored["p50_ms"]),
                _fmt(stored["p99_ms"]),
                " ".join(f"{x:.2f}" for x in level.get("load_average", [])),
            ]
        )
    header = [
        "workers",
        "/health req/s",
        "stored req/s",
        "vs 1 worker",
        "stored p50 ms",
        "stored p99 ms",
        "load average",
    ]
    title = (
        f"stored GET …/matches by server processes ({workers['clients']} clients, "
        f"{workers['cpus']} CPUs):"
    )
    return ["", title, _table(header, rows)]


def _http_ratios(result: dict[str, Any], http: dict[str, Any]) -> list[str]:
    """HTTP latencies against the framework floor and the in-process engine of the same run."""
    lines = []
    engine = result.get("pools", {}).get(str(http["partners"]))
    query = (result.get("embedding") or {}).get("query_embedding", {}).get("p50_ms")
    for c, level in sorted(http.get("levels", {}).items(), key=lambda kv: int(kv[0])):
        if c != "1":
            continue
        health = level.get("health", {}).get("p50_ms")
        stored = level.get("stored", {}).get("p50_ms")
        fresh = level.get("fresh", {}).get("p50_ms")
        if health and stored:
            lines.append(f"1 client: stored GET p50 ÷ /health p50 = {stored / health:.1f}×")
        if engine and query and fresh:
            inproc = engine["single"]["service"]["p50_ms"] + query
            lines.append(
                f"1 client: fresh GET p50 {fresh:.0f} ms vs in-process query embedding + "
                f"ranking p50 {inproc:.0f} ms ({fresh / inproc:.2f}×)"
            )
    return lines


INDEX_MB_BEFORE = 804.0
"""RSS rise of the 100k index build in the run of 2026-11-27 (bench/README.md), issue 17's base."""


def check_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    pools = result.get("pools", {})
    big = pools.get("100000")
    if big:
        r = big["single"]["ratios"]
        out.append(
            {
                "name": "one enterprise × 100k within 2× the floor",
                "value": f"{r['service_over_floor_p50']}×",
                "met": r["service_over_floor_p50"] <= 2.0,
            }
        )
        out.append(
            {
                "name": "one enterprise × 100k at least 50× faster than naive",
                "value": f"{r['naive_over_service_p50']}×",
                "met": r["naive_over_service_p50"] >= 50.0,
            }
        )
        b = big["batch"].get("1000")
        if b:
            v = b["ratios"]["batched_over_floor"]
            out.append(
                {
                    "name": "batch 1k × 100k (rank_partners_many) within 3× the floor's "
                    "matrix product + top-k",
                    "value": f"{v}× ({b['ratios']['batched_over_floor_matmul']}× the product "
                    "alone)" + (" (extrapolated)" if b["batched"]["extrapolated"] else ""),
                    "met": v <= 3.0,
                }
            )
        build = big["index_build"]
        rise = build["memory"].get("rss_delta_mb")
        if rise is not None:
            out.append(
                {
                    "name": f"index build at 100k at most {INDEX_MB_BEFORE / 2:.0f} MB RSS "
                    f"(half of the {INDEX_MB_BEFORE:.0f} MB of 2026-11-27)",
                    "value": f"{rise:.0f} MB ({rise / INDEX_MB_BEFORE:.2f}×); the index holds "
                    f"{build.get('held_mb', float('nan')):.0f} MB of arrays",
                    "met": rise <= INDEX_MB_BEFORE / 2,
                }
            )
    bulk = result.get("bulk")
    if bulk:
        out.append(
            {
                "name": f"{bulk['partners']:,} partners in one bulk write, none pending within "
                "0.4× plain fp32 encoding",
                "value": f"{bulk['ratio_to_fp32']}×",
                "met": bulk["ratio_to_fp32"] <= 0.4,
            }
        )
        out.append(
            {
                "name": "every GET …/matches meanwhile within 2 s",
                "value": f"max {bulk['matches_max_s']} s",
                "met": bulk["matches_max_s"] < 2.0,
            }
        )
    encoders = result.get("encoders")
    if encoders:
        kept = [b for b, row in encoders["backends"].items() if row["acceptable"]]
        fastest = max(kept, key=lambda b: encoders["backends"][b]["long_texts_per_s"])
        out.append(
            {
                "name": "fastest acceptable encoder backend",
                "value": f"{fastest} ({encoders['backends'][fastest]['speedup_long']}× fp32)",
                "met": True,
            }
        )
    if "elapsed_s" in result:
        out.append(
            {
                "name": "whole bench under 10 minutes",
                "value": f"{result['elapsed_s']} s",
                "met": result["elapsed_s"] < 600,
            }
        )
    return out
