"""The `ld` console command, run as a real process against a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from api.config import FIXTURES_DIR, Settings
from api.main import create_app

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LD_DATA_DIR": str(data_dir)}
    env.pop("LD_DATABASE_URL", None)
    env.pop("LD_ADMIN_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_seed_is_idempotent_and_token_works(tmp_path: Path) -> None:
    enterprises = json.loads((FIXTURES_DIR / "enterprises.json").read_text(encoding="utf-8"))
    partners = json.loads((FIXTURES_DIR / "partners.json").read_text(encoding="utf-8"))

    first = run_cli("seed", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"seeded {len(enterprises)} enterprises and {len(partners)} partners" in first.stdout
    second = run_cli("seed", data_dir=tmp_path)
    assert "seeded 0 enterprises and 0 partners" in second.stdout

    issued = run_cli(
        "create-token",
        "--name",
        "广饶县经办人",
        "--role",
        "officer",
        "--county",
        "广饶县",
        data_dir=tmp_path,
    )
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]

    app = create_app(Settings(data_dir=tmp_path, start_worker=False))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        listed = client.get("/enterprises").json()
        assert listed["count"] == sum(e["county"] == "广饶县" for e in enterprises)
        assert client.get("/partners").json()["count"] == len(partners)

    revoked = run_cli("revoke-token", "1", data_dir=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    missing = run_cli("revoke-token", "99", data_dir=tmp_path)
    assert missing.returncode == 1
    assert "不存在" in missing.stderr
    with TestClient(create_app(Settings(data_dir=tmp_path, start_worker=False))) as client:
        assert (
            client.get("/partners", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        )


def test_create_token_refuses_unknown_role(tmp_path: Path) -> None:
    result = run_cli("create-token", "--name", "x", "--role", "boss", data_dir=tmp_path)
    assert result.returncode != 0
    assert "role" in result.stderr
