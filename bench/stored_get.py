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
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.http_bench import (
    _check,
    _settle,
    _tree_cpu_s,
    enterprise_payload,
    load,
    partner_payload,
    start_server,
)
from bench.synth import make_enterprises, make_partners

ROOT = Path(__file__).resolve().parent.parent

app = typer.Typer(add_completion=False, rich_markup_mode=None)


def measure(partners: int, enterprises: int, rounds: int, requests: int) -> list[dict[str, Any]]:
    """`rounds` × (a /health load, a stored-GET load) of `requests` each, from one client."""
    with tempfile.TemporaryDirectory(prefix="ld-stored-") as tmp:
        return _measure(Path(tmp), partners, enterprises, rounds, requests)


def _measure(
    folder: Path, partners: int, enterprises: int, rounds: int, requests: int
) -> list[dict[str, Any]]:
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
    return out


@app.command()
def main(
    partners: Annotated[int, typer.Option(help="pool size")] = 10_000,
    enterprises: Annotated[int, typer.Option(help="enterprises ranked, then read")] = 20,
    rounds: Annotated[int, typer.Option(help="alternating load pairs")] = 3,
    requests: Annotated[int, typer.Option(help="requests per load")] = 500,
) -> None:
    """Print, per round: /health and stored GET p50, req/s and server CPU ms per request."""
    typer.echo(
        "| round | /health p50 ms | stored p50 ms | p50 ratio | /health CPU ms | "
        "stored CPU ms | CPU ratio | stored req/s | load average |"
    )
    typer.echo("|---|---|---|---|---|---|---|---|---|")
    for n, row in enumerate(measure(partners, enterprises, rounds, requests), start=1):
        health, stored = row["health"], row["stored"]
        typer.echo(
            f"| {n} | {health['p50_ms']:.2f} | {stored['p50_ms']:.2f} | "
            f"{stored['p50_ms'] / health['p50_ms']:.1f}× | {health['cpu_ms_per_request']:.2f} | "
            f"{stored['cpu_ms_per_request']:.2f} | "
            f"{stored['cpu_ms_per_request'] / health['cpu_ms_per_request']:.1f}× | "
            f"{stored['rps']:.0f} | {' '.join(str(x) for x in row['load_average'])} |"
        )


if __name__ == "__main__":
    app()
