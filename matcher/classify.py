"""The learned treatment model: a scikit-learn Pipeline over signals and text.

Numeric signals (ratios, months stopped, cue counts) and the officer's words
(segmented with jieba) feed one ColumnTransformer; a logistic regression,
calibrated by cross-validation, gives probabilities that can be blended with
the rules'.  The fitted model is saved with joblib plus a JSON file with its
version, data hash, sklearn version and cross-validation metrics, so a fresh
deployment loads it without training.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from matcher.profile import EnterpriseProfile
from matcher.signals import NUMERIC_SIGNALS, SignalValue, extract_signals
from matcher.text import normalize_zh, tokenize_zh
from matcher.vocab import CATEGORIES

ARTIFACT_FORMAT = 1


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def single_threaded() -> Any:
    """A context that keeps BLAS on one thread.

    The matrices here are small; on a shared, busy machine multi-threaded
    BLAS spent 40x longer fighting for cores than computing (measured: 13 s
    vs 0.3 s for one fit), and a request must not wait on that.
    """
    return _controller().limit(limits=1)


_N_NUM = len(NUMERIC_SIGNALS)
SITUATION_COLUMN = _N_NUM
DEMANDS_COLUMN = _N_NUM + 1


class FiniteClipper(TransformerMixin, BaseEstimator):
    """Cast to float (None → NaN) and clip each column to learned quantiles.

    A debt ratio of 30 (a typo for 30%) or 3,000 months must not dominate a
    linear model; clipping to the training range keeps one bad field local.

    Args:
        quantile: lower clip quantile; the upper is 1 - quantile.
    """

    def __init__(self, quantile: float = 0.01) -> None:
        self.quantile = quantile

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing signals are NaN by design
        return tags

    def fit(self, X: Any, y: Any = None) -> FiniteClipper:  # noqa: N803 - sklearn API
        if not 0.0 <= self.quantile < 0.5:
            raise ValueError("quantile must be in [0, 0.5)")
        data = validate_data(self, _as_float(X), ensure_all_finite="allow-nan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            self.lower_ = np.nan_to_num(np.nanquantile(data, self.quantile, axis=0))
            self.upper_ = np.nan_to_num(np.nanquantile(data, 1 - self.quantile, axis=0))
        return self

    def transform(self, X: Any) -> np.ndarray:  # noqa: N803 - sklearn API
        check_is_fitted(self, ("lower_", "upper_"))
        data = validate_data(self, _as_float(X), ensure_all_finite="allow-nan", reset=False)
        return np.asarray(np.clip(data, self.lower_, self.upper_), dtype=float)


def _as_float(X: Any) -> Any:  # noqa: N803 - sklearn API
    """Object arrays (signals with None) become float with NaN; others pass to validation."""
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 2:
        return np.where(X == None, np.nan, X).astype(float)  # noqa: E711 - elementwise
    return X


def build_treatment_pipeline(*, c: float = 2.0, calibration_folds: int = 5) -> Pipeline:
    """Build the unfitted pipeline: signals + situation text + demands text.

    Args:
        c: inverse regularisation strength of the logistic regression.
        calibration_folds: folds CalibratedClassifierCV uses (sigmoid method).

    Returns:
        An unfitted Pipeline taking the rows made by `profile_rows`.

    Example:
        >>> build_treatment_pipeline().steps[-1][0]
        'classifier'
    """
    numeric = Pipeline(
        [
            ("clip", FiniteClipper()),
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("scale", StandardScaler()),
            # Policy works in bands (debt ratio 40–75% vs 85–100% vs over 100%), which
            # a linear model on the raw ratio cannot express; a spline basis can.
            # (Expanding only ten "banded" signals was cheaper but measurably less
            # robust when the text is missing, so every signal is expanded.)
            ("bands", SplineTransformer(n_knots=6, degree=2)),
        ]
    )
    text_options: dict[str, Any] = {
        "tokenizer": tokenize_zh,
        "token_pattern": None,
        "lowercase": False,
        "sublinear_tf": True,
        "min_df": 2,
    }
    features = ColumnTransformer(
        [
            ("signals", numeric, list(range(_N_NUM))),
            (
                "situation",
                TfidfVectorizer(ngram_range=(1, 2), max_features=4000, **text_options),
                SITUATION_COLUMN,
            ),
            ("demands", TfidfVectorizer(max_features=800, **text_options), DEMANDS_COLUMN),
        ],
        transformer_weights={"signals": 1.0, "situation": 0.7, "demands": 0.3},
    )
    classifier = CalibratedClassifierCV(
        LogisticRegression(C=c, max_iter=3000), method="sigmoid", cv=calibration_folds
    )
    return Pipeline([("features", features), ("classifier", classifier)])


def profile_rows(
    profiles: Sequence[EnterpriseProfile],
    signals: Sequence[Mapping[str, SignalValue]] | None = None,
    *,
    as_of_year: int | None = None,
) -> np.ndarray:
    """Turn profiles into the object array the pipeline reads.

    Columns are the NUMERIC_SIGNALS in order, then the situation text
    (description, problems, strengths, assets) and the demands text.
    """
    if signals is None:
        signals = [extract_signals(p, as_of_year=as_of_year) for p in profiles]
    rows = []
    for profile, sig in zip(profiles, signals, strict=True):
        situation = "\n".join(
            [profile.description, profile.problems, profile.strengths]
            + [a.description for a in profile.assets]
        )
        rows.append(
            [sig.get(name) for name in NUMERIC_SIGNALS]
            + [normalize_zh(situation), normalize_zh(profile.demands)]
        )
    return np.array(rows, dtype=object)


@dataclasses.dataclass(frozen=True)
class TreatmentModel:
    """A fitted pipeline plus the metadata that says where it came from.

    `metadata` holds model_version, trained_at, data_hash, sklearn_version,
    n_rows, class counts and cross-validation metrics.
    """

    pipeline: Pipeline
    metadata: Mapping[str, Any]

    @property
    def model_version(self) -> str:
        return str(self.metadata["model_version"])

    def predict_proba(
        self,
        profiles: Sequence[EnterpriseProfile],
        signals: Sequence[Mapping[str, SignalValue]] | None = None,
    ) -> list[dict[str, float]]:
        """Probability of each category for each profile (every category present)."""
        with single_threaded():
            matrix = self.pipeline.predict_proba(profile_rows(profiles, signals))
        classes = list(self.pipeline.classes_)
        return [
            {c: float(row[classes.index(c)]) if c in classes else 0.0 for c in CATEGORIES}
            for row in matrix
        ]

    def predict_proba_one(
        self, profile: EnterpriseProfile, signals: Mapping[str, SignalValue]
    ) -> dict[str, float]:
        """Probability of each category for one profile whose signals are known."""
        return self.predict_proba([profile], [signals])[0]

    def save(self, path: Path | str) -> Path:
        """Write the joblib artifact and a JSON metadata file beside it.

        Returns:
            The path of the JSON metadata file.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": ARTIFACT_FORMAT,
            "pipeline": self.pipeline,
            "metadata": dict(self.metadata),
        }
        joblib.dump(payload, target, compress=3)
        meta_path = target.with_suffix(".json")
        meta_path.write_text(
            json.dumps(dict(self.metadata), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return meta_path


def load_treatment_model(path: Path | str) -> TreatmentModel:
    """Load a saved model and warm up its tokenizer.

    Warming up moves jieba's one-off dictionary load (about a second) to
    service start, so the first officer's request is as fast as the rest.

    Args:
        path: the .joblib file written by `TreatmentModel.save`.

    Returns:
        The model.

    Raises:
        ValueError: if the file is not a treatment-model artifact.

    Example:
        >>> model = load_treatment_model("fixtures/models/diagnosis.joblib")  # doctest: +SKIP
        >>> model.model_version.startswith("diag-")  # doctest: +SKIP
        True
    """
    with warnings.catch_warnings():
        # A patch-level sklearn difference is recorded in metadata, not fatal.
        warnings.simplefilter("ignore")
        payload = joblib.load(Path(path))
    if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
        raise ValueError(f"{path} 不是诊断模型文件（format {ARTIFACT_FORMAT}）")
    if payload["metadata"].get("numeric_signals") != list(NUMERIC_SIGNALS):
        # The pipeline reads signals by column position: a model trained on a
        # different signal list would silently mis-read every column.
        raise ValueError(f"{path} 的特征与当前代码的信号列表不一致，请重新训练")
    tokenize_zh("预热分词器")
    return TreatmentModel(pipeline=payload["pipeline"], metadata=payload["metadata"])


def hash_training_data(profiles: Sequence[EnterpriseProfile], labels: Sequence[str]) -> str:
    """A sha256 over the canonical JSON of profiles and labels.

    Example:
        >>> len(hash_training_data([EnterpriseProfile(name="甲")], ["relief"]))
        64
    """
    digest = hashlib.sha256()
    for profile, label in zip(profiles, labels, strict=True):
        record = {"profile": dataclasses.asdict(profile), "label": label}
        digest.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def make_model_version(data_hash: str, when: dt.date) -> str:
    """ "diag-<yyyymmdd>-<datahash8>", e.g. diag-20261127-1a2b3c4d."""
    return f"diag-{when:%Y%m%d}-{data_hash[:8]}"


def sklearn_version() -> str:
    return str(sklearn.__version__)
