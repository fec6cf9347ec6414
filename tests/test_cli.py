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
from api.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, data_dir: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LD_DATA_DIR": str(data_dir), **(extra_env or {})}
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


def test_seed_is_idempotent_and_token_works(tmp_path: Path, runtime: Runtime) -> None:
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

    app = create_app(Settings(data_dir=tmp_path, start_worker=False), runtime=runtime)
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
    with TestClient(
        create_app(Settings(data_dir=tmp_path, start_worker=False), runtime=runtime)
    ) as client:
        assert (
            client.get("/partners", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        )


def test_create_token_refuses_unknown_role(tmp_path: Path) -> None:
    result = run_cli("create-token", "--name", "x", "--role", "boss", data_dir=tmp_path)
    assert result.returncode != 0
    assert "role" in result.stderr


def test_rescore_command_shows_progress_and_finishes(tmp_path: Path) -> None:
    assert run_cli("seed", data_dir=tmp_path).returncode == 0
    env_cache = {"LD_MODEL_CACHE": str(ROOT / ".cache" / "models")}
    result = run_cli(
        "rescore", "--enterprise", "1", "--enterprise", "2", data_dir=tmp_path, extra_env=env_cache
    )
    assert result.returncode == 0, result.stderr
    assert "job #1: done, 2 enterprises" in result.stdout
    # Not a terminal here: progress comes as lines, the last one the whole job.
    assert "job #1: 1/2\njob #1: 2/2\n" in result.stdout


def test_train_writes_a_loadable_versioned_artifact(tmp_path: Path) -> None:
    out = tmp_path / "model.joblib"
    result = run_cli("train", "--out", str(out), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    meta = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["model_version"].startswith("diag-")
    assert meta["data_hash"]
    assert "cv" in json.dumps(meta)
    assert 0.0 <= meta["blend_weight"] <= 1.0 and 0.0 <= meta["review_margin"] <= 0.5
    assert meta["data_source"] == "diagnosis_corpus.jsonl"
    from matcher.diagnosis.model import load_treatment_model

    assert load_treatment_model(out).model_version == meta["model_version"]


def test_evaluate_prints_the_three_variants(tmp_path: Path) -> None:
    rows = (FIXTURES_DIR / "diagnosis_corpus.jsonl").read_text(encoding="utf-8").splitlines()
    picked = [json.loads(line) for line in rows[::20]]
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    with (
        open(labelled / "enterprises.jsonl", "w", encoding="utf-8") as enterprises,
        open(labelled / "labels.jsonl", "w", encoding="utf-8") as labels,
    ):
        for n, row in enumerate(picked):
            ext = f"T{n}"
            label = {
                "ext_id": ext,
                "primary": row.pop("primary"),
                "acceptable": row.pop("acceptable", None),
            }
            label["acceptable"] = label["acceptable"] or [label["primary"]]
            enterprises.write(json.dumps({**row, "ext_id": ext}, ensure_ascii=False) + "\n")
            labels.write(json.dumps(label, ensure_ascii=False) + "\n")
    result = run_cli("evaluate", str(labelled), "--no-matching", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    for variant in ("full", "rules-only", "model-only"):
        assert variant in result.stdout
    assert "macro-F1" in result.stdout
    assert "flag-recall" in result.stdout and "true \\ predicted" in result.stdout


def test_evaluate_matching_options(tmp_path: Path) -> None:
    """The options of the former `python -m matcher.match_eval`: gold only, no dense model,
    a config file of one's own, and a pass with every industry code blanked."""
    from matcher.matching.config import MatcherConfig
    from tests.conftest import MODEL_CACHE
    from tests.matcher.test_scoring_eval import _write_devset

    devset = tmp_path / "devset"
    devset.mkdir()
    _write_devset(devset)
    config = tmp_path / "weights.toml"
    custom = MatcherConfig(version="cli-test", dense_weight=0.5)
    custom.save_toml(config)
    result = run_cli(
        "evaluate",
        str(devset),
        "--diagnosis",
        "gold",
        "--no-dense",
        "--config",
        str(config),
        "--drop-industry",
        data_dir=tmp_path,
        extra_env={"LD_MODEL_CACHE": str(MODEL_CACHE)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "with the labelled categories" in out and "industry_code blanked" in out
    assert "service's own diagnosis" not in out
    assert f"model=none config={custom.config_hash()}" in out
    assert "\nfull " in out and "\ndense " not in out  # no dense variant without the model
