"""Helpers of the tests that run jobs on a shared database: seeding, workers, polling."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import Principal
from api.config import FIXTURES_DIR
from api.runtime import Runtime
from api.services.enterprises import create_enterprise
from api.services.partners import create_partners
from models.db import make_engine, session_scope
from models.schemas import EnterpriseCreate, PartnerCreate
from models.tables import Job
from tests.conftest import MODEL_CACHE

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Principal(name="test", role="admin")


@functools.cache
def shared_engine(url: str) -> Engine:
    """One engine per database for the polling below (a new one per poll leaks connections)."""
    return make_engine(url)


def seed_many(url: str, runtime: Runtime, copies: int) -> list[int]:
    """The demo partners, and the demo enterprises `copies` times over (distinct names)."""
    enterprises = json.loads((FIXTURES_DIR / "enterprises.json").read_text(encoding="utf-8"))
    partners = json.loads((FIXTURES_DIR / "partners.json").read_text(encoding="utf-8"))
    ids = []
    with session_scope(shared_engine(url)) as session:
        create_partners(
            session=session,
            items=[PartnerCreate(**p) for p in partners],
            industries=runtime.industries,
            principal=ADMIN,
            bulk=True,
        )
        for n in range(copies):
            for item in enterprises:
                data = EnterpriseCreate(
                    **{**item, "name": f"{item['name']}（{n}）", "credit_code": None}
                )
                row = create_enterprise(
                    session=session, data=data, industries=runtime.industries, principal=ADMIN
                )
                ids.append(row.id or 0)
    return ids


def start_worker(url: str, tmp_path: Path, name: str, **settings: str) -> subprocess.Popen[bytes]:
    """`ld worker` as its own process on `url`; `settings` become LD_* variables."""
    env = {
        **os.environ,
        "LD_DATABASE_URL": url,
        "LD_DATA_DIR": str(tmp_path / name),
        "LD_MODEL_CACHE": str(MODEL_CACHE),
        "LD_JOB_STALE_SECONDS": "3",
        **{f"LD_{key.upper()}": value for key, value in settings.items()},
    }
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker", "--poll", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def read_job(url: str, job_id: int) -> Job:
    with Session(shared_engine(url)) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def wait_for(predicate: Callable[[], bool], timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
