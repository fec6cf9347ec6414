"""Fit the treatment model on the diagnosis corpus, choosing the blend and the flag by CV.

Everything chosen here is chosen on the training corpus by cross-validation, never on
an evaluation set: the model's out-of-fold probabilities are blended with the
policy's at each candidate weight, and the weight with the best out-of-fold macro-F1
is kept; the review margin is the smallest one whose flag catches at least
`FLAG_RECALL_TARGET` of the out-of-fold wrong primaries (so that as few files as
possible are flagged).  The metrics are stored in the artifact's metadata.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from matcher.diagnosis.evaluation import Label
from matcher.diagnosis.evidence import Evidence, gather_evidence
from matcher.diagnosis.features import FEATURE_NAMES
from matcher.diagnosis.lexicon import Lexicon
from matcher.diagnosis.model import (
    TreatmentModel,
    build_pipeline,
    hash_rows,
    model_rows,
)
from matcher.diagnosis.policy import contributions, policy_scores, softmax
from matcher.diagnosis.review import review_reasons
from matcher.profile import EnterpriseProfile
from matcher.threads import single_threaded
from matcher.vocab import CATEGORIES

WEIGHTS = tuple(round(w, 2) for w in np.arange(0.0, 1.0001, 0.1))
MARGINS = tuple(round(m, 2) for m in np.arange(0.0, 0.5001, 0.02))
FLAG_RECALL_TARGET = 0.8
_CODES = list(CATEGORIES)


def _argmax(p: dict[str, float]) -> str:
    return max(p, key=lambda c: (p[c], c))


def _oof_model(
    rows: np.ndarray, labels: list[str], folds: int, seed: int
) -> list[dict[str, float]]:
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    out: list[dict[str, float]] = [{} for _ in labels]
    for train, test in splitter.split(rows, labels):
        pipe = build_pipeline().fit(rows[train], [labels[i] for i in train])
        classes = list(pipe.classes_)
        for i, row in zip(test, pipe.predict_proba(rows[test]), strict=True):
            out[i] = {c: float(row[classes.index(c)]) if c in classes else 0.0 for c in _CODES}
    return out


def _blend(policy: dict[str, float], model: dict[str, float], w: float) -> dict[str, float]:
    return {c: (1 - w) * policy[c] + w * model[c] for c in _CODES}


def _choose(
    policy: list[dict[str, float]], model: list[dict[str, float]], labels: list[Label]
) -> dict[str, Any]:
    truth = [lab.primary for lab in labels]

    def macro(pred: list[str]) -> float:
        return float(f1_score(truth, pred, labels=_CODES, average="macro", zero_division=0))

    scored = {
        w: macro([_argmax(_blend(p, m, w)) for p, m in zip(policy, model, strict=True)])
        for w in WEIGHTS
    }
    best = max(scored.values())
    weight = min((w for w in WEIGHTS if scored[w] >= best - 1e-9), key=lambda w: abs(w - 0.5))
    blended = [_blend(p, m, weight) for p, m in zip(policy, model, strict=True)]
    predicted = [_argmax(b) for b in blended]
    wrong = [i for i, (p, t) in enumerate(zip(predicted, truth, strict=True)) if p != t]
    margin, recall, share = MARGINS[-1], 0.0, 1.0
    for m in MARGINS:
        flags = [
            bool(review_reasons(b, p, mo, margin=m))
            for b, p, mo in zip(blended, policy, model, strict=True)
        ]
        r = (sum(flags[i] for i in wrong) / len(wrong)) if wrong else 1.0
        if r >= FLAG_RECALL_TARGET:
            margin, recall, share = m, r, sum(flags) / len(flags)
            break
    within = [p in lab.acceptable for p, lab in zip(predicted, labels, strict=True)]
    return {
        "blend_weight": weight,
        "review_margin": margin,
        "cv": {
            "macro_f1_by_weight": {str(w): round(v, 4) for w, v in scored.items()},
            "full_macro_f1": round(scored[weight], 4),
            "full_accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "full_within_acceptable": round(float(np.mean(within)), 4),
            "policy_macro_f1": round(scored[0.0], 4),
            "model_macro_f1": round(macro([_argmax(m) for m in model]), 4),
            "flag_recall_of_errors": round(recall, 4),
            "flag_share": round(share, 4),
        },
    }


def train_treatment_model(
    profiles: Sequence[EnterpriseProfile],
    labels: Sequence[Label],
    *,
    lexicon: Lexicon,
    records: Sequence[dict[str, Any]] = (),
    folds: int = 5,
    seed: int = 0,
    as_of_year: int | None = None,
    today: dt.date | None = None,
    source: str = "",
) -> TreatmentModel:
    """Cross-validate on the corpus, choose blend weight and review margin, fit on all rows.

    Args:
        profiles: the corpus' enterprises.
        labels: their labels (primary and acceptable).
        lexicon: the phrase lists the evidence reads (also the policy's input).
        records: the raw corpus rows, hashed into the model version.
        folds: cross-validation folds.
        seed: the fold split's seed.
        as_of_year: the year "停产至今" counts to.
        today: the date stamped into the version (default: today).
        source: where the data came from, recorded in metadata.

    Raises:
        ValueError: on mismatched lengths, an empty corpus or an unknown label.
    """
    if len(profiles) != len(labels) or not profiles:
        raise ValueError("profiles 与 labels 数量不一致或为空")
    names = [lab.primary for lab in labels]
    if set(names) - set(CATEGORIES):
        raise ValueError(f"未知类别：{sorted(set(names) - set(CATEGORIES))}")
    evidence: list[Evidence] = [
        gather_evidence(p, lexicon, as_of_year=as_of_year) for p in profiles
    ]
    policy = [softmax(policy_scores(contributions(ev))) for ev in evidence]
    rows = model_rows(profiles, evidence)
    with single_threaded():
        chosen = _choose(policy, _oof_model(rows, names, folds, seed), list(labels))
        pipeline = build_pipeline().fit(rows, names)
    data_hash = hash_rows(
        list(records)
        or [{"name": p.name, "label": n} for p, n in zip(profiles, names, strict=True)]
    )
    when = today or dt.date.today()
    metadata = {
        "model_version": f"diag-{when:%Y%m%d}-{data_hash[:8]}",
        "trained_at": when.isoformat(),
        "data_hash": data_hash,
        "data_source": source,
        "lexicon_version": lexicon.version,
        "sklearn_version": str(sklearn.__version__),
        "n_rows": len(names),
        "class_counts": dict(sorted(Counter(names).items())),
        "folds": folds,
        **chosen,
        "features": list(FEATURE_NAMES),
    }
    return TreatmentModel(pipeline=pipeline, metadata=metadata)
