"""Evaluate diagnoses against a labelled set, beside rules-only and model-only.

The report answers the questions an officer or reviewer asks of the engine:
how often is the primary right (macro-F1 over the eight categories and
accuracy), how often is it at least acceptable, where does it go wrong
(per-category table, confusion matrix), does combining rules and model
beat each alone, and does the review flag catch the wrong primaries without
flagging everything (recall of errors, share flagged).  The set evaluated is
never the one trained on: the caller passes a model trained elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.metrics import precision_recall_fscore_support as prfs

from matcher.diagnosis.engine import diagnose, model_version_of
from matcher.diagnosis.lexicon import Lexicon
from matcher.profile import EnterpriseProfile
from matcher.vocab import CATEGORIES

LABELS = tuple(CATEGORIES)


@dataclass(frozen=True)
class Label:
    primary: str
    acceptable: tuple[str, ...]
    trap: bool = False


@dataclass(frozen=True)
class VariantReport:
    name: str
    macro_f1: float
    accuracy: float
    within_acceptable: float
    trap_accuracy: float | None
    per_category: tuple[tuple[str, float, float, float, int], ...]
    confusion: tuple[tuple[int, ...], ...]
    flag_recall: float | None = None
    """Share of wrong primaries that were flagged for review (None: no errors or no flag)."""
    flagged_share: float | None = None


@dataclass(frozen=True)
class DiagnosisReport:
    n: int
    variants: tuple[VariantReport, ...]
    model_version: str
    rules_version: str


def load_labelled_set(directory: Path | str) -> tuple[list[EnterpriseProfile], list[Label]]:
    """Read enterprises.jsonl + labels.jsonl (joined on ext_id) from a directory.

    Args:
        directory: a folder in the format of the shared devset.

    Returns:
        Profiles and their labels, in the order of enterprises.jsonl.

    Raises:
        ValueError: when an enterprise has no label, or an ext_id occurs twice in
            either file (the second row would silently replace the first).

    Example:
        >>> profiles, labels = load_labelled_set("../shared/devset")  # doctest: +SKIP
    """
    folder = Path(directory)
    labels: dict[str, Label] = {}
    for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            if raw["ext_id"] in labels:
                raise ValueError(f"labels.jsonl：{raw['ext_id']} 出现两次")
            labels[raw["ext_id"]] = _label_of(raw)
    profiles, ordered, seen = [], [], set()
    for line in (folder / "enterprises.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        if raw["ext_id"] not in labels:
            raise ValueError(f"{raw['ext_id']} 没有标签")
        if raw["ext_id"] in seen:
            raise ValueError(f"enterprises.jsonl：{raw['ext_id']} 出现两次")
        seen.add(raw["ext_id"])
        profiles.append(EnterpriseProfile.from_dict(raw))
        ordered.append(labels[raw["ext_id"]])
    return profiles, ordered


def load_training_set(path: Path | str) -> tuple[list[EnterpriseProfile], list[Label]]:
    """Read a JSON-lines file whose rows carry `primary` and `acceptable` inline."""
    profiles, labels = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            profiles.append(EnterpriseProfile.from_dict(raw))
            labels.append(_label_of(raw))
    return profiles, labels


def _label_of(raw: dict[str, Any]) -> Label:
    primary = str(raw["primary"])
    acceptable = tuple(raw.get("acceptable") or (primary,))
    if primary not in CATEGORIES or any(a not in CATEGORIES for a in acceptable):
        raise ValueError(f"未知类别：{primary} / {acceptable}")
    trap = bool(raw.get("trap")) or "注意：" in str(raw.get("rationale", ""))
    return Label(primary, acceptable if primary in acceptable else (primary, *acceptable), trap)


def score_predictions(
    name: str,
    predicted: Sequence[str],
    labels: Sequence[Label],
    flagged: Sequence[bool] | None = None,
) -> VariantReport:
    """Compute every number of one variant's block of the report."""
    truth = [label.primary for label in labels]
    flag_recall = flag_share = None
    if flagged is not None and flagged:
        errors = [f for f, p, t in zip(flagged, predicted, truth, strict=True) if p != t]
        flag_recall = (sum(errors) / len(errors)) if errors else None
        flag_share = sum(flagged) / len(flagged)
    precision, recall, f1, support = prfs(truth, predicted, labels=LABELS, zero_division=0)
    traps = [p == lab.primary for p, lab in zip(predicted, labels, strict=True) if lab.trap]
    within = [p in lab.acceptable for p, lab in zip(predicted, labels, strict=True)]
    return VariantReport(
        name=name,
        macro_f1=float(f1_score(truth, predicted, labels=LABELS, average="macro", zero_division=0)),
        accuracy=float(accuracy_score(truth, predicted)),
        within_acceptable=sum(within) / len(within),
        trap_accuracy=(sum(traps) / len(traps)) if traps else None,
        per_category=tuple(
            (c, float(p), float(r), float(f), int(s))
            for c, p, r, f, s in zip(LABELS, precision, recall, f1, support, strict=True)
        ),
        confusion=tuple(
            tuple(int(v) for v in row) for row in confusion_matrix(truth, predicted, labels=LABELS)
        ),
        flag_recall=flag_recall,
        flagged_share=flag_share,
    )


def evaluate_diagnosis(
    profiles: Sequence[EnterpriseProfile],
    labels: Sequence[Label],
    *,
    lexicon: Lexicon,
    model: Any | None,
    as_of_year: int | None = None,
) -> DiagnosisReport:
    """Diagnose every profile three ways (full, rules-only, model-only) and score them.

    Args:
        profiles: enterprises of the labelled set.
        labels: their labels (`load_labelled_set`).
        lexicon: the phrase lists the evidence reads.
        model: a TreatmentModel trained on other data, or None (rules only).
        as_of_year: year "停产至今" counts to.

    Returns:
        A DiagnosisReport; print it with `format_diagnosis_report`.  The full variant
        carries the review flag's recall of errors and share flagged.
    """
    full, full_flags, rules_only, model_only = [], [], [], []
    for profile in profiles:
        result = diagnose(profile, lexicon=lexicon, model=model, as_of_year=as_of_year)
        policy = result.policy_probabilities
        rules_only.append(max(policy, key=lambda c: (policy[c], c)))
        if model is None:
            full.append(result.primary)
            full_flags.append(result.needs_review)
            continue
        full.append(result.primary)
        full_flags.append(result.needs_review)
        probs = result.model_probabilities or {}
        model_only.append(max(probs, key=lambda c: (probs[c], c)))
    variants = [score_predictions("rules-only", rules_only, labels)]
    if model is not None:
        variants.insert(0, score_predictions("full (rules+model)", full, labels, full_flags))
        variants.append(score_predictions("model-only", model_only, labels))
    else:
        variants = [score_predictions("rules-only", rules_only, labels, full_flags)]
    return DiagnosisReport(
        n=len(labels),
        variants=tuple(variants),
        model_version=model_version_of(model),
        rules_version=lexicon.version,
    )
