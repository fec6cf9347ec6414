"""The learned treatment model: scikit-learn over the officer's words and the evidence.

The words (description, problems, strengths, asset notes; the 诉求 apart) are read
as jieba word n-grams and character n-grams, so phrasings the lexicon does not list
still count; the evidence vector (features.py) carries the figures and the answers.
A logistic regression gives probabilities that the engine blends with the policy's.
The artifact is a joblib file plus a JSON metadata file (version, data hash, sklearn
version, cross-validated metrics), so a deployment loads it without training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from matcher.diagnosis.evidence import Evidence
from matcher.diagnosis.features import FEATURE_NAMES, feature_vector
from matcher.profile import EnterpriseProfile
from matcher.text import normalize_zh, tokenize_zh
from matcher.threads import single_threaded
from matcher.vocab import CATEGORIES

ARTIFACT_FORMAT = 2
_N = len(FEATURE_NAMES)
SITUATION, DEMANDS = _N, _N + 1


def build_pipeline(*, c: float = 1.0) -> Pipeline:
    """The unfitted pipeline over the rows `model_rows` makes.

    Example:
        >>> build_pipeline().steps[-1][0]
        'classifier'
    """
    words = {"tokenizer": tokenize_zh, "token_pattern": None, "lowercase": False}
    features = ColumnTransformer(
        [
            (
                "evidence",
                Pipeline(
                    [
                        (
                            "impute",
                            SimpleImputer(
                                strategy="median", add_indicator=True, keep_empty_features=True
                            ),
                        ),
                        ("scale", StandardScaler()),
                    ]
                ),
                list(range(_N)),
            ),
            (
                "words",
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, **words),
                SITUATION,
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=(2, 3),
                    sublinear_tf=True,
                    min_df=2,
                    max_features=6000,
                ),
                SITUATION,
            ),
            ("demands", TfidfVectorizer(sublinear_tf=True, min_df=2, **words), DEMANDS),
        ],
        transformer_weights={"evidence": 0.35, "words": 1.0, "chars": 1.0, "demands": 0.4},
    )
    classifier = LogisticRegression(C=c, max_iter=4000, class_weight="balanced")
    return Pipeline([("features", features), ("classifier", classifier)])


def situation_text(profile: EnterpriseProfile) -> str:
    parts = [profile.description, profile.problems, profile.strengths]
    parts += [a.description for a in profile.assets]
    return normalize_zh("\n".join(p for p in parts if p))


def model_rows(profiles: Sequence[EnterpriseProfile], evidence: Sequence[Evidence]) -> np.ndarray:
    """Object array: the evidence vector, then the situation text and the 诉求 text."""
    rows = [
        [*feature_vector(ev), situation_text(p), normalize_zh(p.demands)]
        for p, ev in zip(profiles, evidence, strict=True)
    ]
    return np.array(rows, dtype=object)


@dataclasses.dataclass(frozen=True)
class TreatmentModel:
    """A fitted pipeline plus where it came from (metadata)."""

    pipeline: Pipeline
    metadata: Mapping[str, Any]

    @property
    def model_version(self) -> str:
        return str(self.metadata["model_version"])

    def predict_proba(
        self, profiles: Sequence[EnterpriseProfile], evidence: Sequence[Evidence]
    ) -> list[dict[str, float]]:
        """Probability of each category for each profile (every category present)."""
        with single_threaded():
            matrix = self.pipeline.predict_proba(model_rows(profiles, evidence))
        classes = list(self.pipeline.classes_)
        return [
            {c: float(row[classes.index(c)]) if c in classes else 0.0 for c in CATEGORIES}
            for row in matrix
        ]

    def predict_proba_one(self, profile: EnterpriseProfile, evidence: Evidence) -> dict[str, float]:
        return self.predict_proba([profile], [evidence])[0]

    def _payload(self) -> dict[str, Any]:
        return {
            "format": ARTIFACT_FORMAT,
            "pipeline": self.pipeline,
            "metadata": dict(self.metadata),
        }

    def save(self, path: Path | str) -> Path:
        """Write the joblib artifact and a JSON metadata file beside it; return the JSON path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self._payload(), target, compress=3)
        meta = target.with_suffix(".json")
        meta.write_text(
            json.dumps(dict(self.metadata), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return meta

    def to_bytes(self) -> bytes:
        """The artifact as `save` writes it, for a store that keeps versions (the database)."""
        buffer = io.BytesIO()
        joblib.dump(self._payload(), buffer, compress=3)
        return buffer.getvalue()


def load_treatment_model(path: Path | str) -> TreatmentModel:
    """Load a saved model and warm up the tokenizer (jieba's dictionary load moves to start).

    Raises:
        ValueError: when the file is not a model of this format or its features differ.
    """
    return _from_payload(Path(path), str(path))


def treatment_model_from_bytes(artifact: bytes, *, name: str) -> TreatmentModel:
    """A model from `TreatmentModel.to_bytes`; `name` says which in an error.

    Raises:
        ValueError: as `load_treatment_model`.
    """
    return _from_payload(io.BytesIO(artifact), name)


def _from_payload(source: Path | io.BytesIO, name: str) -> TreatmentModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a patch-level sklearn difference is in metadata
        payload = joblib.load(source)
    if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
        raise ValueError(f"{name} 不是诊断模型文件（format {ARTIFACT_FORMAT}），请运行 ld train")
    if payload["metadata"].get("features") != list(FEATURE_NAMES):
        raise ValueError(f"{name} 的特征与当前代码不一致，请运行 ld train 重新训练")
    tokenize_zh("预热分词器")
    return TreatmentModel(pipeline=payload["pipeline"], metadata=payload["metadata"])


def hash_rows(records: Sequence[Mapping[str, Any]]) -> str:
    """sha256 over the canonical JSON of the training records."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
