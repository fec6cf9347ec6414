"""The service process's memory for building and holding the partner index (issue 17).

`python -m bench.service_memory --partners 100000 --db /tmp/pool.db` writes, once, a
SQLite database of that many partners (distinct offer texts, through the service's
own `create_partners`) with a stored embedding for each (the hash encoder, 384
dimensions), then measures in a fresh process what the service does on its first
ranking: `api.services.pool.partner_index(session=..., runtime=...)` as a request
calls it (background mode: nothing is encoded).  It reports the resident set before
the build, its peak during the build, what stays resident once the session is closed
and the garbage collected (the index and the runtime's PoolCache), the same after
glibc's `malloc_trim` (the build's freed temporaries handed back), and the bytes of
NumPy arrays each of those two holds (`bench.measure.held_bytes`).

Everything is measured in a child process so that no earlier allocation of this
process flatters or inflates the figures.
"""

from __future__ import annotations

import ctypes
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.encoders import HashEncoder
from bench.measure import MB, held_bytes, peak_rss_mb, reset_peak, rss_mb

CHUNK = 5000
"""Partners per create_partners transaction while writing the database."""


def build_database(path: Path, n: int, offers: int = 0) -> dict[str, Any]:
    """Write `n` partners and a stored vector each into a fresh SQLite file at `path`.

    `offers`: how many distinct offer texts they share (0: every text distinct).
    """
    from sqlmodel import Session

    from api.auth import Principal
    from api.services.mapping import partner_profile
    from api.services.partners import create_partners
    from api.services.pool import store_embeddings
    from bench.http_bench import partner_payload
    from bench.synth import make_partners, with_distinct_records
    from matcher.matching.embeddings import StoredEmbedding, text_hash
    from matcher.matching.texts import partner_offer_text
    from models.db import make_engine, run_migrations
    from models.schemas import PartnerCreate

    t0 = time.perf_counter()
    encoder = HashEncoder()
    runtime = _runtime(path, encoder)
    engine = make_engine(f"sqlite:///{path}")
    run_migrations(engine)
    admin = Principal(name="bench", role="admin")
    profiles = make_partners(n, distinct_offers=offers)
    if not offers:
        profiles = with_distinct_records(make_partners(n))
    try:
        for start in range(0, n, CHUNK):
            items = [PartnerCreate(**partner_payload(p)) for p in profiles[start : start + CHUNK]]
            with Session(engine) as session:
                rows = create_partners(
                    session=session,
                    items=items,
                    industries=runtime.industries,
                    principal=admin,
                    bulk=True,
                )
                texts = [partner_offer_text(partner_profile(r)) for r in rows]
                vectors = encoder.encode(texts)
                store_embeddings(
                    session,
                    {
                        str(r.id): StoredEmbedding(encoder.name, text_hash(t), v)
                        for r, t, v in zip(rows, texts, vectors, strict=True)
                    },
                )
                session.commit()
    finally:
        engine.dispose()
    return {"partners": n, "seconds": round(time.perf_counter() - t0, 1)}


def _runtime(path: Path, encoder: HashEncoder) -> Any:
    from api.config import Settings
    from api.runtime import load_runtime

    settings = Settings(database_url=f"sqlite:///{path}", start_worker=False)
    return load_runtime(settings, encoder=encoder)


def measure(path: Path) -> dict[str, Any]:
    """The first build of the partner index in this process, as a request makes it."""
    from sqlmodel import Session

    from api.services.pool import partner_index
    from models.db import make_engine

    runtime = _runtime(path, HashEncoder())
    engine = make_engine(f"sqlite:///{path}")
    gc.collect()
    before = rss_mb()
    reset_peak()
    t0 = time.perf_counter()
    with Session(engine) as session:
        index, _ = partner_index(session=session, runtime=runtime)
        session.commit()
    seconds = time.perf_counter() - t0
    gc.collect()
    peak, held = peak_rss_mb(), rss_mb()
    engine.dispose()
    live = _trimmed_rss_mb()
    assert before is not None and peak is not None and held is not None
    cache = runtime.pool
    return {
        "partners": len(index),
        "pending": index.pending_count,
        "build_s": round(seconds, 2),
        "rss_before_mb": round(before, 1),
        "rss_peak_rise_mb": round(peak - before, 1),
        "rss_held_rise_mb": round(held - before, 1),
        "rss_after_trim_rise_mb": None if live is None else round(live - before, 1),
        "index_arrays_mb": round(held_bytes(index) / MB, 1),
        "pool_cache_arrays_mb": round(
            held_bytes({k: v for k, v in vars(cache).items() if k != "index"}) / MB, 1
        ),
    }


def _trimmed_rss_mb() -> float | None:
    """The resident set once glibc has handed its free heap back (malloc_trim): what is
    live, without the pages the build's temporaries left free but mapped."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return None
    return rss_mb()


def main(
    db: Annotated[Path, typer.Option(help="SQLite file (written if absent)")],
    partners: Annotated[int, typer.Option(help="partners in the database")] = 100_000,
    offers: Annotated[int, typer.Option(help="distinct offer texts (0: all distinct)")] = 0,
    repeat: Annotated[int, typer.Option(help="fresh processes to measure in")] = 1,
    child: Annotated[str, typer.Option(hidden=True)] = "",
) -> None:
    """The service process's RSS for building and holding the partner index."""
    if child == "build":
        print(json.dumps(build_database(db, partners, offers)))
        return
    if child == "measure":
        print(json.dumps(measure(db)))
        return
    settings = ["--db", str(db), "--partners", str(partners), "--offers", str(offers)]
    if not db.exists():
        print(_child(settings, "build"), flush=True)
    for _ in range(repeat):
        print(_child(settings, "measure"), flush=True)


def _child(settings: list[str], what: str) -> str:
    command = [sys.executable, "-m", "bench.service_memory", *settings, "--child", what]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    typer.run(main)
