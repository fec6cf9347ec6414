"""`ld create-token --department`: a department's token, issued from the command line."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.config import Settings
from api.errors import DEPARTMENT_ONLY_CASES
from api.main import create_app
from api.runtime import Runtime
from tests.test_cli import run_cli


def test_create_a_department_token(tmp_path: Path, runtime: Runtime) -> None:
    issued = run_cli(
        "create-token", "--name", "税务局联络员", "--role", "department", "--department", "税务局",
        data_dir=tmp_path,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    assert "department 税务局" in issued.stdout
    token = issued.stdout.strip().splitlines()[-1]
    app = create_app(Settings(data_dir=tmp_path, start_worker=False), runtime=runtime)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/enterprises").json()["count"] == 0  # invited nowhere yet
        refused = client.get("/partners")
        assert refused.status_code == 403 and refused.json()["detail"] == DEPARTMENT_ONLY_CASES


def test_a_department_token_needs_a_known_department(tmp_path: Path) -> None:
    missing = run_cli("create-token", "--name", "x", "--role", "department", data_dir=tmp_path)
    assert missing.returncode != 0 and "须指明所属部门" in missing.stderr
    unknown = run_cli(
        "create-token", "--name", "x", "--role", "department", "--department", "无此局",
        data_dir=tmp_path,
    )  # fmt: skip
    assert unknown.returncode != 0 and "未知的部门" in unknown.stderr
