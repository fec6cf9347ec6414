"""Seconds to first answer: `ld serve --demo` on a fresh data folder, as a real process.

The sentence model is unpacked and loaded in the background, and the demo is
prepared in the background, so the server answers before either is done; the
demo's rankings are redone once the worker has embedded the texts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from matcher.encoders.e5_convert import FORMAT_VERSION
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, float, dict[str, str], Path]]:
    """A fresh `serve --demo` (its own data folder: no database, no unpacked model yet)."""
    port = free_port()
    env = {**os.environ, "LD_DATA_DIR": str(tmp_path / "data"), "LD_ADMIN_TOKEN": "start-test"}
    for name in ("LD_DATABASE_URL", "LD_MODEL_CACHE", "LD_EMBEDDINGS"):
        env.pop(name, None)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield (
            f"http://127.0.0.1:{port}",
            started,
            {"Authorization": "Bearer start-test"},
            tmp_path / "data",
        )
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_for(url: str, deadline: float, headers: dict[str, str] | None = None) -> httpx.Response:
    while True:
        try:
            response = httpx.get(url, headers=headers, timeout=2.0)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer in time")
        time.sleep(0.05)


@pytest.mark.slow  # the model unpacks and loads in the background meanwhile
def test_serve_answers_at_once_and_the_demo_ranks_before_the_model_is_ready(
    demo_server: tuple[str, float, dict[str, str], Path],
) -> None:
    """Not a timing test (the bench times start to /health): what is asserted is that
    nothing waits for the model.  The bundled model takes tens of seconds to unpack
    on a fresh data folder; /health, /status and the demo's first ranking all answer
    while its folder does not exist yet."""
    base, started, token, data_dir = demo_server
    unpacked = data_dir / "cache" / "models" / FORMAT_VERSION / "modules.json"
    _wait_for(f"{base}/health", started + 120)
    assert not unpacked.exists()
    status = _wait_for(f"{base}/status", time.monotonic() + 30, token).json()
    assert status["partners"] > 0 and status["embedded"] + status["pending"] == status["partners"]
    enterprises = _wait_for(f"{base}/enterprises", time.monotonic() + 30, token).json()["data"]
    assert enterprises
    first = httpx.get(
        f"{base}/enterprises/{enterprises[0]['id']}/matches", headers=token, timeout=30
    )
    assert first.status_code == 200 and first.json()["items"]
    if not unpacked.exists():  # ranked before the model could have encoded anything
        assert first.json()["run"]["pending_embeddings"] == status["partners"]
        assert first.json()["run"]["query_embedding_pending"] is True
    # The worker embeds everything in the background; the ranking then has no pending part.
    deadline = time.monotonic() + 900
    while httpx.get(f"{base}/status", headers=token, timeout=30).json()["pending"]:
        assert time.monotonic() < deadline, "the embeddings never landed"
        time.sleep(1.0)
    assert unpacked.exists()
    while True:
        later = httpx.get(
            f"{base}/enterprises/{enterprises[0]['id']}/matches", headers=token, timeout=30
        ).json()["run"]
        if not later["query_embedding_pending"]:
            break
        assert time.monotonic() < deadline, "the need texts were never embedded"
        time.sleep(1.0)
    assert later["pending_embeddings"] == 0
