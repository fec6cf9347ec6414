"""A stored `GET …/matches` against `/health`, alone: `python -m bench.stored_get`.

The full bench takes minutes and its HTTP table moves with whatever else runs
on the machine.  This serves one pool (synthetic partners written through
`POST /partners/bulk`, the embeddings left to a worker that is off, as a
fresh install after an import), ranks a few enterprises once, then alternates
loads of `/health` and of their stored rankings from one client.  Besides the
wall-clock p50 it gives the server's CPU time per request (its process's
utime + stime over the load ÷ requests), which other load on the machine
moves much less than the latency: the fairer figure to compare two versions
of the code by (run each in turn, as in bench/README.md).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.http_bench import (
    _check,
    _self_cpu_s,
    _settle,
    _tree_cpu_s,
    enterprise_payload,
    load,
    partner_payload,
    raw_load,
    start_server,
)
from bench.synth import make_enterprises, make_partners

ROOT = Path(__file__).resolve().parent.parent

app = typer.Typer(add_completion=False, rich_markup_mode=None)


def measure(
    partners: int,
    enterprises: int,
    rounds: int,
    requests: int,
    workers: Sequence[int] = (),
    clients: int = 8,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`rounds` × (a /health load, a stored-GET load) of `requests` each, from one client;
    then the same database served by each count of `workers` processes, from `clients`."""
    with tempfile.TemporaryDirectory(prefix="ld-stored-") as tmp:
        rows, paths = _measure(Path(tmp), partners, enterprises, rounds, requests)
        scaling = {str(n): _workers(Path(tmp), paths, n, clients, requests * 4) for n in workers}
        return rows, scaling


def _workers(
    folder: Path, paths: list[str], workers: int, clients: int, requests: int
) -> dict[str, Any]:
    """/health and stored GETs from `clients` connections, served by `workers` processes:
    with the lean asyncio client (bench.http_bench.raw_load), then with httpx threads
    (`load`, as the full bench's HTTP stage) with the client's own CPU measured."""
    background = {"LD_EMBEDDINGS": "background"}
    server = start_server(folder, ROOT / ".cache" / "models", extra_env=background, workers=workers)
    try:
        _settle(server.pid)  # each process loads the sentence model in the background
        raw_load(server, paths, concurrency=clients, max_requests=clients * 50, max_seconds=10)
        out: dict[str, Any] = {}
        for name, targets in (("health", ["/health"]), ("stored", paths)):
            out[name] = raw_load(
                server, targets, concurrency=clients, max_requests=requests, max_seconds=30
            )
        client_before, server_before = _self_cpu_s(), _tree_cpu_s(server.pid)
        threads = load(server, paths, concurrency=clients, max_requests=requests, max_seconds=30)
        n = max(threads["requests"], 1)
        threads["client_cpu_ms_per_request"] = round((_self_cpu_s() - client_before) / n * 1e3, 3)
        threads["server_cpu_ms_per_request"] = round(
            (_tree_cpu_s(server.pid) - server_before) / n * 1e3, 3
        )
        out["stored_httpx_threads"] = threads
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
        return out
    finally:
        server.stop()


def _measure(
    folder: Path, partners: int, enterprises: int, rounds: int, requests: int
) -> tuple[list[dict[str, Any]], list[str]]:
    pool = make_partners(partners)
    background = {"LD_EMBEDDINGS": "background"}  # and the worker off: nothing embeds
    server = start_server(folder, ROOT / ".cache" / "models", extra_env=background)
    out = []
    try:
        with server.client() as client:
            for start in range(0, len(pool), 2000):
                body = [partner_payload(p) for p in pool[start : start + 2000]]
                _check(client.post("/partners/bulk", json=body))
            ids = [
                int(_check(client.post("/enterprises", json=enterprise_payload(e)))["id"])
                for e in make_enterprises(enterprises)
            ]
            for i in ids:
                _check(client.get(f"/enterprises/{i}/matches"))
        _settle(server.pid)
        paths = [f"/enterprises/{i}/matches" for i in ids]
        for _ in range(rounds):
            row: dict[str, Any] = {}
            for name, targets in (("health", ["/health"]), ("stored", paths)):
                before = _tree_cpu_s(server.pid)
                result = load(server, targets, concurrency=1, max_requests=requests, max_seconds=30)
                cpu = _tree_cpu_s(server.pid) - before
                row[name] = {
                    "p50_ms": result["p50_ms"],
                    "rps": result["rps"],
                    "errors": result["errors"],
                    "cpu_ms_per_request": round(cpu / max(result["requests"], 1) * 1e3, 3),
                }
            row["load_average"] = [round(x, 2) for x in os.getloadavg()]
            out.append(row)
    finally:
        server.stop()
    return out, paths


