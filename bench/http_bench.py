"""The HTTP API under concurrent clients, and the service's own batch re-score job.

A uvicorn process serves `api.main:create_app` on 127.0.0.1 only, over an SQLite
file in a temporary folder, with LD_ADMIN_TOKEN for auth and the background
worker off (so nothing re-scores behind the measurement).  The pool is loaded
through the API (POST /partners/bulk, POST /enterprises, POST …/diagnosis);
partner embeddings are stored beforehand with api.services.pool.store_embeddings
(exactly what the service stores after encoding), so the server reuses them as
it would in production instead of re-encoding the pool.

Every load is bounded in request count and in time; clients are threads, each
with its own httpx.Client, sharing the machine's cores with the server.
"""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.measure import Samples, peak_memory, timed
from bench.profiles import summarize_collapsed
from matcher.encoders.loading import Encoder
from matcher.matching.embeddings import StoredEmbedding, text_hash
from matcher.matching.texts import partner_offer_text
from matcher.profile import EnterpriseProfile, PartnerProfile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    token: str
    database_url: str
    folder: Path
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, timeout=timeout, headers={"Authorization": f"Bearer {self.token}"}
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    folder: Path,
    model_cache: Path,
    *,
    wait_s: float = 180.0,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
) -> Server:
    """uvicorn api.main:create_app on a free port of 127.0.0.1; returns once /health answers.

    By default the worker is off and a request encodes what it needs (LD_EMBEDDINGS=inline),
    so "fresh computation" keeps meaning query embedding + ranking; `extra_env` overrides.
    `workers` > 1: that many server processes (api.serve_processes, as `ld serve --workers`)
    on the database the caller has already migrated.
    """
    port = _free_port()
    token = "bench_" + secrets.token_urlsafe(16)
    database_url = f"sqlite:///{folder / 'bench.db'}"
    env = dict(os.environ)
    env.update(
        {
            "LD_DATABASE_URL": database_url,
            "LD_ADMIN_TOKEN": token,
            "LD_DATA_DIR": str(folder),
            "LD_MODEL_CACHE": str(model_cache),
            "LD_START_WORKER": "false",
            "LD_EMBEDDINGS": "inline",
            "TOKENIZERS_PARALLELISM": "false",
            **({"LD_RUN_MIGRATIONS": "false"} if workers > 1 else {}),
            **(extra_env or {}),
        }
    )
    log_path = folder / "uvicorn.log"
    handle = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    one = ["uvicorn", "api.main:create_app", "--factory"]
    several = ["api.serve_processes", "--workers", str(workers)]  # as `ld serve --workers`
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            *(several if workers > 1 else one),
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, f"http://{HOST}:{port}", token, database_url, folder, log_path)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(server.base + "/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError("uvicorn did not answer /health in time")


def partner_payload(p: PartnerProfile) -> dict[str, Any]:
    return {
        "name": p.name,
        "kind": p.kind,
        "industries": list(p.industries),
        "capabilities": p.capabilities,
        "interests": p.interests,
        "treatment_types": list(p.treatment_types),
        "asset_interests": list(p.asset_interests),
        "preferred_regions": list(p.preferred_regions),
        "ticket_min": p.ticket_min,
        "ticket_max": p.ticket_max,
        "excluded_industries": list(p.excluded_industries),
        "track_record": p.track_record,
        "active": p.active,
    }


def enterprise_payload(e: EnterpriseProfile) -> dict[str, Any]:
    f = e.financials
    return {
        "name": e.name,
        "province": e.province,
        "city": e.city,
        "county": e.county,
        "industry_code": e.industry_code,
        "description": e.description,
        "problems": e.problems,
        "demands": e.demands,
        "strengths": e.strengths,
        "operating_status": e.operating_status,
        "capacity_utilization": e.capacity_utilization,
        "employees": e.employees,
        "financials": {k: getattr(f, k) for k in f.__dataclass_fields__},
        "assets": [
            {
                "type": a.type,
                "description": a.description,
                "appraised_value": a.appraised_value,
                "idle": a.idle,
                "location": a.location,
            }
            for a in e.assets
        ],
    }


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:500]}"
        )
    return response.json()


