"""Regenerate the shipped diagnosis model, or evaluate it on a labelled set.

    python -m matcher.train_diagnosis --out fixtures/models/diagnosis.joblib
    python -m matcher.train_diagnosis --evaluate ../shared/devset

Trains only on fixtures/diagnosis_training.jsonl (written by
fixtures/make_diagnosis_training.py), records 5-fold cross-validation metrics
and the data hash, and writes the joblib artifact plus a JSON file beside it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from matcher.classify import load_treatment_model
from matcher.diagnosis_rules import load_diagnosis_rules
from matcher.evaluation import evaluate_diagnosis, load_labelled_set, load_training_set
from matcher.report_format import format_diagnosis_report
from matcher.training import train_treatment_model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT_DATA = FIXTURES / "diagnosis_training.jsonl"
DEFAULT_OUT = FIXTURES / "models" / "diagnosis.joblib"
DEFAULT_RULES = FIXTURES / "diagnosis_rules.toml"


def run(data: Path, out: Path, *, as_of_year: int | None = None) -> Path:
    """Train on `data` and save to `out`; return the metadata JSON path."""
    profiles, labels = load_training_set(data)
    model = train_treatment_model(
        profiles,
        [lab.primary for lab in labels],
        acceptable=[lab.acceptable for lab in labels],
        as_of_year=as_of_year,
        source=data.name,
    )
    return model.save(out)


def evaluate(directory: Path, model_path: Path, rules_path: Path = DEFAULT_RULES) -> str:
    """Evaluate the saved model on a labelled set it was not trained on; return the report."""
    profiles, labels = load_labelled_set(directory)
    report = evaluate_diagnosis(
        profiles,
        labels,
        rules=load_diagnosis_rules(rules_path),
        model=load_treatment_model(model_path),
    )
    return format_diagnosis_report(report)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train or evaluate the treatment model.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--as-of-year", type=int, default=None)
    parser.add_argument(
        "--evaluate",
        type=Path,
        default=None,
        help="labelled set (enterprises.jsonl + labels.jsonl) to evaluate --out on",
    )
    args = parser.parse_args(argv)
    if args.evaluate is not None:
        sys.stdout.write(evaluate(args.evaluate, args.out))
        return
    meta = run(args.data, args.out, as_of_year=args.as_of_year)
    sys.stdout.write(meta.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
