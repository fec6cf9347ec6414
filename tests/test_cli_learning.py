"""`ld learn`, `ld configs`, `ld train --with-overrides` → `ld train-activate`, as processes."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from pathlib import Path

import pytest
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


@pytest.mark.slow
def test_train_with_overrides_makes_a_candidate_until_activated(
    tmp_path: Path, runtime: Runtime
) -> None:
    """Train → stored candidate (diagnoses nothing) → activate: the running service follows
    without a restart → roll back to base: the earlier diagnosis, exactly."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, fixtures)
    env = {**MODEL_ENV, "LD_FIXTURES_DIR": str(fixtures)}
    assert run_cli("seed", data_dir=tmp_path, extra_env=env).returncode == 0
    own = dataclasses.replace(runtime)  # this test changes which model is active
    app = create_app(
        Settings(data_dir=tmp_path, start_worker=False, admin_token=ADMIN), runtime=own
    )
    shipped = own.treatment_model
    assert shipped is not None
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN}"
        before = {}
        for enterprise_id in (1, 2, 3, 4):
            before[enterprise_id] = client.post(f"/enterprises/{enterprise_id}/diagnosis").json()
            primary = before[enterprise_id]["primary"]
            other = "relief" if primary != "relief" else "exit_liquidation"
            override = {"primary": other, "reason": "走访后改判"}
            response = client.post(
                f"/enterprises/{enterprise_id}/diagnosis/override", json=override
            )
            assert response.status_code == 200, response.text
        ranked = client.get("/enterprises/1/matches")
        assert ranked.status_code == 200, ranked.text
    active_file = fixtures / MODEL_FILE
    file_before = digest(active_file)

    trained = run_cli("train", "--with-overrides", data_dir=tmp_path, extra_env=env)
    assert trained.returncode == 0, trained.stderr
    assert "with 3 officer overrides; 1 held out" in trained.stdout
    assert "active agrees" in trained.stdout and "overall" in trained.stdout
    version = re.search(r"candidate (\S+) stored, not active", trained.stdout)
    assert version is not None, trained.stdout
    candidate = version.group(1)
    assert candidate != shipped.model_version
    assert digest(active_file) == file_before  # the shipped model is never written over
    listed = run_cli("diagnosis-models", data_dir=tmp_path, extra_env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].startswith(f"  {candidate}")
    assert "* base" in listed.stdout and "3 overrides" in listed.stdout

    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN}"
        # A candidate diagnoses nothing until it is activated.
        again = client.post("/enterprises/1/diagnosis").json()
        assert again["model_version"] == shipped.model_version
        models = client.get("/diagnosis/models").json()
        assert models["active"] == "base"
        assert [m["version"] for m in models["items"]] == [candidate, "base"]
        assert models["items"][0]["held_out"]["overall"]["overrides"] == 1
        assert models["items"][0]["data"]["overrides_used"] == 3

    activated = run_cli("train-activate", candidate, data_dir=tmp_path, extra_env=env)
    assert activated.returncode == 0, activated.stderr
    assert "re-score job" in activated.stdout
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN}"
        # The running service follows the activation at its next request, no restart.
        now = client.post("/enterprises/2/diagnosis").json()
        assert now["model_version"] == candidate
        # A stored ranking made on the earlier model's diagnosis is diagnosed again.
        rediagnosed = client.get("/enterprises/1/matches")
        assert rediagnosed.status_code == 200
        latest = client.get("/enterprises/1/diagnosis").json()
        assert latest["model_version"] == candidate
        back = client.post("/diagnosis/models/base/activate")
        assert back.status_code == 200, back.text
        assert back.json()["previous"] == candidate
        restored = client.post("/enterprises/3/diagnosis").json()
        assert restored["model_version"] == shipped.model_version
        assert restored["categories"] == before[3]["categories"]
        assert client.post("/diagnosis/models/base/activate").status_code == 409
        assert client.post("/diagnosis/models/diag-x/activate").status_code == 404
        audit = client.get("/audit", params={"entity": "diagnosis_model"}).json()["data"]
        assert sorted(a["action"] for a in audit) == ["activate", "activate", "create"]