def store_pool_embeddings(
    server: Server, encoder: Encoder, offer_vecs: np.ndarray, offer_index: dict[str, int]
) -> dict[str, int]:
    """Store each partner's vector as the service would after encoding it (by text hash)."""
    from sqlmodel import Session, select

    from api.services.mapping import partner_profile
    from api.services.pool import store_embeddings
    from models.db import make_engine
    from models.tables import Partner

    engine = make_engine(server.database_url)
    encoded = 0
    try:
        with Session(engine) as session:
            rows = session.exec(select(Partner)).all()
            texts = {str(r.id): partner_offer_text(partner_profile(r)) for r in rows}
            unknown = sorted({t for t in texts.values() if t not in offer_index})
            extra = encoder.encode(unknown, prompt_name="passage") if unknown else None
            extra_at = {t: i for i, t in enumerate(unknown)}
            encoded = len(unknown)
            fresh = {}
            for pid, text in texts.items():
                vec = (
                    offer_vecs[offer_index[text]] if text in offer_index else extra[extra_at[text]]
                )  # type: ignore[index]
                fresh[pid] = StoredEmbedding(encoder.name, text_hash(text), vec)
            store_embeddings(session, fresh)
            session.commit()
    finally:
        engine.dispose()
    return {"partners": len(texts), "texts_encoded_here": encoded}