@app.command()
def main(
    partners: Annotated[int, typer.Option(help="pool size")] = 10_000,
    enterprises: Annotated[int, typer.Option(help="enterprises ranked, then read")] = 20,
    rounds: Annotated[int, typer.Option(help="alternating load pairs")] = 3,
    requests: Annotated[int, typer.Option(help="requests per load")] = 500,
    workers: Annotated[
        str, typer.Option(help="server process counts for the scaling table ('' skips)")
    ] = "1,2",
    clients: Annotated[int, typer.Option(help="concurrent clients of the scaling table")] = 8,
) -> None:
    """Print, per round: /health and stored GET p50, req/s and server CPU ms per request;
    then req/s, p50 and server CPU of /health and stored GETs from `clients` clients per
    server process count (the p50 ratio there is issue 17's "within 3× of /health")."""
    counts = [int(n) for n in workers.split(",") if n.strip()]
    rows, scaling = measure(partners, enterprises, rounds, requests, counts, clients)
    typer.echo(
        "| round | /health p50 ms | stored p50 ms | p50 ratio | /health CPU ms | "
        "stored CPU ms | CPU ratio | stored req/s | load average |"
    )
    typer.echo("|---|---|---|---|---|---|---|---|---|")
    for n, row in enumerate(rows, start=1):
        health, stored = row["health"], row["stored"]
        typer.echo(
            f"| {n} | {health['p50_ms']:.2f} | {stored['p50_ms']:.2f} | "
            f"{stored['p50_ms'] / health['p50_ms']:.1f}× | {health['cpu_ms_per_request']:.2f} | "
            f"{stored['cpu_ms_per_request']:.2f} | "
            f"{stored['cpu_ms_per_request'] / health['cpu_ms_per_request']:.1f}× | "
            f"{stored['rps']:.0f} | {' '.join(str(x) for x in row['load_average'])} |"
        )

    if not scaling:
        return
    typer.echo("")
    typer.echo(
        "| workers | /health req/s | stored req/s | stored vs 1 worker | /health p50 ms | "
        "stored p50 ms | p50 ratio | stored p99 ms | /health server CPU ms/req | "
        "server CPU ms/req | client CPU ms/req | httpx threads: stored req/s "
        "| httpx client CPU ms/req | load average |"
    )
    typer.echo("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    first = next(iter(scaling.values()))["stored"]["rps"]
    for n, level in scaling.items():
        health, stored, threads = level["health"], level["stored"], level["stored_httpx_threads"]
        typer.echo(
            f"| {n} | {health['rps']:.0f} | {stored['rps']:.0f} | {stored['rps'] / first:.2f}× | "
            f"{health['p50_ms']:.2f} | {stored['p50_ms']:.2f} | "
            f"{stored['p50_ms'] / health['p50_ms']:.1f}× | {stored['p99_ms']:.1f} | "
            f"{health['server_cpu_ms_per_request']:.2f} | "
            f"{stored['server_cpu_ms_per_request']:.2f} | "
            f"{stored['client_cpu_ms_per_request']:.2f} | {threads['rps']:.0f} | "
            f"{threads['client_cpu_ms_per_request']:.2f} | "
            f"{' '.join(str(x) for x in level['load_average'])} |"
        )


if __name__ == "__main__":
    app()
