"""matcher.classify / training: pipeline, custom transformer, artifact round trip."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from matcher.classify import (
    FiniteClipper,
    TreatmentModel,
    build_treatment_pipeline,
    hash_training_data,
    load_treatment_model,
    make_model_version,
)
from matcher.diagnose import diagnose
from matcher.diagnosis_rules import load_diagnosis_rules
from matcher.evaluation import load_training_set
from matcher.profile import EnterpriseProfile
from matcher.training import train_treatment_model
from matcher.vocab import CATEGORIES

REPO = Path(__file__).resolve().parents[2]
TRAINING = REPO / "fixtures" / "diagnosis_training.jsonl"
SHIPPED = REPO / "fixtures" / "models" / "diagnosis.joblib"


@parametrize_with_checks([FiniteClipper()])
def test_finite_clipper_follows_sklearn_conventions(estimator: object, check: object) -> None:
    check(estimator)  # type: ignore[operator]


def test_finite_clipper_clips_and_keeps_missing() -> None:
    data = np.array([[0.5, None], [1.0, 2.0], [30.0, 3.0]], dtype=object)
    clipper = FiniteClipper(quantile=0.0).fit(data[:2])
    out = clipper.transform(data)
    assert out[2, 0] == 1.0
    assert np.isnan(out[0, 1])


def test_finite_clipper_rejects_bad_quantile() -> None:
    with pytest.raises(ValueError):
        FiniteClipper(quantile=0.7).fit(np.zeros((3, 1)))


@pytest.fixture(scope="module")
def small_model() -> tuple[TreatmentModel, list[EnterpriseProfile], list[str]]:
    profiles, labels = load_training_set(TRAINING)
    picked: dict[str, int] = {}
    sub_p, sub_l = [], []
    for profile, label in zip(profiles, labels, strict=True):
        if picked.get(label.primary, 0) < 10:
            picked[label.primary] = picked.get(label.primary, 0) + 1
            sub_p.append(profile)
            sub_l.append(label.primary)
    model = train_treatment_model(
        sub_p, sub_l, cv_folds=2, as_of_year=2026, today=dt.date(2026, 1, 2)
    )
    return model, sub_p, sub_l


def test_training_records_metadata(
    small_model: tuple[TreatmentModel, list[EnterpriseProfile], list[str]],
) -> None:
    model, profiles, labels = small_model
    meta = model.metadata
    data_hash = hash_training_data(profiles, labels)
    assert meta["data_hash"] == data_hash
    assert meta["model_version"] == f"diag-20260102-{data_hash[:8]}"
    assert meta["n_rows"] == 80
    assert {"macro_f1", "accuracy", "folds", "log_loss", "brier"} <= set(meta["cv"])
    assert meta["sklearn_version"]


def test_probabilities_cover_every_category(
    small_model: tuple[TreatmentModel, list[EnterpriseProfile], list[str]],
) -> None:
    model, profiles, _ = small_model
    probs = model.predict_proba(profiles[:3])
    for row in probs:
        assert set(row) == set(CATEGORIES)
        assert sum(row.values()) == pytest.approx(1.0)


def test_save_and_load_round_trip(
    tmp_path: Path,
    small_model: tuple[TreatmentModel, list[EnterpriseProfile], list[str]],
) -> None:
    model, profiles, _ = small_model
    meta_path = model.save(tmp_path / "m.joblib")
    assert json.loads(meta_path.read_text(encoding="utf-8"))["model_version"] == model.model_version
    loaded = load_treatment_model(tmp_path / "m.joblib")
    assert loaded.model_version == model.model_version
    for before, after in zip(
        model.predict_proba(profiles[:5]), loaded.predict_proba(profiles[:5]), strict=True
    ):
        assert after == pytest.approx(before)


def test_load_rejects_foreign_files(tmp_path: Path) -> None:
    import joblib

    joblib.dump({"something": 1}, tmp_path / "x.joblib")
    with pytest.raises(ValueError):
        load_treatment_model(tmp_path / "x.joblib")


def test_load_rejects_a_model_with_other_signals(
    tmp_path: Path,
    small_model: tuple[TreatmentModel, list[EnterpriseProfile], list[str]],
) -> None:
    model, _, _ = small_model
    meta = dict(model.metadata, numeric_signals=["debt_ratio"])
    TreatmentModel(pipeline=model.pipeline, metadata=meta).save(tmp_path / "old.joblib")
    with pytest.raises(ValueError, match="重新训练"):
        load_treatment_model(tmp_path / "old.joblib")


def test_training_rejects_unknown_labels() -> None:
    with pytest.raises(ValueError):
        train_treatment_model([EnterpriseProfile(name="甲")], ["rescue"])


def test_make_model_version() -> None:
    assert make_model_version("abcdef0123", dt.date(2026, 11, 27)) == "diag-20261127-abcdef01"


def test_pipeline_has_column_transformer_and_calibration() -> None:
    pipeline = build_treatment_pipeline()
    assert [name for name, _ in pipeline.steps] == ["features", "classifier"]
    assert type(pipeline.named_steps["classifier"]).__name__ == "CalibratedClassifierCV"


def test_shipped_artifact_matches_the_shipped_training_set() -> None:
    meta = json.loads(SHIPPED.with_suffix(".json").read_text(encoding="utf-8"))
    profiles, labels = load_training_set(TRAINING)
    assert meta["data_hash"] == hash_training_data(profiles, [lab.primary for lab in labels])
    assert meta["cv"]["macro_f1"] > 0.8
    assert SHIPPED.stat().st_size < 5_000_000


FRESH_START = """
import sys, time
from matcher import diagnose, load_diagnosis_rules, load_treatment_model, EnterpriseProfile
from matcher import Financials
rules = load_diagnosis_rules(sys.argv[1])
model = load_treatment_model(sys.argv[2])
profile = EnterpriseProfile(name="甲", problems="总资产1亿元，总负债1.3亿元，法院已受理重整申请",
                            operating_status="in_bankruptcy")
start = time.perf_counter()
result = diagnose(profile, rules=rules, model=model)
elapsed = time.perf_counter() - start
print(result.primary, result.model_version, f"{elapsed:.3f}")
"""


def test_shipped_artifact_loads_on_a_fresh_start() -> None:
    rules = REPO / "fixtures" / "diagnosis_rules.toml"
    done = subprocess.run(
        [sys.executable, "-c", FRESH_START, str(rules), str(SHIPPED)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    primary, version, elapsed = done.stdout.split()
    assert primary == "judicial_reorganization"
    assert version.startswith("diag-")
    assert float(elapsed) < 1.0


def test_diagnose_with_trained_model(
    small_model: tuple[TreatmentModel, list[EnterpriseProfile], list[str]],
) -> None:
    model, profiles, labels = small_model
    rules = load_diagnosis_rules(REPO / "fixtures" / "diagnosis_rules.toml")
    result = diagnose(profiles[0], rules=rules, model=model, as_of_year=2026)
    assert result.primary == labels[0]
    assert result.model_version == model.model_version
