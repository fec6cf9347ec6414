"""`ld learn`, `ld configs` and `ld train --with-overrides` → `ld train-activate`, as processes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from api.config import FIXTURES_DIR, Settings
from api.main import create_app
from api.runtime import MODEL_FILE, Runtime
from tests.test_cli import ROOT, run_cli

MODEL_ENV = {"LD_MODEL_CACHE": str(ROOT / ".cache" / "models")}
ADMIN = "cli-learning-admin"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_learn_answers_the_count_and_configs_lists_base(tmp_path: Path) -> None:
    assert run_cli("seed", data_dir=tmp_path).returncode == 0
    learned = run_cli("learn", data_dir=tmp_path, extra_env=MODEL_ENV)
    assert learned.returncode == 1
    assert "已有 0 条审核决策，至少需要 30 条" in learned.stderr
    listed = run_cli("configs", data_dir=tmp_path, extra_env=MODEL_ENV)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("* base ")
    again = run_cli("configs", "--activate", "base", data_dir=tmp_path, extra_env=MODEL_ENV)
    assert again.returncode == 1 and "已是当前生效版本" in again.stderr
    unknown = run_cli("configs", "--activate", "v7", data_dir=tmp_path, extra_env=MODEL_ENV)
    assert unknown.returncode == 1 and "匹配配置 v7 不存在" in unknown.stderr


def test_train_with_overrides_makes_a_candidate_until_activated(
    tmp_path: Path, runtime: Runtime
) -> None:
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, fixtures)
    env = {**MODEL_ENV, "LD_FIXTURES_DIR": str(fixtures)}
    assert run_cli("seed", data_dir=tmp_path, extra_env=env).returncode == 0
    app = create_app(
        Settings(data_dir=tmp_path, start_worker=False, admin_token=ADMIN), runtime=runtime
    )
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN}"
        for enterprise_id in (1, 2, 3, 4):
            primary = client.post(f"/enterprises/{enterprise_id}/diagnosis").json()["primary"]
            other = "relief" if primary != "relief" else "exit_liquidation"
            override = {"primary": other, "reason": "走访后改判"}
            response = client.post(
                f"/enterprises/{enterprise_id}/diagnosis/override", json=override
            )
            assert response.status_code == 200, response.text
    active = fixtures / MODEL_FILE
    before = digest(active)
    trained = run_cli("train", "--with-overrides", data_dir=tmp_path, extra_env=env)
    assert trained.returncode == 0, trained.stderr
    assert "with 3 officer overrides; 1 held out" in trained.stdout
    assert "active agrees" in trained.stdout and "overall" in trained.stdout
    candidate = next((tmp_path / "candidates").glob("diagnosis-*.joblib"))
    assert digest(active) == before  # a candidate replaces nothing
    activated = run_cli("train-activate", str(candidate), data_dir=tmp_path, extra_env=env)
    assert activated.returncode == 0, activated.stderr
    assert digest(active) == digest(candidate)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN}"
        audit = client.get("/audit", params={"entity": "diagnosis_model"}).json()["data"]
        assert [a["action"] for a in audit] == ["activate"]