def seed(
    server: Server,
    partners: Sequence[PartnerProfile],
    enterprises: Sequence[EnterpriseProfile],
    encoder: Encoder,
    offer_vecs: np.ndarray,
    offer_index: dict[str, int],
    *,
    chunk: int = 2000,
) -> dict[str, Any]:
    """Load the pool and the enterprises through the API; returns the enterprise ids."""
    out: dict[str, Any] = {}
    with server.client() as client:
        t0 = time.perf_counter()
        for start in range(0, len(partners), chunk):
            body = [partner_payload(p) for p in partners[start : start + chunk]]
            _check(client.post("/partners/bulk", json=body))
        out["partners_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        out["embeddings"] = store_pool_embeddings(server, encoder, offer_vecs, offer_index)
        out["embeddings_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        ids = [
            int(_check(client.post("/enterprises", json=enterprise_payload(e)))["id"])
            for e in enterprises
        ]
        out["enterprises_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        for i in ids:
            _check(client.post(f"/enterprises/{i}/diagnosis"))
        out["diagnoses_s"] = round(time.perf_counter() - t0, 2)
    out["enterprise_ids"] = ids
    return out


def load(
    server: Server, paths: Sequence[str], *, concurrency: int, max_requests: int, max_seconds: float
) -> dict[str, Any]:
    """GET the paths in order (cycling) from `concurrency` client threads, bounded both ways."""
    lock = threading.Lock()
    cursor = [0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + max_seconds

    def take() -> str | None:
        with lock:
            if cursor[0] >= max_requests or time.monotonic() > deadline:
                return None
            path = paths[cursor[0] % len(paths)]
            cursor[0] += 1
            return path

    def worker() -> None:
        with server.client(timeout=max(30.0, max_seconds)) as client:
            while (path := take()) is not None:
                t0 = time.perf_counter()
                try:
                    code = client.get(path).status_code
                except httpx.HTTPError:
                    code = -1
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    statuses[code] = statuses.get(code, 0) + 1

    with peak_memory(server.pid) as mem:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            for future in [pool.submit(worker) for _ in range(concurrency)]:
                future.result()
        wall = time.perf_counter() - started
    return _load_summary(latencies, statuses, concurrency, wall, mem)


def _self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raw_load(
    server: Server, paths: Sequence[str], *, concurrency: int, max_requests: int, max_seconds: float
) -> dict[str, Any]:
    """`load` with a lean client: `concurrency` keep-alive connections on one asyncio loop,
    each writing a bare HTTP/1.1 GET and reading the answer by its Content-Length.

    httpx in threads costs the client process more CPU per request than a stored
    read costs the server, on the same two cores; this client costs a fraction
    of it, so what the server processes can do shows.  Besides `load`'s figures it
    gives the CPU of this (client) process and of the server's per request.
    """
    host, port = server.base.removeprefix("http://").split(":")
    templates = [
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {server.token}\r\n\r\n"
        ).encode()
        for path in paths
    ]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cursor = [0]
    deadline = time.monotonic() + max_seconds

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while cursor[0] < max_requests and time.monotonic() < deadline:
                request = templates[cursor[0] % len(templates)]
                cursor[0] += 1
                t0 = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                code = int(lines[0].split()[1])
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in lines[1:]
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                statuses[code] = statuses.get(code, 0) + 1
        finally:
            writer.close()

    async def run() -> None:
        await asyncio.gather(*(one_connection() for _ in range(concurrency)))

    client_before, server_before = _self_cpu_s(), _tree_cpu_s(server.pid)
    with peak_memory(server.pid) as mem:
        started = time.perf_counter()
        asyncio.run(run())
        wall = time.perf_counter() - started
    client_cpu, server_cpu = _self_cpu_s() - client_before, _tree_cpu_s(server.pid) - server_before
    return _load_summary(
        latencies,
        statuses,
        concurrency,
        wall,
        mem,
        cpu={"client_cpu": client_cpu, "server_cpu": server_cpu},
    )


def _profile_server(server: Server, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy (if installed) samples the server while a load runs; raw collapsed stacks."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        return None
    return subprocess.Popen(
        [
            str(spy),
            "record",
            "-p",
            str(server.pid),
            "-d",
            str(int(seconds) + 1),
            "-r",
            "200",
            "--format",
            "raw",
            "--full-filenames",
            "-o",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def http_stage(
    *,
    encoder: Encoder,
    partners: Sequence[PartnerProfile],
    enterprises: Sequence[EnterpriseProfile],
    offer_vecs: np.ndarray,
    offer_index: dict[str, int],
    model_cache: Path,
    concurrency: Sequence[int],
    fresh_per_level: int,
    stored_requests: int,
    max_seconds: float,
    profile_dir: Path | None = None,
    after: Callable[[Server, list[int]], dict[str, Any]] | None = None,
    workers: Sequence[int] = (),
    workers_clients: int = 8,
) -> dict[str, Any]:
    """Serve, seed, then measure /health, fresh and stored GET …/matches per concurrency;
    then, for each count in `workers`, stored GETs served by that many processes."""
    out: dict[str, Any] = {"partners": len(partners), "enterprises": len(enterprises)}
    with tempfile.TemporaryDirectory(prefix="ld-bench-") as tmp:
        folder = Path(tmp)
        log("http: starting uvicorn")
        start_s, server = timed(lambda: start_server(folder, model_cache))
        out["server_start_s"] = round(start_s, 2)
        try:
            log(f"http: seeding {len(partners)} partners and {len(enterprises)} enterprises")
            seeded = seed(server, partners, enterprises, encoder, offer_vecs, offer_index)
            ids = seeded.pop("enterprise_ids")
            out["seed"] = seeded
            with server.client() as client, peak_memory(server.pid) as mem:
                first_s, response = timed(lambda: client.get(f"/enterprises/{ids[0]}/matches"))
                _check(response)
            out["first_request"] = {
                "seconds": round(first_s, 3),
                "note": "builds the PartnerIndex from stored embeddings",
                "server_memory": mem.as_dict(),
            }
            computed = [ids[0]]
            remaining = list(ids[1:])
            levels: dict[str, Any] = {}
            for c in concurrency:
                log(f"http: concurrency {c}")
                level: dict[str, Any] = {}
                level["health"] = load(
                    server,
                    ["/health"],
                    concurrency=c,
                    max_requests=stored_requests,
                    max_seconds=max_seconds,
                )
                fresh_ids, remaining = remaining[:fresh_per_level], remaining[fresh_per_level:]
                if fresh_ids:
                    spy = None
                    if profile_dir is not None:
                        spy = _profile_server(
                            server, max_seconds, profile_dir / f"server-fresh-c{c}.txt"
                        )
                    level["fresh"] = load(
                        server,
                        [f"/enterprises/{i}/matches" for i in fresh_ids],
                        concurrency=c,
                        max_requests=len(fresh_ids),
                        max_seconds=max_seconds,
                    )
                    if spy is not None:
                        spy.send_signal(signal.SIGINT)
                        spy.wait(timeout=30)
                    computed += fresh_ids
                spy = None
                if profile_dir is not None:
                    spy = _profile_server(
                        server, max_seconds, profile_dir / f"server-stored-c{c}.txt"
                    )
                level["stored"] = load(
                    server,
                    [f"/enterprises/{i}/matches" for i in computed],
                    concurrency=c,
                    max_requests=stored_requests,
                    max_seconds=max_seconds,
                )
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=30)
                levels[str(c)] = level
            out["levels"] = levels
            if profile_dir is not None:
                out["profiles"] = {
                    f.stem: summarize_collapsed(f) for f in sorted(profile_dir.glob("server-*.txt"))
                }
        finally:
            server.stop()
        if workers:
            out["workers"] = workers_stage(
                folder,
                model_cache,
                computed,
                workers=workers,
                clients=workers_clients,
                max_requests=stored_requests * 4,
                max_seconds=max_seconds,
            )
        if after is not None:
            out.update(after(server, ids))
    return out


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds used so far by a process and its children (Linux /proc; 0 elsewhere)."""
    total = 0.0
    pids, seen = [pid], set()
    while pids:
        current = pids.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def _settle(pid: int, *, quiet_s: float = 0.2, window_s: float = 2.0, cap_s: float = 180.0) -> None:
    """Wait until the server's processes use less than `quiet_s` CPU per `window_s` (done
    starting up: the model loads in the background), or `cap_s` passed."""
    deadline = time.monotonic() + cap_s
    before = _tree_cpu_s(pid)
    while time.monotonic() < deadline:
        time.sleep(window_s)
        now = _tree_cpu_s(pid)
        if now - before < quiet_s:
            return
        before = now


def workers_stage(
    folder: Path,
    model_cache: Path,
    ids: Sequence[int],
    *,
    workers: Sequence[int],
    clients: int,
    max_requests: int,
    max_seconds: float,
) -> dict[str, Any]:
    """Stored GET …/matches and /health from `clients` clients, served by N processes.

    The database seeded and ranked above is served again by `uvicorn --workers N`
    for each N; every process answers from the same stored runs (a stored read
    needs no index), so what is measured is how the serving scales with processes
    on this machine's cores.  Each load is preceded by a short warm-up.
    """
    paths = [f"/enterprises/{i}/matches" for i in ids]
    out: dict[str, Any] = {"clients": clients, "cpus": os.cpu_count()}
    for n in workers:
        log(f"http: {n} worker process(es), {clients} clients")
        server = start_server(folder, model_cache, workers=n)
        try:
            _settle(server.pid)  # each process loads the sentence model in the background
            load(server, paths, concurrency=clients, max_requests=clients * 20, max_seconds=10)
            level = {
                "health": load(
                    server,
                    ["/health"],
                    concurrency=clients,
                    max_requests=max_requests,
                    max_seconds=max_seconds,
                ),
                "stored": load(
                    server,
                    paths,
                    concurrency=clients,
                    max_requests=max_requests,
                    max_seconds=max_seconds,
                ),
            }
            level["load_average"] = list(os.getloadavg())
            out[str(n)] = level
        finally:
            server.stop()
    return out


def job_stage(
    server: Server,
    ids: list[int],
    *,
    encoder: Encoder,
    model_cache: Path,
    k: int,
    max_enterprises: int,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """The service's own batch re-score (api.services.jobs) over the seeded database.

    Runs in this process after the server stopped: one job over the seeded
    enterprises, worked through with run_job (one committed step per
    enterprise: diagnosis reuse, the enterprise's query vector, ranking, storing
    the run).  Every enterprise was ranked over HTTP before, as in production.
    """
    from api.auth import Principal
    from api.config import Settings
    from api.runtime import load_runtime
    from api.services.job_runner import claim_job, run_job
    from api.services.jobs import enqueue_rescore, get_job
    from api.services.pool import partner_index
    from bench.baselines import floor_batch
    from models.db import make_engine, session_scope

    settings = Settings(
        database_url=server.database_url,
        data_dir=server.folder,
        model_cache=model_cache,
        start_worker=False,
    )
    runtime = load_runtime(settings, encoder=encoder)
    engine = make_engine(server.database_url)
    chosen = ids[:max_enterprises]
    try:
        with session_scope(engine) as session:
            load_s, (index, _) = timed(lambda: partner_index(session=session, runtime=runtime))
            job = enqueue_rescore(
                session=session,
                enterprise_ids=chosen,
                principal=Principal(name="bench", role="admin"),
                reason="bench",
            )
            job_id = job.id
        assert job_id is not None
        if claim_job(engine, "bench", job_id=job_id) != job_id:
            raise RuntimeError("could not claim the bench job")
        with peak_memory() as mem:
            seconds, _ = timed(lambda: run_job(engine, job_id, runtime, "bench"))
        with session_scope(engine) as session:
            finished = get_job(session=session, job_id=job_id)
            if finished.status != "done" or finished.done != len(chosen):
                raise RuntimeError(f"bench job ended {finished.status}: {finished.error}")
        m, n = len(chosen), len(index)
        emb = index.embeddings
        assert emb is not None
        queries = emb[np.arange(m) % n]  # any m unit vectors: the floor does not care which
        floor = floor_batch(queries, emb, k)
        if profile_dir is not None:
            _profile_job(engine, runtime, chosen[:10], profile_dir / "job.txt")
    finally:
        engine.dispose()
    return {
        "job": {
            "enterprises": m,
            "partners": n,
            "pairs": m * n,
            "seconds": round(seconds, 3),
            "per_enterprise_ms": round(seconds / m * 1e3, 2),
            "pairs_per_s": round(m * n / seconds, 1),
            "index_load_s": round(load_s, 3),
            "memory": mem.as_dict(),
            "floor": {"matmul_s": round(floor.matmul_s, 4), "seconds": round(floor.total_s, 4)},
            "ratios": {
                "job_over_floor": round(seconds / floor.total_s, 1),
                "job_over_floor_matmul": round(seconds / floor.matmul_s, 1),
            },
            "includes": "diagnosis lookup, the query vector (stored since the first ranking), "
            "ranking, storing 100 matches per run",
        }
    }


def _profile_job(engine: Any, runtime: Any, ids: list[int], out: Path) -> None:
    """pyinstrument over a second, small job (the timed one runs without a profiler)."""
    from pyinstrument import Profiler

    from api.auth import Principal
    from api.services.job_runner import claim_job, run_job
    from api.services.jobs import enqueue_rescore
    from models.db import session_scope

    with session_scope(engine) as session:
        job = enqueue_rescore(
            session=session,
            enterprise_ids=ids,
            principal=Principal(name="bench", role="admin"),
            reason="bench profile",
        )
        job_id = job.id
    assert job_id is not None
    claim_job(engine, "bench", job_id=job_id)
    profiler = Profiler(interval=0.001)
    profiler.start()
    run_job(engine, job_id, runtime, "bench")
    profiler.stop()
    out.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")


def _load_summary(
    latencies: list[float],
    statuses: dict[int, int],
    concurrency: int,
    wall: float,
    mem: Any,
    cpu: dict[str, float] | None = None,
) -> dict[str, Any]:
    """One load's figures: latency summary, counts by status, throughput, server memory
    (and, given `cpu`, its seconds per request by name, as milliseconds)."""
    samples = Samples(latencies)
    ok = statuses.get(200, 0)
    n = max(samples.n, 1)
    per_request = {f"{k}_ms_per_request": round(v / n * 1e3, 3) for k, v in (cpu or {}).items()}
    return samples.summary_ms() | {
        "concurrency": concurrency,
        "requests": samples.n,
        "ok": ok,
        "errors": samples.n - ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "wall_s": round(wall, 3),
        "rps": round(ok / wall, 2) if wall else 0.0,
        **per_request,
        "server_memory": mem.as_dict(),
    }
